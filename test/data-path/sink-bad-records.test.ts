/**
 * One bad record never fails, slows or blocks its batch: hostile records and events against the handler on a real
 * PostgreSQL. Every record with valid coordinates is stored or rejected with its reason; the handler throws only
 * when the database fails (including a database that hangs: the timeouts turn that into a failure).
 */
import '../support/quiet-logs';
import fc from 'fast-check';
import { Client } from 'pg';
import * as decodeModule from '../../lambda/sink/decode-record';
import { ingestBatch } from '../../lambda/sink/ingest';
import { handler } from '../../lambda/sink/index';
import { closeSharedClient } from '../../lambda/shared/db';
import { encodeSinetStream } from '../../lambda/shared/sinetstream';
import { HOSTILE_KINDS, type HostileKind, kafkaRecord, mixedRecords, mskEvent, resultRecord } from '../../lib/dev/records';
import type { TestDatabase } from '../support/postgres';
import { migratedDatabase, queriesSent, tableState, withEnv } from './helpers';

let db: TestDatabase;
let c: Client;
let nextOffset = 1000;
const offsets = (n: number) => Array.from({ length: n }, () => nextOffset++);
const result = (offset: number, name: string, topic: string, partition = 0) =>
  resultRecord(offset, { name, tstampMicros: 1_700_000_000_000_000n + BigInt(offset) * 1_000_000n, writerBytesRate: 1, readerBytesRate: 2 }, 3, { topic, partition });
const v3 = (json: string, offset: number) => encodeSinetStream(json, 1_700_000_000_000_000n + BigInt(offset) * 1_000_000n);

/** What a topic's records became: offsets stored and reasons of the rejected, by offset. */
async function outcomeOf(topic: string): Promise<{ stored: number[]; rejected: Record<number, string> }> {
  const stored = await c.query(`SELECT kafka_offset::int AS o FROM perftool_message WHERE topic = $1 ORDER BY 1`, [topic]);
  const rejected = await c.query(`SELECT kafka_offset::int AS o, reason FROM perftool_rejected WHERE topic = $1 ORDER BY 1`, [topic]);
  return { stored: stored.rows.map((r) => r.o), rejected: Object.fromEntries(rejected.rows.map((r) => [r.o, r.reason])) };
}

const sink = (event: unknown, env: Record<string, string> = {}) => withEnv({ ...db.env, ...env }, () => handler(event));

beforeAll(async () => {
  ({ db, client: c } = await migratedDatabase('hostile'));
});
afterAll(async () => {
  await closeSharedClient();
  await c.end();
  await db.drop();
});

test('deeply nested JSON (9 KB nested 4,500 deep; 100,000 deep under "writer" or "name") is rejected alone, its neighbours stored', async () => {
  const o = offsets(5);
  const deep = (d: number) => `${'['.repeat(d)}${']'.repeat(d)}`;
  const records = [
    result(o[0], 'deep-ok', 'deep'),
    kafkaRecord(o[1], v3(deep(4500), o[1]), { topic: 'deep' }),
    kafkaRecord(o[2], v3(`{"name":"x","writer":${deep(100_000)}}`, o[2]), { topic: 'deep' }),
    kafkaRecord(o[3], v3(`{"name":${deep(100_000)}}`, o[3]), { topic: 'deep' }),
    result(o[4], 'deep-ok', 'deep'),
  ];
  await sink(mskEvent(records));
  expect(await outcomeOf('deep')).toEqual({
    stored: [o[0], o[4]],
    rejected: { [o[1]]: 'JSON nested deeper than 512 levels', [o[2]]: 'JSON nested deeper than 512 levels', [o[3]]: 'JSON nested deeper than 512 levels' },
  });
});

test('2,000 records alternating good ones and NUL names: every NUL one rejected in JavaScript, without isolation attempts', async () => {
  const o = offsets(2000);
  const records = o.map((offset, i) => (i % 2 === 0
    ? result(offset, 'alternating', 'alternating')
    : kafkaRecord(offset, v3('{"name":"nul\\u0000","writer":{"msg_bytes_rate":1}}', offset), { topic: 'alternating' })));
  let outcome: unknown;
  const sent = await queriesSent(c, async () => { outcome = await ingestBatch(c, records); });
  expect(outcome).toEqual({ records: 2000, stored: 1000, rejected: 1000, duplicates: 0 });
  expect(sent.filter((q) => q.startsWith('SAVEPOINT isolate'))).toEqual([]);
  const reasons = await c.query(`SELECT reason, count(*)::int AS n FROM perftool_rejected WHERE topic = 'alternating' GROUP BY 1`);
  expect(reasons.rows).toEqual([{ reason: 'JSON string with \\u0000 (NUL), which PostgreSQL cannot store as text: "nul\\u0000"', n: 1000 }]);
});

