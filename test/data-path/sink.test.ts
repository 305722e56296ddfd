import '../support/quiet-logs';
import fc from 'fast-check';
import { Client } from 'pg';
import { ROLLUP_COLUMNS } from '../../lambda/sink/copy-binary';
import { ingestBatch } from '../../lambda/sink/ingest';
import { handler } from '../../lambda/sink/index';
import { closeSharedClient } from '../../lambda/shared/db';
import { encodeSinetStream } from '../../lambda/shared/sinetstream';
import { kafkaRecord, mskEvent, resultRecord, seededRandom } from '../../lib/dev/records';
import type { TestDatabase } from '../support/postgres';
import { migratedDatabase, queriesSent, tableState, withEnv } from './helpers';
import { mskEventVector, perftoolResultLines } from './vectors';

let db: TestDatabase;
let c: Client;
let nextOffset = 1000;
const offsets = (n: number) => Array.from({ length: n }, () => nextOffset++);

beforeAll(async () => {
  ({ db, client: c } = await migratedDatabase('sink'));
});
afterAll(async () => {
  await closeSharedClient();
  await c.end();
  await db.drop();
});

test('the MSK event vector becomes exactly the perftool row of vectors/sinetstream.md', async () => {
  await withEnv(db.env, () => handler(mskEventVector()));
  const row = await c.query(`SELECT "timestamp"::text AS ts, publisher, reader_bytes_rate, writer_bytes_rate, reader_count_rate,
      writer_count_rate, reader_error_rate, writer_error_rate, reader_error_count, writer_error_count,
      thread_number, window_start::text AS ws FROM perftool WHERE publisher = 'perftool-sinetstream-target'`);
  expect(row.rows).toEqual([{
    ts: '2022-03-28 18:25:55.700123+00', publisher: 'perftool-sinetstream-target',
    reader_bytes_rate: 480368.0981595092, writer_bytes_rate: 481846.1538461538,
    reader_count_rate: 460.12269938650303, writer_count_rate: 461.53846153846155,
    reader_error_rate: 0, writer_error_rate: 0, reader_error_count: 0, writer_error_count: 0,
    thread_number: 0, ws: '2022-03-28 18:25:55.007+00',
  }]);
  const raw = await c.query(`SELECT topic, kafka_partition, kafka_offset::int AS o, kafka_timestamp::text AS kts, tstamp::text AS ts, format, msg
      FROM perftool_message WHERE kafka_offset = 15`);
  expect(raw.rows).toEqual([{
    topic: 'perftool-sinetstream-result', kafka_partition: 0, o: 15, kts: '2022-03-28 18:25:55.712+00',
    ts: '2022-03-28 18:25:55.700123+00', format: 'v3', msg: JSON.parse(perftoolResultLines()[0]),
  }]);
});

test('v2, v3 and plain JSON values are all stored, with the right timestamps', async () => {
  const [a, b, d] = offsets(3);
  const lines = perftoolResultLines();
  const outcome = await ingestBatch(c, [
    kafkaRecord(a, encodeSinetStream(lines[1], 1649312268049001n, { version: 2 }), { topic: 'formats' }),
    kafkaRecord(b, encodeSinetStream(lines[2], 1649312268066002n, { version: 3 }), { topic: 'formats' }),
    kafkaRecord(d, Buffer.from(lines[2]), { topic: 'formats', timestamp: 1649312268070 }),
  ]);
  expect(outcome).toEqual({ records: 3, stored: 3, rejected: 0, duplicates: 0 });
  const rows = await c.query(`SELECT m.format, m.tstamp::text AS ts FROM perftool_message m WHERE topic = 'formats' ORDER BY kafka_offset`);
  expect(rows.rows).toEqual([
    { format: 'v2', ts: '2022-04-07 06:17:48.049001+00' },
    { format: 'v3', ts: '2022-04-07 06:17:48.066002+00' },
    { format: 'json', ts: '2022-04-07 06:17:48.07+00' },
  ]);
  const serving = await c.query(`SELECT count(*)::int AS n FROM perftool WHERE publisher = 'pi-lab-01'`);
  expect(serving.rows[0].n).toBe(3);
});

