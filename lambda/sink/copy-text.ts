/**
 * COPY text-format lines for the two tables a result is stored in (pure, no I/O). Column lists and line
 * builders sit side by side so their order cannot drift apart.
 */
import { isoFromMicros, type ResultRow, type ServingValues } from './decode-record';

/** perftool_message columns, in the order messageLine() writes them. */
export const MESSAGE_COLUMNS = ['topic', 'kafka_partition', 'kafka_offset', 'kafka_timestamp', 'tstamp', 'format', 'msg'] as const;

/** The double precision columns of `perftool` (besides the window edges). */
export const FLOAT_COLUMNS = [
  'reader_bytes_rate', 'writer_bytes_rate', 'reader_count_rate', 'writer_count_rate',
  'reader_error_rate', 'writer_error_rate', 'reader_error_count', 'writer_error_count',
  'reader_msg_count', 'writer_msg_count', 'reader_msg_size_avg', 'writer_msg_size_avg',
] as const satisfies readonly (keyof ServingValues)[];

/** perftool columns, in the order servingLine() writes them. */
export const SERVING_COLUMNS = ['"timestamp"', 'publisher', ...FLOAT_COLUMNS, 'thread_number', 'window_start', 'window_end'] as const;

/** One perftool_message line: the JSON text exactly as received, with its Kafka coordinates. */
export function messageLine(r: ResultRow): string {
  return `${copyField(r.topic)}\t${r.partition}\t${r.offset}\t${copyField(r.kafkaTimestamp)}\t${r.timestamp}\t${r.format}\t${copyField(r.msg)}\n`;
}

/** One perftool line. Numbers travel in JavaScript's shortest round-trip form, so float8 receives them exactly. */
export function servingLine(r: ResultRow): string {
  const s = r.serving;
  let line = `${r.timestamp}\t${copyField(r.publisher)}`;
  for (const column of FLOAT_COLUMNS) line += `\t${copyField(s[column])}`;
  return `${line}\t${copyField(s.thread_number)}\t${copyField(timestamptzFromEpochSeconds(s.window_start))}\t${
    copyField(timestamptzFromEpochSeconds(s.window_end))}\n`;
}

/**
 * One COPY text-format field: \N for NULL; backslash, tab, newline and carriage return escaped (the only
 * characters the format treats specially).
 */
export function copyField(value: string | number | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  return COPY_SPECIAL.test(value) ? value.replace(COPY_SPECIALS, (c) => COPY_ESCAPES[c]) : value;
}
const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIALS = /[\\\t\n\r]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** Seconds between the Unix epoch and PostgreSQL's (2000-01-01). */
const POSTGRES_EPOCH_SECONDS = 946_684_800;

/**
 * Epoch seconds as the timestamptz PostgreSQL's to_timestamp(double precision) returns, computed the same way
 * (shift to its epoch, scale to µs, round half to even) so the stored value is identical to the bit.
 */
export function timestamptzFromEpochSeconds(seconds: number | null): string | null {
  if (seconds === null) return null;
  const scaled = (seconds - POSTGRES_EPOCH_SECONDS) * 1e6;
  let micros = Math.round(scaled);
  if (micros - scaled === 0.5 && micros % 2 !== 0) micros -= 1; // rint(): ties go to even
  return isoFromMicros(BigInt(micros) + BigInt(POSTGRES_EPOCH_SECONDS) * 1_000_000n);
}
