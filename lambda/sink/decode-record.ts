/**
 * Turns one Kafka record from an MSK event into either a perftool result row or a rejection with a reason a
 * human understands. Pure: no I/O, never throws on bad input.
 */
import { decodeSinetStream } from '../shared/sinetstream';
import { describeValue as describe, isObject, quotePreview } from './describe';

/**
 * The record shape the sink accepts: an MSK event record whose coordinates were checked (records.ts); `timestamp`
 * and `value` are checked here, as their problems are the record's own and it can be rejected with its coordinates.
 */
export interface KafkaRecord {
  topic: string;
  partition: number;
  offset: number;
  /** Milliseconds since the epoch; absent, null or out of range means none. */
  timestamp?: unknown;
  /** Base64 of the record's bytes; absent or null for a tombstone. */
  value?: unknown;
}

export interface KafkaCoordinates {
  topic: string;
  partition: number;
  offset: number;
  /** Kafka record timestamp as ISO 8601, or null when the record has none. */
  kafkaTimestamp: string | null;
}

/**
 * The `perftool` columns of one result, read from the already parsed JSON (SPEC §3.3, the original trigger's
 * mapping): a missing or null value is null. Windows are epoch seconds (`*_time_ms` / 1000, else `*_time`).
 */
export interface ServingValues {
  reader_bytes_rate: number | null;
  writer_bytes_rate: number | null;
  reader_count_rate: number | null;
  writer_count_rate: number | null;
  reader_error_rate: number | null;
  writer_error_rate: number | null;
  reader_error_count: number | null;
  writer_error_count: number | null;
  reader_msg_count: number | null;
  writer_msg_count: number | null;
  reader_msg_size_avg: number | null;
  writer_msg_size_avg: number | null;
  thread_number: number | null;
  window_start: number | null;
  window_end: number | null;
}

/** A record that passed validation: the raw JSON text to keep and the values the serving row is made of. */
export interface ResultRow extends KafkaCoordinates {
  format: 'v3' | 'v2' | 'json';
  /** SINETStream tstamp (µs precision), or the Kafka timestamp for plain JSON values. */
  timestamp: string;
  /** The JSON text exactly as received. */
  msg: string;
  /** `msg` as UTF-8: the received bytes themselves (after a byte order mark, which the text decoder drops). */
  msgBytes: Uint8Array;
  /** The record value as received (base64), kept in case PostgreSQL refuses the row and it must be rejected. */
  valueBase64: string;
  publisher: string;
  serving: ServingValues;
}

/** What a perftool row and the buckets are made of. */
export type ServingRow = Pick<ResultRow, 'timestamp' | 'publisher' | 'serving'>;

export interface RejectedRow extends KafkaCoordinates {
  reason: string;
  /** The record value's bytes; null for a tombstone. */
  raw: Buffer | null;
}

export type DecodedRecord = { kind: 'result'; row: ResultRow } | { kind: 'rejected'; row: RejectedRow };

/** Latest instant written as a 4-digit-year ISO string, which PostgreSQL parses without ambiguity. */
const MAX_ISO_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const utf8 = new TextDecoder('utf-8', { fatal: true });
const hasByteOrderMark = (b: Uint8Array) => b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;

/** Numeric fields of `writer` / `reader` the sink reads (besides thread_number); absent or null is fine. */
const SIDE_NUMBERS = [
  'msg_bytes_rate', 'msg_count_rate', 'error_count_rate', 'error_count_total', 'msg_count_total', 'msg_size_avg',
  'start_time', 'start_time_ms', 'end_time', 'end_time_ms',
] as const;

/** `writer` / `reader` after validation: every field the sink reads is a finite number, null or absent. */
export type Side = { thread_number?: number | null } & { [K in (typeof SIDE_NUMBERS)[number]]?: number | null };

/** A validated perftool result (only the parts the sink reads; the JSON text is stored as received). */
export interface PerftoolResult {
  name: string;
  writer?: Side | null;
  reader?: Side | null;
}

/**
 * Largest metric magnitude stored. Far beyond any real rate or count, and small enough that the bucket sums of
 * millions of results cannot overflow a double (which would fail or poison a bucket).
 */
const MAX_METRIC = 1e300;
/** Longest publisher name in UTF-8 bytes: it is part of index keys, which PostgreSQL caps at ~2.7 kB. */
const MAX_NAME_BYTES = 256;
/** What every metric may be: absent, null or a number of at most MAX_METRIC (so neither ±Infinity nor NaN). */
const isMetric = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'number' && Math.abs(v) <= MAX_METRIC);
/** With the u flag a proper surrogate pair is one code point, so only a lone half matches. */
const UNPAIRED_SURROGATE = /[\uD800-\uDFFF]/u;
const metricReason = (path: string, detail: string) => `non-numeric metric ${path} (${detail})`;