test('a missing or null optional metric is stored as NULL', async () => {
  const [a, b] = offsets(2);
  const partial = { name: 'partial', writer: { msg_bytes_rate: 5, start_time: 1700000000.25 }, reader: { msg_bytes_rate: 4, error_count_total: null } };
  expect(await ingestBatch(c, [
    kafkaRecord(a, encodeSinetStream(JSON.stringify(partial), 1700000000500000n)),
    kafkaRecord(b, encodeSinetStream(JSON.stringify({ name: 'bare' }), 1700000000600000n)),
  ])).toMatchObject({ stored: 2, rejected: 0 });
  const rows = await c.query(`SELECT publisher, writer_bytes_rate, reader_bytes_rate, reader_error_count, writer_count_rate,
      thread_number, window_start::text AS ws, window_end FROM perftool WHERE publisher IN ('partial', 'bare') ORDER BY publisher`);
  expect(rows.rows).toEqual([
    { publisher: 'bare', writer_bytes_rate: null, reader_bytes_rate: null, reader_error_count: null, writer_count_rate: null, thread_number: null, ws: null, window_end: null },
    { publisher: 'partial', writer_bytes_rate: 5, reader_bytes_rate: 4, reader_error_count: null, writer_count_rate: null, thread_number: null, ws: '2023-11-14 22:13:20.25+00', window_end: null },
  ]);
  const buckets = await c.query(`SELECT reader_error_count, reader_bytes_rate, result_count::int AS n FROM perftool_10min WHERE publisher = 'bare'`);
  expect(buckets.rows).toEqual([{ reader_error_count: null, reader_bytes_rate: null, n: 1 }]);
});

test('values PostgreSQL would refuse (a NUL in the name or in any JSON string) are rejected before the database sees them', async () => {
  const o = offsets(4);
  const text = (name: string, extra: string) => `{"name":"${name}","note":"${extra}","writer":{"msg_bytes_rate":1}}`;
  const records = [
    kafkaRecord(o[0], encodeSinetStream(text('refused-ok', 'fine'), 1700000000700000n), { topic: 'refused' }),
    kafkaRecord(o[1], encodeSinetStream(text('refused\\u0000nul', 'x'), 1700000000800000n), { topic: 'refused' }),
    kafkaRecord(o[2], encodeSinetStream(text('refused-ok', 'also fine'), 1700000000900000n), { topic: 'refused' }),
    // The json column would take it, but json's ->> and jsonb refuse it: any query reading the note would fail.
    kafkaRecord(o[3], encodeSinetStream(text('refused-ok', '\\u0000'), 1700000001000000n), { topic: 'refused' }),
  ];
  let outcome: unknown;
  const sent = await queriesSent(c, async () => { outcome = await ingestBatch(c, records); });
  expect(outcome).toEqual({ records: 4, stored: 2, rejected: 2, duplicates: 0 });
  expect(sent).not.toContain('SAVEPOINT isolate');
  const rejected = await c.query(`SELECT kafka_offset::int AS o, reason, raw FROM perftool_rejected WHERE topic = 'refused' ORDER BY 1`);
  expect(rejected.rows).toEqual([
    { o: o[1], reason: 'JSON string with \\u0000 (NUL), which PostgreSQL cannot store as text: "refused\\u0000nul"', raw: Buffer.from(records[1].value, 'base64') },
    { o: o[3], reason: 'JSON string with \\u0000 (NUL), which PostgreSQL cannot store as text: "\\u0000"', raw: Buffer.from(records[3].value, 'base64') },
  ]);
  const stored = await c.query(`SELECT count(*)::int AS n FROM perftool WHERE publisher = 'refused-ok'`);
  expect(stored.rows[0].n).toBe(2);
  expect(await ingestBatch(c, records)).toEqual({ records: 4, stored: 0, rejected: 0, duplicates: 4 });
});