test('malformed Kafka fields: rejected with their coordinates when those are valid, skipped (never partition 0) when not', async () => {
  const o = offsets(14);
  const base = (offset: number) => ({ ...result(offset, 'envelope-ok', 'envelope', 1) });
  const strip = (r: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== key));
  const records: Record<string, unknown>[] = [
    base(o[0]),
    { ...base(o[1]), value: 12345 },
    { ...base(o[2]), value: { nested: [1, 2] } },
    { ...base(o[3]), value: null },
    { ...base(o[4]), timestamp: 'yesterday' },
    strip(base(o[5]), 'topic'),
    strip(base(o[6]), 'offset'),
    { ...base(o[7]), offset: 'abc' },
    { ...base(o[8]), offset: 1.5 },
    { ...base(o[9]), offset: 2 ** 63 },
    { ...base(o[10]), partition: 'abc' },
    { ...base(o[11]), partition: 2 ** 31 },
    { ...base(o[12]), topic: 7 },
    strip(base(o[13]), 'partition'),
  ];
  const event = mskEvent(records);
  (event.records['envelope-1'] as unknown[]).push(null);
  await sink(event);
  expect(await outcomeOf('envelope')).toEqual({
    stored: [o[0]],
    rejected: {
      [o[1]]: 'Kafka record value must be a base64 string (got number 12345)',
      [o[2]]: 'Kafka record value must be a base64 string (got object {"nested":[1,2]})',
      [o[3]]: 'Kafka record without a value (tombstone)',
      [o[4]]: 'Kafka record timestamp must be a number of milliseconds (got string "yesterday")',
    },
  });
  // The records without valid coordinates are nowhere, under no partition or topic.
  for (const table of ['perftool_message', 'perftool_rejected']) {
    const { rows } = await c.query(`SELECT count(*)::int AS n FROM ${table} WHERE kafka_offset BETWEEN $1 AND $2`, [o[5], o[13]]);
    expect(rows[0].n).toBe(0);
  }
});

test('a malformed event as a whole is ignored: the handler returns and nothing changes', async () => {
  const before = await tableState(c);
  for (const event of [null, undefined, 'abc', 42, [], {}, { records: 'abc' }, { records: null }, { records: [1, 2] }]) {
    await expect(sink(event)).resolves.toBeUndefined();
  }
  expect(await tableState(c)).toEqual(before);
});

test('the log says which records were skipped (index and reason) and counts them, and names a malformed event', async () => {
  let logged!: { handler: typeof handler; closeSharedClient: typeof closeSharedClient };
  await withEnv({ POWERTOOLS_LOG_LEVEL: 'INFO' }, () => jest.isolateModulesAsync(async () => {
    logged = { handler: (await import('../../lambda/sink/index')).handler, closeSharedClient: (await import('../../lambda/shared/db')).closeSharedClient };
  }));
  const writes: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    writes.push(String(chunk));
    return true;
  };
  const spies = [jest.spyOn(process.stdout, 'write').mockImplementation(capture), jest.spyOn(process.stderr, 'write').mockImplementation(capture)];
  const o = offsets(3);
  const records = [result(o[0], 'logged', 'logged'), { ...result(o[1], 'logged', 'logged'), offset: 'abc' }, result(o[2], 'logged', 'logged')];
  try {
    await withEnv(db.env, () => logged.handler(mskEvent(records)));
    await withEnv(db.env, () => logged.handler({ records: 'abc' }));
  } finally {
    spies.forEach((s) => s.mockRestore());
    await logged.closeSharedClient();
  }
  const entries = writes.join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  expect(entries.map((e) => [e.level, e.message])).toEqual([
    ['ERROR', 'records without valid Kafka coordinates ignored'], ['INFO', 'batch stored'], ['ERROR', 'malformed event ignored'],
  ]);
  expect(entries[0]).toMatchObject({ unusable: 1, first: [{ index: 1, reason: 'Kafka offset must be an integer from 0 to 9007199254740991 (got string "abc")' }] });
  expect(entries[1]).toMatchObject({ records: 2, stored: 2, rejected: 0, unusable: 1 });
  expect(entries[2]).toMatchObject({ reason: 'the event\'s "records" is not an object of record arrays (got string)' });
});