/**
 * Hand-written checks on the hot path (a schema library cost a third of the decoding time): the first problem
 * in the order name, writer, reader and their fields. Returns the reason, or null for a storable result.
 */
export function perftoolResultProblem(json: Record<string, unknown>): string | null {
  const { name } = json;
  if (typeof name !== 'string') {
    return name === undefined ? 'perftool result lacks "name"' : `perftool result "name" must be a non-empty string (${describe(name)})`;
  }
  if (name.length === 0) return 'perftool result "name" must be a non-empty string (got an empty string)';
  // JSON may escape half a surrogate pair ("\ud800"); stored as UTF-8 it would silently become U+FFFD.
  if (UNPAIRED_SURROGATE.test(name)) return 'perftool result "name" must be valid Unicode (got an unpaired surrogate)';
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_NAME_BYTES) return `perftool result "name" is too long (${bytes} bytes; at most ${MAX_NAME_BYTES})`;
  return sideProblem(json.writer, 'writer') ?? sideProblem(json.reader, 'reader');
}

function sideProblem(side: unknown, key: 'writer' | 'reader'): string | null {
  if (side === undefined || side === null) return null;
  if (!isObject(side)) return `perftool result "${key}" must be a JSON object (${describe(side)})`;
  const thread = side.thread_number;
  if (thread !== undefined && thread !== null) {
    if (typeof thread !== 'number') return metricReason(`${key}.thread_number`, describe(thread));
    if (!Number.isFinite(thread)) return `metric ${key}.thread_number out of range (${describe(thread)})`;
    if (!Number.isSafeInteger(thread)) return metricReason(`${key}.thread_number`, 'got a non-integer');
    // thread_number is an integer column
    if (thread < -2147483648 || thread > 2147483647) return metricReason(`${key}.thread_number`, describe(thread));
  }
  // The usual all-valid side, with named loads (fast on JSON.parse's shared object shapes, unlike a loop over the
  // names); the loop below only runs to name the first problem.
  if (isMetric(side.msg_bytes_rate) && isMetric(side.msg_count_rate) && isMetric(side.error_count_rate)
    && isMetric(side.error_count_total) && isMetric(side.msg_count_total) && isMetric(side.msg_size_avg)
    && isMetric(side.start_time) && isMetric(side.start_time_ms) && isMetric(side.end_time) && isMetric(side.end_time_ms)) {
    return null;
  }
  for (const field of SIDE_NUMBERS) {
    const value = side[field];
    if (isMetric(value)) continue;
    if (typeof value !== 'number') return metricReason(`${key}.${field}`, describe(value));
    return `metric ${key}.${field} out of range (${describe(value)}; at most ±${MAX_METRIC})`;
  }
  return null;
}

/** Largest record value accepted, in bytes (Kafka's default message.max.bytes is about as large). */
export const MAX_VALUE_BYTES = 1_048_576;
/**
 * Deepest nesting of arrays and objects a stored message may have (a perftool result has 2 levels). PostgreSQL's
 * JSON parser, and any recursive reader of the stored message, takes stack space per level.
 */
export const MAX_JSON_DEPTH = 512;
/** `\u0000` or a surrogate escape: only a JSON text containing one can hold a NUL or an unpaired surrogate. */
const SUSPECT_ESCAPE = /\\u(?:0000|d[89a-f])/i;

/**
 * Whether a JSON text nests arrays and objects deeper than `limit` (brackets inside strings do not count). A scan
 * of the text, so that deep input is refused before JSON.parse builds it; a text that is not JSON anyway may be
 * refused for its depth rather than its syntax.
 */
function nestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // a backslash escapes the next character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) {
      inString = true;
    } else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > limit) return true;
    } else if (ch === 0x5d || ch === 0x7d) {
      depth--;
    }
  }
  return false;
}

/**
 * A string or key of a parsed JSON value that PostgreSQL would refuse, described, or null: U+0000 (no text column
 * holds it, and json's ->> and jsonb refuse the escape) or an unpaired surrogate (jsonb and ->> refuse it). Walks
 * the value with an explicit stack, not recursion.
 */
function jsonStringsProblem(json: unknown): string | null {
  const values: unknown[] = [json];
  while (values.length > 0) {
    const value = values.pop();
    if (typeof value === 'string') {
      const problem = stringProblem(value);
      if (problem !== null) return `JSON string ${problem}`;
    } else if (Array.isArray(value)) {
      for (const item of value) values.push(item);
    } else if (isObject(value)) {
      for (const key of Object.keys(value)) {
        const problem = stringProblem(key);
        if (problem !== null) return `JSON key ${problem}`;
        values.push(value[key]);
      }
    }
  }
  return null;
}