test('a NUL quoted in a reason and JSON nested 50,000 deep are rejected with their reasons', async () => {
  const o = offsets(3);
  const depth = 50_000;
  const records = [
    // Not JSON: the reason quotes the text, NUL byte included, and a text column cannot hold U+0000.
    kafkaRecord(o[0], encodeSinetStream(Buffer.from('{"name":\0}'), 1700000002100000n), { topic: 'limits' }),
    // Valid JSON (JavaScript parses it), but PostgreSQL's json input would run out of stack.
    kafkaRecord(o[1], encodeSinetStream(`{"name":"deep","x":${'['.repeat(depth)}${']'.repeat(depth)}}`, 1700000002200000n), { topic: 'limits' }),
    resultRecord(o[2], { name: 'limits-ok', tstampMicros: 1700000002300000n, writerBytesRate: 1, readerBytesRate: 1 }, 3, { topic: 'limits' }),
  ];
  expect(await ingestBatch(c, records)).toEqual({ records: 3, stored: 1, rejected: 2, duplicates: 0 });
  const rejected = await c.query(`SELECT kafka_offset::int AS o, reason FROM perftool_rejected WHERE topic = 'limits' ORDER BY 1`);
  expect(rejected.rows).toEqual([
    { o: o[0], reason: expect.stringMatching(/^message text is not valid JSON \(.*\\u0000.*\)$/) },
    { o: o[1], reason: 'JSON nested deeper than 512 levels' },
  ]);
  const stored = await c.query(`SELECT count(*)::int AS n FROM perftool WHERE publisher = 'limits-ok'`);
  expect(stored.rows[0].n).toBe(1);
});

test('any JSON text (escapes, raw whitespace, backslashes, tabs, newlines) is stored in perftool_message exactly', async () => {
  // Whitespace outside strings is kept verbatim by the json column, so raw tabs, newlines and CRs reach COPY too.
  const space = fc.array(fc.constantFrom(' ', '\t', '\n', '\r'), { maxLength: 3 }).map((s) => s.join(''));
  // A NUL or an unpaired surrogate in a string is rejected (tested above); every other code point must survive.
  // Characters COPY's text format treats specially are drawn often, next to any other code point.
  const unit = fc.oneof(fc.constantFrom('\\', '\t', '\n', '\r', '\\N', '\\.', '"'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
  const storable = (t: string) => !t.includes('\0') && !/[\uD800-\uDFFF]/u.test(t);
  const name = fc.string({ unit, minLength: 1, maxLength: 12 }).filter(storable);
  const text = fc.record({ name, note: fc.string({ unit, maxLength: 30 }).filter(storable), a: space, b: space, c: space })
    .map(({ name: n, note, a, b, c }) => `{${a}"name":${JSON.stringify(n)},${b}"note"${c}:${JSON.stringify(note)},"writer":{"msg_bytes_rate":1}}${a}`);
  // Plain JSON values take the Kafka timestamp, unique per record here, which joins each message to its row.
  await fc.assert(fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 5 }), async (texts) => {
    const o = offsets(texts.length);
    const records = texts.map((t, i) => kafkaRecord(o[i], Buffer.from(t, 'utf8'), { topic: 'json-roundtrip', timestamp: 1_700_000_000_000 + o[i] }));
    expect(await ingestBatch(c, records)).toMatchObject({ stored: texts.length, rejected: 0 });
    const rows = await c.query(`SELECT m.msg::text AS text, p.publisher FROM perftool_message m
        JOIN perftool p ON p."timestamp" = m.tstamp
       WHERE m.topic = 'json-roundtrip' AND m.kafka_offset = ANY($1) ORDER BY m.kafka_offset`, [o]);
    expect(rows.rows).toEqual(texts.map((t) => ({ text: t, publisher: (JSON.parse(t) as { name: string }).name })));
  }), { numRuns: 40 });
});

