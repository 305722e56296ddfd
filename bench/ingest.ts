/**
 * Ingest benchmark (`npm run bench:ingest`): the sink handler on MSK events of 10,000 records into a local
 * PostgreSQL, against, in the same run and on the same data,
 *   (a) COPY into tables shaped like what must be kept (raw JSON + Kafka coordinates unique on them, and the
 *       serving row with its (publisher, time) index): the practical ceiling. It uses what the sink uses, so both
 *       pay the same per-byte cost: the raw JSON column has the type the sink stores (json), and the data goes in
 *       COPY's binary format (prepared before the clock starts);
 *   (b) the original design: 500-row multi-row INSERTs of (tstamp, msg jsonb) into a raw table (GIN index on msg,
 *       as the original) whose per-row trigger copies into `perftool` (the original server's schema, described in docs/performance.md).
 * Every method starts each run from empty tables just after a checkpoint, in an order that rotates between runs,
 * after one untimed warm-up run of every method. Median of 3. Targets: sink ≥ 50 % of (a) and ≥ 3× (b).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { applyMigrations } from '../lambda/db-init/migrate';
import { closeSharedClient } from '../lambda/shared/db';
import { CopyBinaryWriter } from '../lambda/sink/copy-binary';
import { decodeRecord, type ResultRow } from '../lambda/sink/decode-record';
import { usableRecords } from './support/events';
import { mixedRecords, mskEvent, resultRecord, seededRandom } from '../lib/dev/records';
import { startEmbeddedPostgres } from '../lib/dev/embedded-postgres';
import { runBench } from './support/cli';
import { median, verdict } from './support/stats';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 10_000);
const RUNS = 3;
const PUBLISHERS = 20;
const ORIGINAL_BATCH = 500;

const COPY_SCHEMA = `
CREATE TABLE copy_message (topic text NOT NULL, kafka_partition integer NOT NULL, kafka_offset bigint NOT NULL,
  kafka_timestamp timestamptz, tstamp timestamptz NOT NULL, msg json NOT NULL,
  PRIMARY KEY (topic, kafka_partition, kafka_offset));
CREATE TABLE copy_perftool ("timestamp" timestamptz NOT NULL, publisher text NOT NULL,
  reader_bytes_rate float8, writer_bytes_rate float8, reader_count_rate float8, writer_count_rate float8,
  reader_error_rate float8, writer_error_rate float8, reader_error_count float8, writer_error_count float8);
CREATE INDEX ON copy_perftool (publisher, "timestamp");`;

// The original's schema and trigger, as the original server defines them (plain PostgreSQL here).
const ORIGINAL_SCHEMA = `
CREATE TABLE orig_raw (tstamp timestamptz NOT NULL, msg jsonb);
CREATE INDEX orig_raw_msg_idx ON orig_raw USING gin (msg);
-- create_hypertable's default time index on each of the two hypertables (create_default_indexes => true).
CREATE INDEX orig_raw_tstamp_idx ON orig_raw (tstamp DESC);
CREATE TABLE orig_perftool ("timestamp" timestamptz NOT NULL, reader_bytes_rate real, writer_bytes_rate real,
  reader_count_rate real, writer_count_rate real, reader_error_rate real, writer_error_rate real,
  reader_error_count real, writer_error_count real, publisher text);
CREATE INDEX orig_perftool_timestamp_idx ON orig_perftool ("timestamp" DESC);
CREATE FUNCTION propagete_perftool() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO orig_perftool VALUES (NEW.tstamp,
    (NEW.msg #>> '{reader,msg_bytes_rate}')::real, (NEW.msg #>> '{writer,msg_bytes_rate}')::real,
    (NEW.msg #>> '{reader,msg_count_rate}')::real, (NEW.msg #>> '{writer,msg_count_rate}')::real,
    (NEW.msg #>> '{reader,error_count_rate}')::real, (NEW.msg #>> '{writer,error_count_rate}')::real,
    (NEW.msg #>> '{reader,error_count_total}')::real, (NEW.msg #>> '{writer,error_count_total}')::real,
    NEW.msg #>> '{name}');
  RETURN NEW;
END $$;
CREATE TRIGGER orig_raw_propagate AFTER INSERT ON orig_raw FOR EACH ROW EXECUTE FUNCTION propagete_perftool();`;

function makeRecords(run: number) {
  const random = seededRandom(run + 1);
  const start = 1_700_000_000_000_000n + BigInt(run) * 86_400_000_000n;
  return Array.from({ length: RECORDS }, (_, i) =>
    resultRecord(i, {
      name: `pi-${String(i % PUBLISHERS).padStart(2, '0')}`,
      tstampMicros: start + BigInt(Math.floor(i / PUBLISHERS)) * 10_000_000n + BigInt(Math.floor(random() * 1e6)),
      writerBytesRate: random() * 1e6,
      readerBytesRate: random() * 1e6,
      writerErrors: random() < 0.05 ? 1 : 0,
    }, 3, { topic: 'perftool-sinetstream-result', partition: i % 3 }),
  );
}

async function copyRows(client: Client, sql: string, data: Buffer) {
  await pipeline(Readable.from([data]), client.query(copyFrom(sql)));
}

async function timeIt(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function main() {
  const pg = await startEmbeddedPostgres();
  try {
    const sinkDb = await pg.createDatabase('bench_sink');
    const copyDb = await pg.createDatabase('bench_copy');
    const origDb = await pg.createDatabase('bench_original');
    const sinkAdmin = new Client(sinkDb.config);
    const copy = new Client(copyDb.config);
    const orig = new Client(origDb.config);
    await Promise.all([sinkAdmin.connect(), copy.connect(), orig.connect()]);
    await applyMigrations(sinkAdmin, { defaultPerftoolName: 'perftool-sinetstream-target' });
    await copy.query(COPY_SCHEMA);
    await orig.query(ORIGINAL_SCHEMA);
    // The handler connects like the Lambda does without DB_SECRET_ARN: libpq variables. Imported late so its
    // logger starts silenced (one INFO line per batch, and an ERROR line for the mixed batch's records without
    // coordinates, are the production behaviour, but not this script's output).
    Object.assign(process.env, sinkDb.env, { POWERTOOLS_LOG_LEVEL: 'SILENT' });
    const { handler } = await import('../lambda/sink/index');

    const times = { sink: [] as number[], mixed: [] as number[], decode: [] as number[], copy: [] as number[], original: [] as number[] };
    // Run -1 warms every method up untimed: connections open, statements prepared, code compiled (a warm
    // Lambda keeps its connection; cold starts are not what a throughput figure is about).
    for (let run = -1; run < RUNS; run++) {
      const records = makeRecords(run + 1);
      const timed = run >= 0;
      // What the Lambda runtime hands the handler: the event parsed from its JSON.
      const event = JSON.parse(JSON.stringify(mskEvent(records))) as ReturnType<typeof mskEvent>;
      // The baselines get the data already decoded (as Kafka Connect would hand it to JDBC): not timed.
      const rows = records.map((r) => (decodeRecord(r) as { kind: 'result'; row: ResultRow }).row);
      const messageData = new CopyBinaryWriter();
      const perftoolData = new CopyBinaryWriter();
      for (const r of rows) {
        messageData.row(6).text(r.topic).int4(r.partition).int8(r.offset).timestamptz(r.kafkaTimestamp).timestamptz(r.timestamp).text(r.msg);
        const { reader, writer } = JSON.parse(r.msg);
        perftoolData.row(10).timestamptz(r.timestamp).text(r.publisher);
        for (const v of [reader.msg_bytes_rate, writer.msg_bytes_rate, reader.msg_count_rate, writer.msg_count_rate,
          reader.error_count_rate, writer.error_count_rate, reader.error_count_total, writer.error_count_total]) perftoolData.float8(v);
      }
      const [messageBytes, perftoolBytes] = [messageData.finish(), perftoolData.finish()];
      // The same number of records, every 5th a hostile one (deep JSON, NUL name, bad base64, numeric value, and
      // two kinds without usable coordinates, in turn): it must cost about what an all-good batch costs.
      const mixed = mixedRecords(RECORDS, 0, { hostileEvery: 5, seed: run + 2, topic: 'perftool-sinetstream-result' });
      const mixedEvent = JSON.parse(JSON.stringify(mskEvent(mixed.map((m) => m.record))));
      const mixedGood = mixed.filter((m) => m.kind === 'good').length;
      const mixedRejectable = mixed.filter((m) => m.kind !== 'good' && m.kind !== 'no-partition' && m.kind !== 'bad-offset').length;
      const sinkCounts = async () => (await sinkAdmin.query(
        'SELECT (SELECT count(*) FROM perftool)::int AS stored, (SELECT count(*) FROM perftool_rejected)::int AS rejected')).rows[0];

      // Each method starts from empty tables right after a checkpoint; the order rotates between runs so no
      // method always runs first (or just after another's writes).
      const resetSink = () => sinkAdmin.query('TRUNCATE perftool_message, perftool, perftool_rollup, perftool_publishers, perftool_rejected');
      const methods: Record<'sink' | 'mixed' | 'copy' | 'original', { reset: () => Promise<unknown>; run: () => Promise<void>; check?: () => Promise<boolean> }> = {
        sink: { reset: resetSink, run: () => handler(event),
          check: async () => { const n = await sinkCounts(); return n.stored === RECORDS && n.rejected === 0; } },
        mixed: { reset: resetSink, run: () => handler(mixedEvent),
          check: async () => { const n = await sinkCounts(); return n.stored === mixedGood && n.rejected === mixedRejectable; } },
        copy: { reset: () => copy.query('TRUNCATE copy_message, copy_perftool'), run: async () => {
          await copy.query('BEGIN');
          await copyRows(copy, 'COPY copy_message FROM STDIN (FORMAT binary)', messageBytes);
          await copyRows(copy, 'COPY copy_perftool FROM STDIN (FORMAT binary)', perftoolBytes);
          await copy.query('COMMIT');
        } },
        original: { reset: () => orig.query('TRUNCATE orig_raw, orig_perftool'), run: async () => {
          for (let i = 0; i < rows.length; i += ORIGINAL_BATCH) {
            const chunk = rows.slice(i, i + ORIGINAL_BATCH);
            const values = chunk.map((_, j) => `($${2 * j + 1}, $${2 * j + 2})`).join(', ');
            await orig.query(`INSERT INTO orig_raw (tstamp, msg) VALUES ${values}`, chunk.flatMap((r) => [r.timestamp, r.msg]));
          }
        } },
      };
      const order = (['sink', 'mixed', 'copy', 'original'] as const).map((_, i, all) => all[(i + run + 1) % all.length]);
      for (const name of order) {
        await methods[name].reset();
        await sinkAdmin.query('CHECKPOINT');
        const ms = await timeIt(methods[name].run);
        if (timed) times[name].push(ms);
        if (methods[name].check && !(await methods[name].check())) throw new Error(`${name}: not every record was stored or rejected as expected`);
      }
      // For the breakdown only: the JavaScript decoding/validation share of the handler's time.
      const decodeMs = await timeIt(async () => usableRecords(event).forEach((r) => decodeRecord(r)));
      if (timed) times.decode.push(decodeMs);
      const origStored = await orig.query('SELECT count(*)::int AS n FROM orig_perftool');
      if (origStored.rows[0].n !== RECORDS) throw new Error('a method did not store every record');
    }
    await closeSharedClient();
    await Promise.all([sinkAdmin.end(), copy.end(), orig.end()]);

    const rate = (ms: number[]) => RECORDS / (median(ms) / 1000);
    const sink = rate(times.sink);
    const ceiling = rate(times.copy);
    const original = rate(times.original);
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    console.log(`ingest benchmark: ${RECORDS.toLocaleString('en-US')} records per event, ${PUBLISHERS} publishers, median of ${RUNS} runs after a warm-up`);
    console.log(`  sink handler (decode, 2 COPYs, merge) ${fmt(sink)} records/s   runs ms: ${times.sink.map(Math.round).join(', ')}`);
    console.log(`    of which decoding + validation in JavaScript: ~${Math.round(median(times.decode))} ms per event (the baselines get decoded data)`);
    console.log(`  (a) COPY raw + serving rows (ceiling)   ${fmt(ceiling)} records/s   runs ms: ${times.copy.map(Math.round).join(', ')}`);
    console.log(`  (b) original: 500-row INSERT + trigger  ${fmt(original)} records/s   runs ms: ${times.original.map(Math.round).join(', ')}`);
    const vsCeiling = sink / ceiling;
    const vsOriginal = sink / original;
    console.log(`  sink / (a) = ${(vsCeiling * 100).toFixed(0)} %   design goal ≥ 50 %   ${verdict(vsCeiling >= 0.5)}`);
    console.log(`  sink / (b) = ${vsOriginal.toFixed(2)}×   design goal ≥ 3×   ${verdict(vsOriginal >= 3)}   ((a) / (b) = ${(ceiling / original).toFixed(2)}×)`);
    const mixedVsGood = median(times.mixed) / median(times.sink);
    console.log(`  mixed batch (every 5th record hostile: deep JSON, NUL name, bad base64, numeric value, no partition, offset "abc")`);
    console.log(`    ${Math.round(median(times.mixed))} ms per event vs all-good ${Math.round(median(times.sink))} ms   runs ms: ${times.mixed.map(Math.round).join(', ')}`);
    console.log(`    mixed / all-good = ${mixedVsGood.toFixed(2)}×   design goal ≤ 3×   ${verdict(mixedVsGood <= 3)}`);
  } finally {
    await pg.stop();
  }
}

runBench(
  {
    script: 'bench:ingest',
    description: [
      `Runs the sink on MSK events of ${RECORDS.toLocaleString('en-US')} records (${PUBLISHERS} publishers) into an embedded PostgreSQL and`,
      'compares it, in the same run, with a bare binary COPY of the same rows and with the original design',
      '(multi-row INSERTs and a trigger), and times a batch of the same size with every 5th record bad against the',
      'all-good one. Median of 3 runs. BENCH_RECORDS=N sets the batch size.',
    ].join('\n'),
  },
  main,
);
