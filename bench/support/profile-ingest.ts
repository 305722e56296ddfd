/**
 * Where the sink's time goes on one 10,000-record batch (`npx tsx bench/support/profile-ingest.ts`): the pure
 * JavaScript phases timed alone, then each phase of ingestBatch as it runs (its own stopwatch), on empty tables
 * and on further batches that add to the same buckets. Median of 5 runs each.
 */
import { Client } from 'pg';
import { applyMigrations } from '../../lambda/db-init/migrate';
import { bucketRows } from '../../lambda/sink/buckets';
import { CopyBinaryWriter, writeBucketRow, writeMessageRow, writeServingRow } from '../../lambda/sink/copy-binary';
import { decodeRecord } from '../../lambda/sink/decode-record';
import { ingestBatch, prepareBatch, type PhaseTimes } from '../../lambda/sink/ingest';
import { usableRecords } from './events';
import { mskEvent, resultRecord, seededRandom } from '../../lib/dev/records';
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
    const built = Array.from({ length: RECORDS }, (_, i) => resultRecord(i, {
      name: `pi-${String(i % 20).padStart(2, '0')}`, tstampMicros: 1_700_000_000_000_000n + BigInt(Math.floor(i / 20)) * 10_000_000n,
      writerBytesRate: random() * 1e6, readerBytesRate: random() * 1e6,
    }, 3, { partition: i % 3 }));
    // As the Lambda runtime hands them over: parsed from the event's JSON.
    const records = usableRecords(JSON.parse(JSON.stringify(mskEvent(built))));
    const medianOf7 = (fn: () => void) => median(Array.from({ length: 7 }, () => {
      const t0 = performance.now();
      fn();
      return performance.now() - t0;
    })).toFixed(1);
    medianOf7(() => records.forEach((r) => decodeRecord(r))); // warm-up: compiled code, as in a warm Lambda
    // Timed before the decoded batch below exists: once 10,000 whole rows have been kept, decoding measured more than
    // twice as slow in this process (garbage collection). The sink keeps only small serving values.
    const decodeMs = medianOf7(() => records.forEach((r) => decodeRecord(r)));
    const batch = prepareBatch(records);
    console.log(`JavaScript alone (median of 7): decode + validate ${decodeMs} ms, ` +
      `COPY data ${medianOf7(() => {
        const [messages, serving] = [new CopyBinaryWriter(), new CopyBinaryWriter()];
        for (const r of batch.results) {
          writeMessageRow(messages, r);
          writeServingRow(serving, r);
        }
      })} ms, ` +
      `bucket aggregation and COPY data ${medianOf7(() => {
        const staged = new CopyBinaryWriter();
        for (const row of bucketRows(batch.results)) writeBucketRow(staged, row, false);
      })} ms (${bucketRows(batch.results).length} bucket rows)`);
    const runs = 5;
    for (const label of ['empty tables', 'later batches (new offsets, same buckets)']) {
      if (label === 'empty tables') await c.query('TRUNCATE perftool_message, perftool, perftool_rollup, perftool_publishers');
      const laps: PhaseTimes[] = [];
      for (let run = 0; run < runs; run++) {
        if (label === 'empty tables') await c.query('TRUNCATE perftool_message, perftool, perftool_rollup, perftool_publishers');
        await c.query('CHECKPOINT'); // as bench:ingest does before every run
        const phases: PhaseTimes = {};
        await ingestBatch(c, records, phases);
        laps.push(phases);
        for (const r of records) r.offset += RECORDS;
      }
      const total = median(laps.map((p) => Object.values(p).reduce((a, b) => a + b, 0)));
      console.log(`--- ${label}, median of ${runs}: ${Object.keys(laps[0]).map((k) => `${k} ${median(laps.map((p) => p[k])).toFixed(1)} ms`).join(', ')}; total ${total.toFixed(0)} ms`);
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