test('a mixed batch stores the good records and keeps each bad one with its reason and bytes', async () => {
  const [good1, tomb, enc, bad, good2] = offsets(5);
  const encrypted = Buffer.from('df030000000300', 'hex');
  const records = [
    resultRecord(good1, { name: 'mixed', tstampMicros: 1700000000000000n, writerBytesRate: 10, readerBytesRate: 9 }, 3, { topic: 'mixed' }),
    kafkaRecord(tomb, null, { topic: 'mixed' }),
    kafkaRecord(enc, encrypted, { topic: 'mixed' }),
    kafkaRecord(bad, encodeSinetStream(JSON.stringify({ name: 'mixed', reader: { msg_bytes_rate: 'fast' } }), 1700000001000000n), { topic: 'mixed' }),
    resultRecord(good2, { name: 'mixed', tstampMicros: 1700000002000000n, writerBytesRate: 20, readerBytesRate: 19 }, 2, { topic: 'mixed' }),
  ];
  expect(await ingestBatch(c, records)).toEqual({ records: 5, stored: 2, rejected: 3, duplicates: 0 });
  const rejected = await c.query(`SELECT kafka_offset::int AS o, reason, raw FROM perftool_rejected WHERE topic = 'mixed' ORDER BY kafka_offset`);
  expect(rejected.rows).toEqual([
    { o: tomb, reason: 'Kafka record without a value (tombstone)', raw: null },
    { o: enc, reason: 'encrypted SINETStream message (key version 3): cannot decode without the key', raw: encrypted },
    { o: bad, reason: 'non-numeric metric reader.msg_bytes_rate (got string "fast")', raw: Buffer.from(records[3].value, 'base64') },
  ]);
  const stored = await c.query(`SELECT writer_bytes_rate FROM perftool WHERE publisher = 'mixed' ORDER BY "timestamp"`);
  expect(stored.rows).toEqual([{ writer_bytes_rate: 10 }, { writer_bytes_rate: 20 }]);
});

test('redelivering a batch (also with repeats inside it) changes nothing', async () => {
  const o = offsets(4);
  const records = [
    resultRecord(o[0], { name: 'redelivered', tstampMicros: 1700000100000000n, writerBytesRate: 1, readerBytesRate: 1 }, 3, { topic: 'redeliver' }),
    resultRecord(o[1], { name: 'redelivered', tstampMicros: 1700000110000000n, writerBytesRate: 2, readerBytesRate: 2 }, 3, { topic: 'redeliver' }),
    kafkaRecord(o[2], Buffer.from('not json'), { topic: 'redeliver' }),
    resultRecord(o[3], { name: 'redelivered-2', tstampMicros: 1700000120000000n, writerBytesRate: 3, readerBytesRate: 3 }, 3, { topic: 'redeliver' }),
  ];
  expect(await ingestBatch(c, [...records, records[0]])).toEqual({ records: 4, stored: 3, rejected: 1, duplicates: 0 });
  const before = await tableState(c);
  expect(await ingestBatch(c, records)).toEqual({ records: 4, stored: 0, rejected: 0, duplicates: 4 });
  await withEnv(db.env, () => handler(mskEvent(records)));
  expect(await tableState(c)).toEqual(before);
  const pub = await c.query(`SELECT result_count::int AS n FROM perftool_publishers WHERE publisher = 'redelivered'`);
  expect(pub.rows[0].n).toBe(2);
});

test('a write failing mid-batch stores nothing of the batch and throws', async () => {
  const o = offsets(3);
  const records = [
    resultRecord(o[0], { name: 'fine', tstampMicros: 1700000200000000n, writerBytesRate: 1, readerBytesRate: 1 }, 3, { topic: 'poison' }),
    kafkaRecord(o[1], null, { topic: 'poison' }),
    resultRecord(o[2], { name: 'poison', tstampMicros: 1700000210000000n, writerBytesRate: 1, readerBytesRate: 1 }, 3, { topic: 'poison' }),
  ];
  await c.query(`ALTER TABLE perftool_publishers ADD CONSTRAINT no_poison CHECK (publisher <> 'poison')`);
  try {
    const before = await tableState(c);
    await expect(withEnv(db.env, () => handler(mskEvent(records)))).rejects.toThrow(/no_poison/);
    expect(await tableState(c)).toEqual(before);
  } finally {
    await c.query('ALTER TABLE perftool_publishers DROP CONSTRAINT no_poison');
  }
  expect(await ingestBatch(c, records)).toMatchObject({ stored: 2, rejected: 1 });
});

