import fc from 'fast-check';
import { z } from 'zod';
import { decodeRecord, isoFromMicros, perftoolResultProblem } from '../../lambda/sink/decode-record';
import { describeValue } from '../../lambda/sink/describe';
import { encodeSinetStream } from '../../lambda/shared/sinetstream';
import { kafkaRecord, perftoolResult } from '../../lib/dev/records';
import { JAVA_V2_HEX, mskEventVector, perftoolResultLines } from './vectors';

const TSTAMP = 1648491955700123n;
const v3 = (json: unknown) => encodeSinetStream(typeof json === 'string' ? json : JSON.stringify(json), TSTAMP);
const reasonFor = (value: Buffer | null) => {
  const d = decodeRecord(kafkaRecord(7, value));
  if (d.kind !== 'rejected') throw new Error(`expected a rejection, got ${JSON.stringify(d.row)}`);
  return d.row.reason;
};
const base = () => perftoolResult({ name: 'pi-1', tstampMicros: TSTAMP, writerBytesRate: 1, readerBytesRate: 2 });

test('the MSK event vector decodes to exactly the row of vectors/sinetstream.md', () => {
  const record = Object.values(mskEventVector().records)[0][0];
  const d = decodeRecord(record);
  expect(d).toEqual({
    kind: 'result',
    row: {
      topic: 'perftool-sinetstream-result', partition: 0, offset: 15,
      kafkaTimestamp: '2022-03-28T18:25:55.712Z',
      format: 'v3',
      timestamp: '2022-03-28T18:25:55.700123Z',
      msg: perftoolResultLines()[0],
      msgBytes: Buffer.from(perftoolResultLines()[0]),
      valueBase64: record.value,
      publisher: 'perftool-sinetstream-target',
      serving: {
        reader_bytes_rate: 480368.0981595092, writer_bytes_rate: 481846.1538461538,
        reader_count_rate: 460.12269938650303, writer_count_rate: 461.53846153846155,
        reader_error_rate: 0, writer_error_rate: 0, reader_error_count: 0, writer_error_count: 0,
        reader_msg_count: 300, writer_msg_count: 300, reader_msg_size_avg: 1044, writer_msg_size_avg: 1044,
        thread_number: 0, window_start: 1648491955.007, window_end: 1648491955.657,
      },
    },
  });
});

test('serving values: a missing or null metric is null, thread_number falls back to the reader, windows prefer *_ms', () => {
  const d = decodeRecord(kafkaRecord(1, v3({ name: 'p', writer: { msg_bytes_rate: 5, start_time: 1700000000.25, end_time_ms: 1700000000900, end_time: 1 },
    reader: { thread_number: 3, error_count_total: null, msg_count_rate: 0 } })));
  expect(d).toMatchObject({ kind: 'result', row: { serving: {
    writer_bytes_rate: 5, reader_bytes_rate: null, reader_error_count: null, reader_count_rate: 0, writer_count_rate: null,
    thread_number: 3, window_start: 1700000000.25, window_end: 1700000000.9,
  } } });
});

test('plain JSON takes the Kafka timestamp; v2 takes its tstamp', () => {
  const line = perftoolResultLines()[1];
  const plain = decodeRecord(kafkaRecord(1, Buffer.from(line), { timestamp: 1649312268100 }));
  expect(plain).toMatchObject({ kind: 'result', row: { format: 'json', timestamp: '2022-04-07T06:17:48.100Z', publisher: 'pi-lab-01', msg: line } });
  const v2 = decodeRecord(kafkaRecord(2, encodeSinetStream(line, 1649312268049001n, { version: 2 })));
  expect(v2).toMatchObject({ kind: 'result', row: { format: 'v2', timestamp: '2022-04-07T06:17:48.049001Z' } });
});

test('a missing or null optional metric is accepted (stored as NULL by the batch statement)', () => {
  const r = base() as { writer: Record<string, unknown>; reader: Record<string, unknown> };
  delete r.writer.msg_bytes_rate;
  r.reader.error_count_total = null;
  expect(decodeRecord(kafkaRecord(1, v3(r)))).toMatchObject({ kind: 'result', row: { publisher: 'pi-1' } });
  expect(decodeRecord(kafkaRecord(1, v3({ name: 'bare' })))).toMatchObject({ kind: 'result', row: { publisher: 'bare' } });
});

