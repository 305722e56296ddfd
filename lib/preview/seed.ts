/**
 * Fills the preview database through the real sink code (`ingestBatch`, the same path MSK records take in
 * production), never by direct INSERTs, and keeps adding live results so live mode visibly moves.
 */
import type { Pool } from 'pg';
import { ingestBatch } from '../../lambda/sink/ingest';
import { DEFAULT_PUBLISHERS, PublisherProfile, seededRandom, syntheticHistory, syntheticOffset, syntheticResult, toMskRecord, isActive } from './synthetic';

const BATCH = 1000;

export async function ingestRecords(pool: Pool, records: Parameters<typeof ingestBatch>[1]): Promise<void> {
  const client = await pool.connect();
  try {
    for (let i = 0; i < records.length; i += BATCH) await ingestBatch(client, records.slice(i, i + BATCH));
  } finally {
    client.release();
  }
}

/** Ingests `days` of history unless the database already holds results (a restarted preview keeps its data). */
export async function seedHistory(pool: Pool, options: { days: number; nowMs?: number; publishers?: PublisherProfile[] }): Promise<number> {
  const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM perftool');
  if (Number(rows[0].n) > 0) return 0;
  const records = syntheticHistory({ nowMs: options.nowMs ?? Date.now(), days: options.days, publishers: options.publishers });
  await ingestRecords(pool, records);
  return records.length;
}

/** Every `intervalMs`, one new result per currently active publisher. Returns a stop function. */
export function startLiveResults(pool: Pool, intervalMs: number, publishers: PublisherProfile[] = DEFAULT_PUBLISHERS, onError: (e: Error) => void = () => undefined): () => Promise<void> {
  const random = seededRandom(Date.now() % 2 ** 31);
  let pending: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    const now = Date.now();
    const records = publishers.flatMap((p, i) => (isActive(p, now, now) ? [toMskRecord(syntheticResult(p, now, now, random), now, syntheticOffset(now, i))] : []));
    pending = pending.then(() => ingestRecords(pool, records)).catch(onError);
  }, intervalMs);
  return async () => {
    clearInterval(timer);
    await pending;
  };
}