test('an unreachable database makes the handler throw so Lambda retries the batch', async () => {
  await closeSharedClient();
  const event = mskEvent([resultRecord(offsets(1)[0], { name: 'down', tstampMicros: 1700000300000000n, writerBytesRate: 1, readerBytesRate: 1 })]);
  await expect(withEnv({ ...db.env, PGPORT: '1' }, () => handler(event))).rejects.toThrow(/ECONNREFUSED/);
  // Once the database is back, the retried batch goes through.
  await withEnv(db.env, () => handler(event));
  const n = await c.query(`SELECT count(*)::int AS n FROM perftool WHERE publisher = 'down'`);
  expect(n.rows[0].n).toBe(1);
});

test('the connection is reused across invocations and re-established after it dies', async () => {
  const backends = async () => (await c.query(
    `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'perftool'`, [db.name])).rows.map((r) => r.pid);
  const once = (name: string) => withEnv(db.env, () => handler(mskEvent([
    resultRecord(offsets(1)[0], { name, tstampMicros: 1700000400000000n, writerBytesRate: 1, readerBytesRate: 1 }),
  ])));
  await once('reuse');
  const first = await backends();
  await once('reuse');
  expect(await backends()).toEqual(first);
  expect(first).toHaveLength(1);
  await c.query('SELECT pg_terminate_backend($1)', [first[0]]);
  await once('reuse');
  const after = await backends();
  expect(after).toHaveLength(1);
  expect(after).not.toEqual(first);
  const n = await c.query(`SELECT count(*)::int AS n FROM perftool WHERE publisher = 'reuse'`);
  expect(n.rows[0].n).toBe(3);
});

test('one structured log line per batch with counts and duration, never payloads', async () => {
  // The other tests run with logging silenced; this one loads its own copy of the handler logging at INFO, as deployed.
  let sink!: { handler: typeof handler; closeSharedClient: typeof closeSharedClient };
  await withEnv({ POWERTOOLS_LOG_LEVEL: 'INFO' }, () => jest.isolateModulesAsync(async () => {
    sink = { handler: (await import('../../lambda/sink/index')).handler, closeSharedClient: (await import('../../lambda/shared/db')).closeSharedClient };
  }));
  const writes: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    writes.push(String(chunk));
    return true;
  });
  const record = resultRecord(offsets(1)[0], { name: 'secret-publisher-name', tstampMicros: 1700000500000000n, writerBytesRate: 1, readerBytesRate: 1 });
  try {
    await withEnv(db.env, () => sink.handler(mskEvent([record, kafkaRecord(offsets(1)[0], null)])));
  } finally {
    spy.mockRestore();
    await sink.closeSharedClient();
  }
  const lines = writes.join('').split('\n').filter((l) => l.includes('batch stored'));
  expect(lines).toHaveLength(1);
  const entry = JSON.parse(lines[0]);
  expect(entry).toMatchObject({ level: 'INFO', message: 'batch stored', service: 'perftool-sink', records: 2, stored: 1, rejected: 1, duplicates: 0 });
  expect(typeof entry.duration_ms).toBe('number');
  const all = writes.join('');
  expect(all).not.toContain('secret-publisher-name');
  expect(all).not.toContain(record.value.slice(0, 40));
  expect(all).not.toContain(String(db.config.password));
});