test('1e400, base64 with trailing garbage and non-base64 text are rejected with clear reasons; raw keeps what was received', async () => {
  const o = offsets(4);
  const good = result(o[0], 'base64-ok', 'base64');
  const records = [
    good,
    kafkaRecord(o[1], v3('{"name":"big","writer":{"msg_bytes_rate":1e400}}', o[1]), { topic: 'base64' }),
    { ...result(o[2], 'base64-ok', 'base64'), value: `${result(o[2], 'x', 'base64').value}!!garbage` },
    { ...result(o[3], 'base64-ok', 'base64'), value: 'not base64 at all: ünïcödé' },
  ];
  expect(await ingestBatch(c, records)).toEqual({ records: 4, stored: 1, rejected: 3, duplicates: 0 });
  const { rows } = await c.query(`SELECT kafka_offset::int AS o, reason, raw FROM perftool_rejected WHERE topic = 'base64' ORDER BY 1`);
  expect(rows).toEqual([
    { o: o[1], reason: 'metric writer.msg_bytes_rate out of range (got a number beyond ±1.8e308, such as 1e400; at most ±1e+300)',
      raw: v3('{"name":"big","writer":{"msg_bytes_rate":1e400}}', o[1]) },
    { o: o[2], reason: 'Kafka record value is not valid base64', raw: Buffer.from(records[2].value as string, 'utf8') },
    { o: o[3], reason: 'Kafka record value is not valid base64', raw: Buffer.from('not base64 at all: ünïcödé', 'utf8') },
  ]);
});

test('should decoding throw all the same (a bug), the record is rejected with the error and its value as received', async () => {
  const o = offsets(3);
  const records = o.map((offset) => result(offset, 'decode-bug', 'decode-bug'));
  const real = decodeModule.decodeRecord;
  const spy = jest.spyOn(decodeModule, 'decodeRecord').mockImplementation((r) => {
    if (r.offset === o[1]) throw new RangeError('Maximum call stack size exceeded');
    return real(r);
  });
  try {
    expect(await ingestBatch(c, records)).toEqual({ records: 3, stored: 2, rejected: 1, duplicates: 0 });
  } finally {
    spy.mockRestore();
  }
  const { rows } = await c.query(`SELECT kafka_offset::int AS o, reason, raw FROM perftool_rejected WHERE topic = 'decode-bug'`);
  expect(rows).toEqual([{ o: o[1], reason: 'the sink failed to decode this record (Maximum call stack size exceeded)', raw: Buffer.from(records[1].value) }]);
});

describe('a value PostgreSQL refuses that the sink did not foresee', () => {
  // Stands for any such value: a trigger refusing marked messages with a data exception, as PostgreSQL's own checks do.
  beforeAll(async () => {
    await c.query(`CREATE FUNCTION refuse_marked() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.msg->>'note' = 'refuse' THEN RAISE EXCEPTION 'refused by the test' USING ERRCODE = '22023'; END IF;
        RETURN NEW;
      END $$`);
    await c.query('CREATE TRIGGER refuse_marked BEFORE INSERT ON perftool_message FOR EACH ROW EXECUTE FUNCTION refuse_marked()');
  });
  afterAll(async () => {
    await c.query('DROP TRIGGER refuse_marked ON perftool_message');
    await c.query('DROP FUNCTION refuse_marked()');
  });

  test('is rejected alone with PostgreSQL\'s reason; attempts grow with refused records, buckets are merged once', async () => {
    const o = offsets(1000);
    const refused = new Set([o[5], o[250], o[251], o[999]]);
    const records = o.map((offset) => (refused.has(offset)
      ? kafkaRecord(offset, v3('{"name":"isolated","note":"refuse","writer":{"msg_bytes_rate":1}}', offset), { topic: 'isolate' })
      : result(offset, 'isolated', 'isolate')));
    let outcome: unknown;
    const sent = await queriesSent(c, async () => { outcome = await ingestBatch(c, records); });
    expect(outcome).toEqual({ records: 1000, stored: 996, rejected: 4, duplicates: 0 });
    const { stored, rejected } = await outcomeOf('isolate');
    expect(stored).toEqual(o.filter((x) => !refused.has(x)));
    expect(rejected).toEqual(Object.fromEntries([...refused].map((x) => [x, 'PostgreSQL refused the message: refused by the test'])));
    // 10 chunks of 100, then at most 2 attempts per halving (7 halvings of 100) for each refused record.
    expect(sent.filter((q) => q === 'SAVEPOINT isolate').length).toBeLessThanOrEqual(10 + refused.size * 2 * 7);
    const merges = sent.filter((q) => q.includes('INSERT INTO perftool_rollup'));
    expect(merges).toHaveLength(1); // the usual path failed before its merge; the isolation path merges once
    const buckets = await c.query(`SELECT sum(result_count)::int AS n FROM perftool_10min WHERE publisher = 'isolated'`);
    expect(buckets.rows[0].n).toBe(996);
  });
});

