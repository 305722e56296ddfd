import { randomBytes } from 'node:crypto';
import { Client, ClientConfig } from 'pg';

/** Connection settings of the run's embedded PostgreSQL server (started by postgres-global-setup.mjs). */
export function serverConfig(database = 'postgres'): ClientConfig {
  const port = Number(process.env.TEST_PGPORT);
  if (!port) throw new Error('TEST_PGPORT is not set: run the tests through jest (globalSetup starts PostgreSQL)');
  return {
    host: process.env.TEST_PGHOST,
    port,
    user: process.env.TEST_PGUSER,
    password: process.env.TEST_PGPASSWORD,
    database,
  };
}

export interface TestDatabase {
  name: string;
  config: ClientConfig;
  /** libpq environment variables for code that connects the way operators and tests do (PGHOST, …). */
  env: Record<string, string>;
  drop(): Promise<void>;
}

/**
 * Creates an empty, uniquely named database so each test file is isolated from the others. `utf8` makes it UTF-8
 * like an RDS database (the test server's own default follows initdb's locale, often C, i.e. SQL_ASCII).
 */
export async function createTestDatabase(prefix = 't', options: { utf8?: boolean } = {}): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new Client(serverConfig());
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}${options.utf8 ? ` TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'` : ''}`);
  } finally {
    await admin.end();
  }
  const config = serverConfig(name);
  return {
    name,
    config,
    env: {
      PGHOST: String(config.host),
      PGPORT: String(config.port),
      PGUSER: String(config.user),
      PGPASSWORD: String(config.password),
      PGDATABASE: name,
    },
    async drop() {
      const c = new Client(serverConfig());
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