test('bucket views equal a reference aggregation over the raw rows', async () => {
  const random = seededRandom(42);
  const start = 1700100000000000n;
  const publishers = ['bucket-a', 'bucket-b', 'bucket-c'];
  const all = Array.from({ length: 600 }, (_, i) => {
    const r = resultRecord(offsets(1)[0], {
      name: publishers[i % 3],
      tstampMicros: start + BigInt(Math.floor(random() * 3600e6)),
      writerBytesRate: random() * 1e6,
      readerBytesRate: random() * 1e6,
      writerErrors: Math.floor(random() * 3),
      readerErrors: Math.floor(random() * 3),
    }, 3, { topic: 'buckets', partition: i % 2 });
    return r;
  });
  // Batches in shuffled arrival order, overlapping so some records are redelivered.
  for (let i = 0; i < all.length; i += 90) await ingestBatch(c, all.slice(Math.max(0, i - 20), i + 90));
  for (const [view, width] of [['perftool_30sec', 30], ['perftool_1min', 60], ['perftool_2min', 120], ['perftool_10min', 600], ['perftool_1hour', 3600]] as const) {
    const reference = await c.query(`
      SELECT date_bin(make_interval(secs => ${width}), "timestamp", timestamptz 'epoch') AS ts, publisher,
             avg(reader_bytes_rate) AS rbr, avg(writer_bytes_rate) AS wbr, avg(reader_count_rate) AS rcr, avg(writer_count_rate) AS wcr,
             avg(reader_error_rate) AS rer, avg(writer_error_rate) AS wer, sum(reader_error_count) AS rec, sum(writer_error_count) AS wec,
             count(*)::int AS n
        FROM perftool WHERE publisher LIKE 'bucket-%' GROUP BY 1, 2 ORDER BY 2, 1`);
    const actual = await c.query(`
      SELECT "timestamp" AS ts, publisher, reader_bytes_rate AS rbr, writer_bytes_rate AS wbr, reader_count_rate AS rcr,
             writer_count_rate AS wcr, reader_error_rate AS rer, writer_error_rate AS wer, reader_error_count AS rec,
             writer_error_count AS wec, result_count::int AS n
        FROM ${view} WHERE publisher LIKE 'bucket-%' ORDER BY publisher, "timestamp"`);
    expect(actual.rows.length).toBe(reference.rows.length);
    expect(actual.rows.reduce((s, r) => s + r.n, 0)).toBe(600);
    actual.rows.forEach((row, i) => {
      const ref = reference.rows[i];
      expect([row.ts, row.publisher, row.n]).toEqual([ref.ts, ref.publisher, ref.n]);
      for (const k of ['rbr', 'wbr', 'rcr', 'wcr', 'rer', 'wer', 'rec', 'wec']) {
        expect(Math.abs(row[k] - ref[k])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(ref[k])));
      }
    });
  }
  const pubs = await c.query(`SELECT publisher, result_count::int AS n FROM perftool_publishers WHERE publisher LIKE 'bucket-%' ORDER BY 1`);
  expect(pubs.rows).toEqual(publishers.map((p) => ({ publisher: p, n: 200 })));
});

/**
 * Runs `work`, counting the merges that inserted new buckets plainly (each under its savepoint) and those that fell
 * back to upserting every bucket.
 */
async function countingMerges(work: () => Promise<unknown>): Promise<{ plainInserts: number; fallbacks: number }> {
  const spy = jest.spyOn(c, 'query');
  try {
    await work();
    const count = (sql: string) => spy.mock.calls.filter(([q]) => q === sql).length;
    return { plainInserts: count('SAVEPOINT merge'), fallbacks: count('ROLLBACK TO SAVEPOINT merge') };
  } finally {
    spy.mockRestore();
  }
}