test('10,000 records mixing good, deeply nested, NUL and malformed-envelope ones: every good one stored, every bad one rejected or skipped', async () => {
  const first = offsets(10_000)[0];
  const mixed = mixedRecords(10_000, first, { topic: 'mixed-10k', hostileEvery: 4 });
  await expect(sink(mskEvent(mixed.map((m) => m.record)))).resolves.toBeUndefined();
  const { stored, rejected } = await outcomeOf('mixed-10k');
  const offsetsOf = (kind: HostileKind | 'good') => mixed.filter((m) => m.kind === kind).map((m) => m.record.offset as number);
  expect(stored).toEqual(offsetsOf('good'));
  expect(stored.length).toBe(7500);
  const reasons: Partial<Record<HostileKind, string>> = {
    deep: 'JSON nested deeper than 512 levels',
    nul: 'JSON string with \\u0000 (NUL), which PostgreSQL cannot store as text: "nul\\u0000name"',
    'bad-base64': 'Kafka record value is not valid base64',
    'numeric-value': 'Kafka record value must be a base64 string (got number 12345)',
  };
  const expected: Record<number, string> = {};
  for (const kind of HOSTILE_KINDS) for (const offset of offsetsOf(kind)) if (reasons[kind]) expected[offset] = reasons[kind];
  expect(rejected).toEqual(expected);
  // Skipped: no partition, offset "abc". Neither got partition 0 (or any row).
  const skipped = await c.query(`SELECT count(*)::int AS n FROM perftool_message WHERE topic = 'mixed-10k' AND kafka_offset = ANY($1)`, [offsetsOf('no-partition')]);
  expect(skipped.rows[0].n).toBe(0);
  const serving = await c.query(`SELECT count(*)::int AS n FROM perftool WHERE publisher LIKE 'pi-%'`);
  const buckets = await c.query(`SELECT sum(result_count)::int AS n FROM perftool_10min WHERE publisher LIKE 'pi-%'`);
  expect([serving.rows[0].n, buckets.rows[0].n]).toEqual([7500, 7500]);
});

