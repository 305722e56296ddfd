/** Small helpers shared by the data-path tests. */
import { Client } from 'pg';
import { applyMigrations } from '../../lambda/db-init/migrate';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

/** Runs `fn` with some environment variables set (or removed, with undefined), restoring them afterwards. */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, val] of Object.entries(v)) {
      if (val === undefined) delete process.env[k];
      else process.env[k] = val;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

/** Runs `work` and returns the SQL text of every query `client` was sent meanwhile. */
export async function queriesSent(client: Client, work: () => Promise<unknown>): Promise<string[]> {
  const spy = jest.spyOn(client, 'query');
  try {
    await work();
    return spy.mock.calls.map(([q]) => (typeof q === 'string' ? q : (q as { text?: string }).text ?? ''));
  } finally {
    spy.mockRestore();
  }
}

/** A fresh database with the schema migrated, and a client on it (session time zone UTC). */
export async function migratedDatabase(prefix: string): Promise<{ db: TestDatabase; client: Client }> {
  const db = await createTestDatabase(prefix);
  const client = new Client({ ...db.config, options: '-c TimeZone=UTC' });
  await client.connect();
  await applyMigrations(client, { defaultPerftoolName: 'perftool-sinetstream-target' });
  return { db, client };
}

/**
 * What every table the sink writes holds, in brief (row counts, and the buckets and publisher summary in full), to
 * prove a call changed nothing.
 */
export async function tableState(client: Client): Promise<Record<string, unknown>> {
  const q = async (sql: string) => (await client.query(sql)).rows;
  return {
    message: await q('SELECT count(*)::int AS n FROM perftool_message'),
    perftool: await q('SELECT count(*)::int AS n FROM perftool'),
    rejected: await q('SELECT count(*)::int AS n FROM perftool_rejected'),
    rollup: await q('SELECT width_seconds, publisher, bucket, result_count, reader_bytes_rate_sum FROM perftool_rollup ORDER BY 1, 2, 3'),
    publishers: await q('SELECT * FROM perftool_publishers ORDER BY publisher'),
  };
}