test.each<[string, () => Buffer | null, string]>([
  ['a tombstone', () => null, 'Kafka record without a value (tombstone)'],
  ['an encrypted message', () => Buffer.concat([Buffer.from('df0300000003', 'hex'), v3(base()).subarray(6)]),
    'encrypted SINETStream message (key version 3): cannot decode without the key'],
  ['an unknown schema fingerprint', () => Buffer.from(`c301aaaaaaaaaaaaaaaa${JAVA_V2_HEX.slice(20)}`, 'hex'),
    'unknown Avro schema fingerprint aaaaaaaaaaaaaaaa (expected 1f9c0c91eb33664f)'],
  ['undecodable bytes', () => Buffer.from('00ff01', 'hex'), 'not a SINETStream message (first byte 0x00) and not UTF-8 text'],
  ['text that is not JSON', () => v3('message 0'), /^message text is not valid JSON \(.+\)$/ as unknown as string],
  ['a JSON array', () => v3([1, 2]), 'perftool result is not a JSON object (got array [1,2])'],
  ['a JSON number', () => Buffer.from('42'), 'perftool result is not a JSON object (got number 42)'],
  ['a result without name', () => v3({ writer: {} }), 'perftool result lacks "name"'],
  ['a numeric name', () => v3({ name: 5 }), 'perftool result "name" must be a non-empty string (got number 5)'],
  ['an empty name', () => v3({ name: '' }), 'perftool result "name" must be a non-empty string (got an empty string)'],
  ['a name over 256 bytes', () => v3({ name: 'é'.repeat(129) }), 'perftool result "name" is too long (258 bytes; at most 256)'],
  ['a metric past ±1e300', () => v3({ name: 'x', writer: { msg_bytes_rate: 1e308 } }),
    'metric writer.msg_bytes_rate out of range (got number 1e+308; at most ±1e+300)'],
  ['a name with an unpaired surrogate', () => v3('{"name":"pi-\\ud800"}'),
    'JSON string with an unpaired surrogate (\\ud800-\\udfff), which PostgreSQL\'s JSON functions refuse: "pi-\\ud800"'],
  ['a non-numeric metric', () => v3({ ...base(), reader: { msg_bytes_rate: '480368' } }),
    'non-numeric metric reader.msg_bytes_rate (got string "480368")'],
  ['a writer that is not an object', () => v3({ name: 'x', writer: 'fast' }), 'perftool result "writer" must be a JSON object (got string "fast")'],
  ['a fractional thread number', () => v3({ name: 'x', writer: { thread_number: 1.5 } }), 'non-numeric metric writer.thread_number (got a non-integer)'],
  ['a window in year 20000', () => v3({ name: 'x', writer: { start_time: 6e11 } }), 'writer.start_time is outside years 1970-9999'],
  ['invalid UTF-8 inside a SINETStream message', () => encodeSinetStream(Buffer.from([0x7b, 0xff, 0x7d]), TSTAMP), 'v3 message text is not valid UTF-8'],
])('%s is rejected with the precise reason', (_name, value, reason) => {
  if (typeof reason === 'string') expect(reasonFor(value())).toBe(reason);
  else expect(reasonFor(value())).toMatch(reason);
});

const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