describe('a stuck database turns into a thrown (retried) batch', () => {
  const limits = { SINK_STATEMENT_TIMEOUT_MS: '1500', SINK_LOCK_TIMEOUT_MS: '300' };
  // The limits apply to the connection the handler opens.
  beforeEach(() => closeSharedClient());
  afterEach(() => closeSharedClient());

  test('a lock held by another session: lock_timeout fails the batch, nothing is stored, the retry stores it', async () => {
    const event = mskEvent([result(offsets(1)[0], 'locked-out', 'locked')]);
    const other = new Client(db.config);
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('LOCK TABLE perftool_rollup IN SHARE MODE'); // reads go on, inserts wait
      const before = await tableState(c);
      await expect(sink(event, limits)).rejects.toMatchObject({ code: '55P03', message: expect.stringMatching(/lock timeout/) });
      expect(await tableState(c)).toEqual(before);
    } finally {
      await other.query('ROLLBACK');
      await other.end();
    }
    await sink(event, limits);
    expect((await outcomeOf('locked')).stored).toHaveLength(1);
  });

  test('a statement that runs too long: statement_timeout fails the batch', async () => {
    await c.query(`CREATE FUNCTION slow_publisher() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.publisher = 'slow' THEN PERFORM pg_sleep(30); END IF; RETURN NEW; END $$`);
    await c.query('CREATE TRIGGER slow_publisher BEFORE INSERT ON perftool_publishers FOR EACH ROW EXECUTE FUNCTION slow_publisher()');
    try {
      await expect(sink(mskEvent([result(offsets(1)[0], 'slow', 'slow')]), limits))
        .rejects.toMatchObject({ code: '57014', message: expect.stringMatching(/statement timeout/) });
    } finally {
      await c.query('DROP TRIGGER slow_publisher ON perftool_publishers');
      await c.query('DROP FUNCTION slow_publisher()');
    }
    expect(await outcomeOf('slow')).toEqual({ stored: [], rejected: {} });
  });

  test('a backend that stops answering (paused): the client gives up after statement_timeout plus a margin; the retry stores', async () => {
    const backend = async () => (await c.query(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'perftool'`, [db.name])).rows.map((r) => r.pid as number);
    await sink(mskEvent([result(offsets(1)[0], 'paused', 'paused')]), limits); // opens the connection
    const [pid] = await backend();
    const event = mskEvent([result(offsets(1)[0], 'paused', 'paused')]);
    process.kill(pid, 'SIGSTOP');
    try {
      await expect(sink(event, limits)).rejects.toThrow('Query read timeout');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await sink(event, limits);
    expect((await outcomeOf('paused')).stored).toHaveLength(2);
  });

  test('a bad limit value fails with one line naming it and the rule', async () => {
    await expect(sink(mskEvent([]), { SINK_LOCK_TIMEOUT_MS: 'soon' }))
      .rejects.toThrow('SINK_LOCK_TIMEOUT_MS="soon": must be a whole number of milliseconds from 1 to 60000');
  });
});

test('arbitrary JSON-ish values and envelopes: each record is stored or rejected (or skipped without coordinates), never a throw', async () => {
  const json = fc.oneof(
    fc.jsonValue(),
    fc.record({ name: fc.oneof(fc.string({ unit: 'binary' }), fc.jsonValue()), writer: fc.jsonValue(), reader: fc.dictionary(fc.string(), fc.jsonValue()) }, { requiredKeys: [] }),
    fc.tuple(fc.integer({ min: 0, max: 2000 }), fc.jsonValue()).map(([d, inner]) => ({ name: 'deep', x: Array.from({ length: d }).reduce<unknown>((v) => [v], inner) })),
  );
  const text = fc.oneof(json.map((j) => JSON.stringify(j) ?? 'null'), fc.string({ unit: 'binary' }), fc.constantFrom('{"name":"x","y":1e400}', '{"name":"\\u0000"}'));
  const value = fc.oneof(
    text.map((t) => v3(t, 1).toString('base64')),
    text.map((t) => Buffer.from(t).toString('base64')),
    fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('base64')),
    fc.anything(), fc.base64String(), fc.string(),
  );
  const coordinates = fc.constantFrom('valid', 'valid', 'valid', 'no partition', 'offset text', 'topic number', 'not an object');
  const record = fc.record({ coordinates, value, timestamp: fc.oneof(fc.integer(), fc.anything()), extra: fc.anything() });
  await fc.assert(fc.asyncProperty(fc.array(record, { maxLength: 12 }), async (drawn) => {
    const topic = `prop-${nextOffset}`;
    const built = drawn.map((d) => {
      const offset = offsets(1)[0];
      const r: Record<string, unknown> = { topic, partition: 0, offset, timestamp: d.timestamp, value: d.value, headers: d.extra };
      if (d.coordinates === 'no partition') delete r.partition;
      if (d.coordinates === 'offset text') r.offset = String(offset);
      if (d.coordinates === 'topic number') r.topic = 5;
      return { valid: d.coordinates === 'valid', offset, record: d.coordinates === 'not an object' ? d.value : r };
    });
    await sink({ eventSource: 'aws:kafka', records: { [`${topic}-0`]: built.map((b) => b.record) } });
    const { stored, rejected } = await outcomeOf(topic);
    const kept = [...stored, ...Object.keys(rejected).map(Number)].sort((a, b) => a - b);
    expect(kept).toEqual(built.filter((b) => b.valid).map((b) => b.offset));
    expect(Object.values(rejected).filter((reason) => reason.startsWith('the sink failed'))).toEqual([]);
  }), { numRuns: 60 });
});
