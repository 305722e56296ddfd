/**
 * Where the sink's time goes on one 10,000-record batch (`npx tsx bench/support/profile-ingest.ts`): the
 * JavaScript phases timed separately, then the COPY into the staging table and EXPLAIN (ANALYZE, BUFFERS) of the
 * batch statement, both in a transaction that is rolled back, then the same batch for real.
 */
import { Client } from 'pg';
import { applyMigrations } from '../../lambda/db-init/migrate';
import { batchStatement, beginAndStage, copyText, prepareBatch, stageResults } from '../../lambda/sink/ingest';
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
    }));
    const batch = prepareBatch(records);
    const statement = batchStatement(batch);
    console.log(`decode + validate (prepareBatch): ${medianOf7(() => prepareBatch(records)).toFixed(1)} ms (median of 7)`);
    const copyData = () => Array.from(copyText(batch.results)).join('');
    console.log(`build COPY data (copyText): ${medianOf7(copyData).toFixed(1)} ms, ${(copyData().length / 1e6).toFixed(1)} MB`);
    for (const label of ['cold (empty tables)', 'second batch (fresh coordinates, same buckets)']) {
      const current = prepareBatch(records);
      await beginAndStage(c);
      let t = performance.now();
      await stageResults(c, current.results);
      const copyMs = performance.now() - t;
      const plan = await c.query({ text: `EXPLAIN (ANALYZE, BUFFERS, TIMING) ${statement.text}`, values: statement.values });
      await c.query('ROLLBACK');
      console.log(`--- ${label}\nCOPY into staging: ${copyMs.toFixed(1)} ms\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}`);
      t = performance.now();
      await beginAndStage(c);
      await stageResults(c, current.results);
      await c.query(statement);
      await c.query('COMMIT');
      console.log(`executed (COPY + statement + commit): ${(performance.now() - t).toFixed(1)} ms`);
      for (const r of records) r.offset += RECORDS;
      Object.assign(statement, batchStatement(prepareBatch(records)));
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