function stringProblem(s: string): string | null {
  if (s.includes('\0')) return `with \\u0000 (NUL), which PostgreSQL cannot store as text: ${quotePreview(s)}`;
  if (UNPAIRED_SURROGATE.test(s)) return `with an unpaired surrogate (\\ud800-\\udfff), which PostgreSQL's JSON functions refuse: ${quotePreview(s)}`;
  return null;
}

/**
 * The bytes of a base64 text, or null unless it is exactly their canonical encoding: Buffer.from alone skips
 * characters outside the alphabet and stops at the first padding, so it would decode garbage to something.
 */
function strictBase64(text: string): Buffer | null {
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

/**
 * Never throws, whatever `record.value` and `record.timestamp` hold: every problem is a rejection with a reason.
 * Work per record is bounded by MAX_VALUE_BYTES and nothing recurses on the input.
 */
export function decodeRecord(record: KafkaRecord): DecodedRecord {
  const kafkaTimestamp = isoFromMillis(record.timestamp);
  const value = record.value;
  if (value === undefined || value === null) {
    return rejected(record, kafkaTimestamp, 'Kafka record without a value (tombstone)', null);
  }
  if (typeof value !== 'string') {
    return rejected(record, kafkaTimestamp, `Kafka record value must be a base64 string (${describe(value)})`, null);
  }
  const raw = strictBase64(value);
  // Kept as received: the text itself, as no bytes can be told from it.
  if (raw === null) return rejected(record, kafkaTimestamp, 'Kafka record value is not valid base64', Buffer.from(value, 'utf8'));
  const { timestamp: kafkaMillis } = record;
  if (kafkaMillis !== undefined && kafkaMillis !== null && typeof kafkaMillis !== 'number') {
    return rejected(record, null, `Kafka record timestamp must be a number of milliseconds (${describe(kafkaMillis)})`, raw);
  }
  if (raw.length > MAX_VALUE_BYTES) {
    return rejected(record, kafkaTimestamp, `Kafka record value is too large (${raw.length} bytes; at most ${MAX_VALUE_BYTES})`, raw);
  }
  const decoded = decodeSinetStream(raw);
  if (!decoded.ok) return rejected(record, kafkaTimestamp, decoded.reason, raw);

  let text: string;
  try {
    text = utf8.decode(decoded.payload);
  } catch {
    return rejected(record, kafkaTimestamp, `${decoded.format} message text is not valid UTF-8`, raw);
  }
  // Each level takes 2 characters: only a longer text can be too deep.
  if (text.length > 2 * MAX_JSON_DEPTH && nestedDeeperThan(text, MAX_JSON_DEPTH)) {
    return rejected(record, kafkaTimestamp, `JSON nested deeper than ${MAX_JSON_DEPTH} levels`, raw);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return rejected(record, kafkaTimestamp, `message text is not valid JSON (${(err as Error).message})`, raw);
  }
  // The text (valid UTF-8, no raw control characters in strings) can only carry a NUL or a lone surrogate as an escape.
  // (includes() first: a case-insensitive regex over every text would cost a quarter of JSON.parse.)
  const strings = text.includes('\\u') && SUSPECT_ESCAPE.test(text) ? jsonStringsProblem(json) : null;
  if (strings !== null) return rejected(record, kafkaTimestamp, strings, raw);
  if (!isObject(json)) return rejected(record, kafkaTimestamp, `perftool result is not a JSON object (${describe(json)})`, raw);
  const problem = perftoolResultProblem(json);
  if (problem !== null) return rejected(record, kafkaTimestamp, problem, raw);
  const { name, writer, reader } = json as unknown as PerftoolResult;

  let timestamp: string | null;
  if (decoded.tstampMicros === null) {
    timestamp = kafkaTimestamp;
    if (timestamp === null) return rejected(record, kafkaTimestamp, 'plain JSON message without a Kafka timestamp', raw);
  } else {
    timestamp = isoFromMicros(decoded.tstampMicros);
    if (timestamp === null) {
      return rejected(record, kafkaTimestamp, `SINETStream tstamp ${decoded.tstampMicros} µs is outside years 1970-9999`, raw);
    }
  }
  // The window columns come from writer.*_time(_ms); refuse here what PostgreSQL could not store.
  const windowStart = windowEdgeSeconds(writer?.start_time_ms, writer?.start_time);
  if (windowStart === undefined) return rejected(record, kafkaTimestamp, 'writer.start_time is outside years 1970-9999', raw);
  const windowEnd = windowEdgeSeconds(writer?.end_time_ms, writer?.end_time);
  if (windowEnd === undefined) return rejected(record, kafkaTimestamp, 'writer.end_time is outside years 1970-9999', raw);

  return {
    kind: 'result',
    row: {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      kafkaTimestamp,
      format: decoded.format,
      timestamp,
      msg: text,
      msgBytes: hasByteOrderMark(decoded.payload) ? decoded.payload.subarray(3) : decoded.payload,
      valueBase64: value,
      publisher: name,
      serving: {
        reader_bytes_rate: reader?.msg_bytes_rate ?? null,
        writer_bytes_rate: writer?.msg_bytes_rate ?? null,
        reader_count_rate: reader?.msg_count_rate ?? null,
        writer_count_rate: writer?.msg_count_rate ?? null,
        reader_error_rate: reader?.error_count_rate ?? null,
        writer_error_rate: writer?.error_count_rate ?? null,
        reader_error_count: reader?.error_count_total ?? null,
        writer_error_count: writer?.error_count_total ?? null,
        reader_msg_count: reader?.msg_count_total ?? null,
        writer_msg_count: writer?.msg_count_total ?? null,
        reader_msg_size_avg: reader?.msg_size_avg ?? null,
        writer_msg_size_avg: writer?.msg_size_avg ?? null,
        thread_number: writer?.thread_number ?? reader?.thread_number ?? null,
        window_start: windowStart,
        window_end: windowEnd,
      },
    },
  };
}

/** A plain function rather than a per-record closure over a coordinates object (this is the hot path). */
function rejected(record: KafkaRecord, kafkaTimestamp: string | null, reason: string, raw: Buffer | null): DecodedRecord {
  return {
    kind: 'rejected',
    row: { topic: record.topic, partition: record.partition, offset: record.offset, kafkaTimestamp, reason, raw },
  };
}

/**
 * A window edge in epoch seconds from the writer's `*_time_ms` (preferred, / 1000) or `*_time`; null when both
 * are absent, undefined when outside years 1970-9999 (PostgreSQL could not store it).
 */
function windowEdgeSeconds(ms: number | null | undefined, seconds: number | null | undefined): number | null | undefined {
  const edgeMs = ms ?? (seconds == null ? null : seconds * 1000);
  if (edgeMs == null) return null;
  if (edgeMs < 0 || edgeMs > MAX_ISO_MS) return undefined;
  return ms == null ? (seconds as number) : edgeMs / 1000;
}

// ISO 8601 strings without a Date per timestamp: digits from tables, the date from a per-day cache.
const MAX_ISO_MICROS = BigInt(MAX_ISO_MS) * 1000n + 999n;
const MAX_SAFE_MICROS = BigInt(Number.MAX_SAFE_INTEGER);
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** `YYYY-MM-DDT` by day number, formatted once per day by Date: a batch spans very few days. */
const dayPrefixes = new Map<number, string>();

function dayPrefix(day: number): string {
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    if (dayPrefixes.size >= 1024) dayPrefixes.clear(); // arbitrary timestamps must not grow it for ever
    prefix = new Date(day * 86_400_000).toISOString().slice(0, 11);
    dayPrefixes.set(day, prefix);
  }
  return prefix;
}