test('buckets the spans show as new are inserted without a fallback, across µs edges, later and earlier batches', async () => {
  const at = (micros: bigint) => resultRecord(offsets(1)[0], { name: 'spans', tstampMicros: micros, readerBytesRate: 1, writerBytesRate: 1 });
  const edge = 1700000010000000n; // a 30-s bucket edge (…:13:30 UTC)
  const merges = await countingMerges(async () => {
    await ingestBatch(c, [at(edge - 500n)]); // last result half a millisecond before the edge
    await ingestBatch(c, [at(edge), at(edge + 700n)]); // a new 30-s bucket starting at the edge
    await ingestBatch(c, [at(edge - 20_000_000n)]); // earlier: its buckets are stored, within the span
    await ingestBatch(c, [at(edge - 3_600_000_000n)]); // an hour earlier: new buckets before the stored span
  });
  // Every batch but the third has new buckets, inserted plainly; none collides.
  expect(merges).toEqual({ plainInserts: 3, fallbacks: 0 });
  const { rows } = await c.query(`SELECT "timestamp", result_count::int AS n FROM perftool_30sec WHERE publisher = 'spans' ORDER BY 1`);
  expect(rows.map((r) => [r.timestamp.toISOString(), r.n])).toEqual([
    ['2023-11-14T21:13:30.000Z', 1], ['2023-11-14T22:13:00.000Z', 2], ['2023-11-14T22:13:30.000Z', 2],
  ]);
  const hour = await c.query(`SELECT result_count::int AS n FROM perftool_1hour WHERE publisher = 'spans' ORDER BY "timestamp"`);
  expect(hour.rows.map((r) => r.n)).toEqual([1, 4]);
});

test('a bucket stored after the spans were read (a concurrent batch committing) is added to, not duplicated', async () => {
  // The sink inserts buckets outside the publisher's stored span without an upsert. This bucket is stored, but
  // perftool_publishers does not show it, as when another batch commits it after this one read the spans: the
  // plain insert collides, and the merge must fall back to upserting.
  await c.query(`INSERT INTO perftool_rollup (${ROLLUP_COLUMNS.join(', ')})
    VALUES (600, 'unsummarized', '2023-11-14 22:10:00+00', 3, 30, 3${', 0'.repeat(ROLLUP_COLUMNS.length - 6)})`);
  const records = offsets(4).map((offset, i) => resultRecord(offset, {
    name: 'unsummarized', tstampMicros: 1700000000000000n + BigInt(i) * 10_000_000n, readerBytesRate: 2, writerBytesRate: 1,
  }));
  let outcome: unknown;
  const merges = await countingMerges(async () => { outcome = await ingestBatch(c, records); });
  expect(merges).toEqual({ plainInserts: 1, fallbacks: 1 });
  expect(outcome).toMatchObject({ stored: 4, rejected: 0 });
  const { rows } = await c.query(`SELECT result_count::int AS n, reader_bytes_rate FROM perftool_10min WHERE publisher = 'unsummarized'`);
  expect(rows).toEqual([{ n: 7, reader_bytes_rate: (30 + 4 * 2) / 7 }]);
  const fine = await c.query(`SELECT count(*)::int AS n FROM perftool_30sec WHERE publisher = 'unsummarized'`);
  expect(fine.rows[0].n).toBe(2);
});

test('concurrent batches from different partitions updating the same buckets neither deadlock nor lose counts', async () => {
  const other = new Client(db.config);
  await other.connect();
  try {
    // Same publishers and time range on both partitions, in opposite orders, so both upserts touch the same rows.
    const batch = (partition: number) => Array.from({ length: 200 }, (_, i) => resultRecord(i, {
      name: `concurrent-${i % 5}`, tstampMicros: 1700300000000000n + BigInt(i) * 10_000_000n, writerBytesRate: 1, readerBytesRate: 2,
    }, 3, { topic: 'concurrent', partition }));
    const outcomes = await Promise.all([ingestBatch(c, batch(0)), ingestBatch(other, batch(1).reverse())]);
    expect(outcomes.map((o) => o.stored)).toEqual([200, 200]);
  } finally {
    await other.end();
  }
  const buckets = await c.query(`SELECT sum(result_count)::int AS n, sum(reader_bytes_rate * result_count)::float8 AS weighted
    FROM perftool_10min WHERE publisher LIKE 'concurrent-%'`);
  expect(buckets.rows[0]).toEqual({ n: 400, weighted: 800 });
  const pubs = await c.query(`SELECT sum(result_count)::int AS n FROM perftool_publishers WHERE publisher LIKE 'concurrent-%'`);
  expect(pubs.rows[0].n).toBe(400);
});