test.each<[string, () => Buffer, string]>([
  ['a 9 KB array nested 4,500 deep', () => v3(deep(4500)), 'JSON nested deeper than 512 levels'],
  ['nesting 100,000 deep under "writer"', () => v3(`{"name":"x","writer":${deep(100_000)}}`), 'JSON nested deeper than 512 levels'],
  ['nesting 100,000 deep under "name"', () => v3(`{"name":${deep(100_000)}}`), 'JSON nested deeper than 512 levels'],
  ['objects nested 513 deep', () => v3(`${'{"a":'.repeat(512)}{}${'}'.repeat(512)}`), 'JSON nested deeper than 512 levels'],
  ['513 levels after a string ending in an escaped backslash', () => v3(`{"name":"pi\\\\","x":${deep(512)}}`), 'JSON nested deeper than 512 levels'],
  ['a NUL in the name', () => v3('{"name":"pi\\u0000x"}'), 'JSON string with \\u0000 (NUL), which PostgreSQL cannot store as text: "pi\\u0000x"'],
  ['a NUL in a string the sink does not read', () => v3('{"name":"pi","note":["ok","\\u0000"]}'),
    'JSON string with \\u0000 (NUL), which PostgreSQL cannot store as text: "\\u0000"'],
  ['a NUL in a key', () => v3('{"name":"pi","writer":{"a\\u0000":1}}'), 'JSON key with \\u0000 (NUL), which PostgreSQL cannot store as text: "a\\u0000"'],
  ['an unpaired surrogate in a nested string', () => v3('{"name":"pi","x":{"y":"\\udc00"}}'),
    'JSON string with an unpaired surrogate (\\ud800-\\udfff), which PostgreSQL\'s JSON functions refuse: "\\udc00"'],
  ['1e400 as a metric', () => v3('{"name":"pi","writer":{"msg_bytes_rate":1e400}}'),
    'metric writer.msg_bytes_rate out of range (got a number beyond ±1.8e308, such as 1e400; at most ±1e+300)'],
  ['-1e400 as a thread number', () => v3('{"name":"pi","reader":{"thread_number":-1e400}}'),
    'metric reader.thread_number out of range (got a number beyond ±1.8e308, such as 1e400)'],
  ['1e400 as the name', () => v3('{"name":1e400}'), 'perftool result "name" must be a non-empty string (got a number beyond ±1.8e308, such as 1e400)'],
  ['a value over 1 MiB', () => Buffer.alloc(1_048_577, 0x20), 'Kafka record value is too large (1048577 bytes; at most 1048576)'],
])('%s is rejected in JavaScript with the precise reason', (_name, value, reason) => {
  expect(reasonFor(value())).toBe(reason);
});

test('deep input is refused by depth alone: 512 levels are stored, a quoted deep-looking string or an escaped backslash is fine', () => {
  for (const json of [
    `{"name":"pi","x":${deep(511)}}`, // the result object is the first level
    `{"name":"pi","x":"${deep(2000)}"}`,
    `{"name":"pi","x":"\\"${'['.repeat(2000)}\\\\"}`, // escaped quotes and backslashes do not end the string early
    '{"name":"pi","x":"\\\\u0000 is a backslash and text"}',
    '{"name":"pi-\\ud83d\\ude00","x":"\\uD83D\\uDE00"}',
  ]) {
    expect(decodeRecord(kafkaRecord(1, v3(json)))).toMatchObject({ kind: 'result', row: { msg: json } });
  }
});

test('the record value must be strict base64; raw keeps the text when it is not', () => {
  const valueOf = (value: unknown, timestamp: unknown = 1648491955712) => decodeRecord({ topic: 't', partition: 0, offset: 3, timestamp, value });
  const good = v3(base()).toString('base64');
  for (const text of [`${good}!!`, `${good}=`, good.replace(/=*$/, ''), good.replace(/\+/g, '-') + '-', `${good.slice(0, 8)} ${good.slice(8)}`, 'QR==', 'Zm9v\n']) {
    expect(valueOf(text)).toEqual({ kind: 'rejected', row: { topic: 't', partition: 0, offset: 3, kafkaTimestamp: '2022-03-28T18:25:55.712Z',
      reason: 'Kafka record value is not valid base64', raw: Buffer.from(text, 'utf8') } });
  }
  expect(valueOf(good)).toMatchObject({ kind: 'result' });
  expect(valueOf(5)).toMatchObject({ kind: 'rejected', row: { reason: 'Kafka record value must be a base64 string (got number 5)', raw: null } });
  expect(valueOf({ a: [1] })).toMatchObject({ kind: 'rejected', row: { reason: 'Kafka record value must be a base64 string (got object {"a":[1]})', raw: null } });
  expect(valueOf(good, 'yesterday')).toMatchObject({ kind: 'rejected', row: {
    kafkaTimestamp: null, reason: 'Kafka record timestamp must be a number of milliseconds (got string "yesterday")', raw: v3(base()) } });
  // No timestamp at all, or Kafka's -1 for none, is not a problem for a SINETStream message (it carries its own time).
  expect(valueOf(good, null)).toMatchObject({ kind: 'result', row: { kafkaTimestamp: null } });
  expect(valueOf(good, -1)).toMatchObject({ kind: 'result', row: { kafkaTimestamp: null } });
});

test('a rejection keeps the raw bytes and the Kafka coordinates', () => {
  const bytes = Buffer.from('df0300000009', 'hex');
  expect(decodeRecord(kafkaRecord(41, bytes, { topic: 't-1', partition: 3, timestamp: 0 }))).toEqual({
    kind: 'rejected',
    row: { topic: 't-1', partition: 3, offset: 41, kafkaTimestamp: '1970-01-01T00:00:00.000Z', reason: expect.stringMatching(/key version 9/), raw: bytes },
  });
});