/**
 * `YYYY-MM-DDTHH:MM:SS.<fraction>Z` for whole epoch seconds in years 1970-9999: the day comes from the cache above,
 * the time of day is plain arithmetic, far cheaper than a Date and toISOString per timestamp.
 */
function isoFromParts(epochSeconds: number, fraction: string): string {
  const secondOfDay = epochSeconds % 86400;
  const day = (epochSeconds - secondOfDay) / 86400;
  const second = secondOfDay % 60;
  const minutes = (secondOfDay - second) / 60;
  const minute = minutes % 60;
  const hour = (minutes - minute) / 60;
  return `${dayPrefix(day)}${TWO_DIGITS[hour]}:${TWO_DIGITS[minute]}:${TWO_DIGITS[second]}.${fraction}Z`;
}

function isoFromMillis(ms: unknown): string | null {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > MAX_ISO_MS) return null;
  const whole = Math.floor(ms); // Date drops a fraction of a millisecond the same way
  const fraction = whole % 1000;
  return isoFromParts((whole - fraction) / 1000, THREE_DIGITS[fraction]);
}

/** ISO 8601 with all six fractional digits: Date alone would drop the microseconds. */
export function isoFromMicros(us: bigint): string | null {
  if (us < 0n || us > MAX_ISO_MICROS) return null;
  // Number arithmetic is exact up to 2^53 µs (year 2255); BigInt splits later instants.
  let seconds: number;
  let fraction: number;
  if (us <= MAX_SAFE_MICROS) {
    const n = Number(us);
    fraction = n % 1_000_000;
    seconds = (n - fraction) / 1_000_000;
  } else {
    fraction = Number(us % 1_000_000n);
    seconds = Number(us / 1_000_000n);
  }
  const micros = fraction % 1000;
  return isoFromParts(seconds, THREE_DIGITS[(fraction - micros) / 1000] + THREE_DIGITS[micros]);
}
