/**
 * Where the sink's time goes on one 10,000-record batch (`npx tsx bench/support/profile-ingest.ts`): the pure
 * JavaScript phases timed alone, then each phase of ingestBatch timed inside its transaction (the same steps in
 * the same order), on empty tables and on a second batch that adds to the same buckets, with EXPLAIN ANALYZE of
 * the merge statement.
 */
import { Client } from 'pg';
import { applyMigrations } from '../../lambda/db-init/migrate';
import { bucketRows } from '../../lambda/sink/buckets';
import { CopyBinaryWriter, writeMessageRow, writeServingRow } from '../../lambda/sink/copy-binary';
import { ingestBatch, mergeStatement, prepareBatch, type PhaseTimes } from '../../lambda/sink/ingest';
import { resultRecord, seededRandom } from '../../lib/dev/records';
import { startEmbeddedPostgres } from '../../lib/dev/embedded-postgres';
import { median } from './stats';

const RECORDS = 10_000;

async function main() {
  const pg = await startEmbeddedPostgres();
  try {
    const db = await pg.createDatabase('bench_profile');
    const c = new Client(db.config);
    await c.connect();
    await applyMigrations(c, { defaultPerftoolName: 'perftool-sinetstream-target' });
    const random = seededRandom(1);
    const records = Array.from({ length: RECORDS }, (_, i) => resultRecord(i, {
      name: `pi-${String(i % 20).padStart(2, '0')}`, tstampMicros: 1_700_000_000_000_000n + BigInt(Math.floor(i / 20)) * 10_000_000n,
      writerBytesRate: random() * 1e6, readerBytesRate: random() * 1e6,
    }, 3, { partition: i % 3 }));
    const medianOf7 = (fn: () => void) => median(Array.from({ length: 7 }, () => {
      const t0 = performance.now();
      fn();
      return performance.now() - t0;
    })).toFixed(1);
    const batch = prepareBatch(records);
    console.log(`JavaScript alone (median of 7): decode + validate ${medianOf7(() => prepareBatch(records))} ms, ` +
      `COPY data ${medianOf7(() => {
        const [messages, serving] = [new CopyBinaryWriter(), new CopyBinaryWriter()];
        for (const r of batch.results) {
          writeMessageRow(messages, r);
          writeServingRow(serving, r);
        }
      })} ms, ` +
      `bucket aggregation ${medianOf7(() => bucketRows(batch.results))} ms (${bucketRows(batch.results).length} bucket rows), ` +
      `merge statement parameters ${medianOf7(() => mergeStatement(batch))} ms`);
    for (const label of ['empty tables', 'second batch (new offsets, same buckets)']) {
      const phases: PhaseTimes = {};
      await ingestBatch(c, records, phases);
      console.log(`--- ${label}: ${Object.entries(phases).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(', ')}`);
      await c.query('BEGIN');
      const plan = await c.query({ text: `EXPLAIN (ANALYZE, BUFFERS) ${mergeStatement(batch).text}`, values: mergeStatement(batch).values });
      await c.query('ROLLBACK');
      console.log(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
      for (const r of records) r.offset += RECORDS;
    }
    await c.end();
  } finally {
    await pg.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