test('isoFromMicros keeps all six fractional digits and refuses what PostgreSQL would misread', () => {
  expect(isoFromMicros(0n)).toBe('1970-01-01T00:00:00.000000Z');
  expect(isoFromMicros(1648491955000001n)).toBe('2022-03-28T18:25:55.000001Z');
  expect(isoFromMicros(-1n)).toBeNull();
  expect(isoFromMicros(253402300800000000n)).toBeNull();
});

test('arbitrary values and JSON never make decodeRecord throw', () => {
  const anyJson = fc.jsonValue().map((j) => Buffer.from(JSON.stringify(j) ?? 'null'));
  const value = fc.oneof(fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b)), anyJson, anyJson.map((b) => v3(b.toString())));
  fc.assert(
    fc.property(value, fc.integer(), (bytes, ts) => {
      const d = decodeRecord(kafkaRecord(1, bytes, { timestamp: ts }));
      return d.kind === 'result' ? typeof d.row.publisher === 'string' : d.row.reason.length > 0;
    }),
    { numRuns: 2000 },
  );
});

test('arbitrary record values, timestamps and nesting of any depth never make decodeRecord throw', () => {
  const nested = fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.boolean(), fc.jsonValue())
    .map(([depth, array, inner]) => `{"name":"pi","x":${(array ? '[' : '{"a":').repeat(depth)}${JSON.stringify(inner)}${(array ? ']' : '}').repeat(depth)}}`);
  const value = fc.oneof(fc.anything(), fc.string(), fc.base64String(), nested.map((t) => v3(t).toString('base64')),
    fc.string({ unit: 'binary' }).map((t) => v3(`{"name":${JSON.stringify(t)}}`).toString('base64')));
  fc.assert(fc.property(value, fc.anything(), (v, timestamp) => {
    const d = decodeRecord({ topic: 't', partition: 1, offset: 2, value: v, timestamp });
    expect(d.kind === 'result' ? d.row.publisher : d.row.reason).toEqual(expect.any(String));
  }), { numRuns: 1000 });
});

describe('describeValue', () => {
  /** The JSON.stringify-based description the sink used before: the reference on values it can handle. */
  const reference = (input: unknown): string => {
    const kind = input === null ? 'null' : Array.isArray(input) ? 'array' : typeof input;
    const text = JSON.stringify(input);
    return `got ${kind} ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
  };

  test('says what JSON.stringify would, on arbitrary JSON values', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      expect(describeValue(value)).toBe(reference(value));
    }), { numRuns: 3000 });
  });

  test('is bounded on values nested a million deep or a million wide', () => {
    let deepValue: unknown = [];
    for (let i = 0; i < 1_000_000; i++) deepValue = [deepValue];
    expect(describeValue(deepValue)).toBe(`got array ${'['.repeat(40)}…`);
    expect(describeValue({ k: Array.from({ length: 1_000_000 }, (_, i) => i) })).toBe('got object {"k":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14…');
    expect(describeValue('x'.repeat(1_000_000))).toBe(`got string "${'x'.repeat(39)}…`);
    expect(describeValue(undefined)).toBe('missing');
  });
});

/**
 * The zod schema the sink used before its hand-written checks, kept here as the reference: on any object built
 * from the fields the sink reads and awkward values, both give the same verdict and the same reason.
 */
describe('perftoolResultProblem agrees with the former zod schema', () => {
  const describeValue = (input: unknown): string => {
    if (input === undefined) return 'missing';
    // JSON.stringify writes null for these: the sink says what they are (1e400 in the JSON text becomes Infinity).
    if (typeof input === 'number' && !Number.isFinite(input)) return 'got a number beyond ±1.8e308, such as 1e400';
    const kind = input === null ? 'null' : Array.isArray(input) ? 'array' : typeof input;
    const text = JSON.stringify(input) ?? String(input);
    return `got ${kind} ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
  };
  const err = { error: (issue: { input?: unknown }) => describeValue(issue.input) };
  const metric = z.number(err).refine((v) => Math.abs(v) <= 1e300, { error: 'out of range' }).nullish();
  const side = z.object({
    thread_number: z.number(err).int({ error: 'got a non-integer' }).min(-2147483648).max(2147483647).nullish(),
    msg_bytes_rate: metric, msg_count_rate: metric, error_count_rate: metric, error_count_total: metric, msg_count_total: metric,
    msg_size_avg: metric, start_time: metric, start_time_ms: metric, end_time: metric, end_time_ms: metric,
  }, err);
  const name = z.string(err).min(1, { error: 'got an empty string' })
    .refine((s) => !/[\uD800-\uDFFF]/u.test(s), { error: 'got an unpaired surrogate' })
    .refine((s) => Buffer.byteLength(s) <= 256, { error: 'too long' });
  const schema = z.object({ name, writer: side.nullish(), reader: side.nullish() });
  const zodReason = (json: Record<string, unknown>): string | null => {
    const parsed = schema.safeParse(json);
    if (parsed.success) return null;
    const issue = parsed.error.issues[0];
    const path = issue.path.join('.');
    if (issue.path[0] === 'name') {
      if (issue.message === 'got an unpaired surrogate') return 'perftool result "name" must be valid Unicode (got an unpaired surrogate)';
      if (issue.message === 'too long') return `perftool result "name" is too long (${Buffer.byteLength(String(json.name))} bytes; at most 256)`;
      return issue.message === 'missing' ? 'perftool result lacks "name"' : `perftool result "name" must be a non-empty string (${issue.message})`;
    }
    if (issue.path.length === 1) return `perftool result "${path}" must be a JSON object (${issue.message})`;
    const offending = issue.path.length === 2 ? (json[issue.path[0] as string] as Record<string, unknown>)[issue.path[1] as string] : undefined;
    if (typeof offending === 'number' && !Number.isFinite(offending)) {
      return `metric ${path} out of range (${describeValue(offending)}${issue.path[1] === 'thread_number' ? '' : '; at most ±1e+300'})`;
    }
    if (issue.message === 'out of range') {
      const value = (json[issue.path[0] as string] as Record<string, unknown>)[issue.path[1] as string];
      return `metric ${path} out of range (${describeValue(value)}; at most ±1e+300)`;
    }
    return `non-numeric metric ${path} (${issue.message})`;
  };

  const awkward = fc.oneof(
    fc.constantFrom(undefined, null, 0, -0, 1.5, -1, 2147483647, 2147483648, -2147483648, -2147483649, 9007199254740993, 1e300,
      Infinity, -Infinity, '', '1', 'fast', true, false, [], [1], {}, { a: 1 }, 'x'.repeat(60), 'pi-\ud800', '\udc00', 'ok-\ud83d\ude00',
      'n'.repeat(256), 'é'.repeat(129), 1e300, -1e300, 1.0000000000000001e300, 1.1e300, -1e308),
    fc.double({ noNaN: true }), fc.integer(), fc.string(), fc.jsonValue(),
  );
  const fields = ['thread_number', 'msg_bytes_rate', 'msg_count_rate', 'error_count_rate', 'error_count_total', 'msg_count_total',
    'msg_size_avg', 'start_time', 'start_time_ms', 'end_time', 'end_time_ms', 'other'];
  const sideValue = fc.oneof(fc.dictionary(fc.constantFrom(...fields), awkward, { maxKeys: 5 }), awkward);
  const result = fc.record({ name: awkward, writer: sideValue, reader: sideValue, extra: awkward }, { requiredKeys: [] });

  test('same verdict and reason on arbitrary results', () => {
    fc.assert(fc.property(result, (json) => {
      expect(perftoolResultProblem(json)).toBe(zodReason(json));
    }), { numRuns: 5000 });
  });

  test('on the precise-reason cases above and on valid results', () => {
    for (const json of [{ name: 'x', writer: { msg_bytes_rate: Infinity } }, { name: 'x', writer: { thread_number: 3e9 } },
      { name: 'x', reader: { thread_number: 9007199254740993 } }, { name: null }, base(), { name: 'bare' }]) {
      expect(perftoolResultProblem(json)).toBe(zodReason(json));
    }
    expect(perftoolResultProblem(base())).toBeNull();
  });
});

/** The timestamp formatting is arithmetic with a per-day cache: it must match the plain Date/BigInt computation. */
describe('ISO timestamps agree with Date', () => {
  const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
  const MAX_US = BigInt(MAX_MS) * 1000n + 999n;
  /** The former implementations, kept as the reference. */
  const referenceMicros = (us: bigint): string | null => {
    if (us < 0n || us > MAX_US) return null;
    const iso = new Date(Number(us / 1000n)).toISOString();
    return `${iso.slice(0, -1)}${(us % 1000n).toString().padStart(3, '0')}Z`;
  };
  const referenceMillis = (ms: number): string | null =>
    (Number.isFinite(ms) && ms >= 0 && ms <= MAX_MS ? new Date(ms).toISOString() : null);
  const kafkaTimestampOf = (timestamp: number) => decodeRecord(kafkaRecord(1, null, { timestamp })).row.kafkaTimestamp;

  // Instants where a field rolls over: epoch, leap days (2000 is leap, 2100 is not), year ends, the last instant.
  const edgesMs = [0, Date.UTC(1972, 1, 29), Date.UTC(2000, 1, 29), Date.UTC(2000, 2, 1), Date.UTC(2024, 0, 1),
    Date.UTC(2100, 1, 28), Date.UTC(2100, 2, 1), Date.UTC(9999, 11, 31), MAX_MS + 1];
  const nearEdgeMs = fc.tuple(fc.constantFrom(...edgesMs), fc.integer({ min: -86_400_000, max: 86_400_000 })).map(([e, d]) => e + d);
  const anyMs = fc.oneof(fc.integer({ min: -10, max: MAX_MS + 10 }), nearEdgeMs,
    fc.double({ min: -1, max: MAX_MS + 1 }), fc.constantFrom(-0, NaN, Infinity, -Infinity, MAX_MS, MAX_MS + 0.5));
  // Microseconds near 2^53, where isoFromMicros switches from Number to BigInt arithmetic, and at the range ends.
  const anyMicros = fc.oneof(
    fc.bigInt({ min: -10n, max: MAX_US + 10n }),
    fc.bigInt({ min: 2n ** 53n - 3_000_000n, max: 2n ** 53n + 3_000_000n }),
    nearEdgeMs.map((ms) => BigInt(ms) * 1000n).chain((us) => fc.bigInt({ min: us - 1_000_000n, max: us + 1_000_000n })),
    fc.constantFrom(0n, 999_999n, 1_000_000n, MAX_US, MAX_US + 1n),
  );

  test('isoFromMicros on arbitrary microseconds, around 2^53 and around calendar edges', () => {
    fc.assert(fc.property(anyMicros, (us) => {
      expect(isoFromMicros(us)).toBe(referenceMicros(us));
    }), { numRuns: 10000 });
  });

  test('the Kafka timestamp on arbitrary batches of milliseconds (cache hits and misses)', () => {
    fc.assert(fc.property(fc.array(anyMs, { maxLength: 20 }), (batch) => {
      for (const ms of batch) expect(kafkaTimestampOf(ms)).toBe(referenceMillis(ms));
    }), { numRuns: 2000 });
  });

  test('every day of 1500 in a row (more than the day cache holds), at the first and last millisecond', () => {
    for (let day = 0; day < 1500; day++) {
      const ms = Date.UTC(1999, 0, 1) + day * 86_400_000;
      expect(kafkaTimestampOf(ms)).toBe(new Date(ms).toISOString());
      expect(kafkaTimestampOf(ms + 86_399_999)).toBe(new Date(ms + 86_399_999).toISOString());
      expect(isoFromMicros(BigInt(ms) * 1000n + 86_399_999_999n)).toBe(referenceMicros(BigInt(ms) * 1000n + 86_399_999_999n));
    }
  });
});

test('msgBytes are exactly the UTF-8 bytes of msg, with or without a byte order mark, in every format', () => {
  // Any text but a NUL or an unpaired surrogate, which are rejected (tested above).
  const note = fc.string({ unit: 'binary', maxLength: 20 }).filter((n) => !n.includes('\0') && !/[\uD800-\uDFFF]/u.test(n));
  const text = note.map((n) => JSON.stringify({ name: 'pi-bom', note: n }));
  fc.assert(fc.property(text, fc.boolean(), fc.constantFrom(2 as const, 3 as const, 'json' as const), (json, bom, format) => {
    const bytes = Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(json, 'utf8')]);
    const value = format === 'json' ? bytes : encodeSinetStream(bytes, TSTAMP, { version: format });
    const d = decodeRecord(kafkaRecord(7, value));
    if (d.kind !== 'result') throw new Error(d.row.reason);
    expect(d.row.msg).toBe(json);
    expect(Buffer.from(d.row.msgBytes)).toEqual(Buffer.from(d.row.msg, 'utf8'));
  }));
});
