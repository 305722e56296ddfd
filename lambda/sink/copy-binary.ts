/**
 * COPY binary-format data for the tables a result is stored in (pure, no I/O). Binary spares both sides the
 * text round trip: no escaping of the JSON, and PostgreSQL reads floats, integers and timestamps as raw 8-byte
 * values instead of parsing their text. Column lists and row writers sit side by side so their order cannot
 * drift apart.
 */
import { BUCKET_METRICS, type BucketRow } from './buckets';
import type { ResultRow, ServingRow, ServingValues } from './decode-record';

/** perftool_message columns, in the order writeMessageRow() writes them. */
export const MESSAGE_COLUMNS = ['topic', 'kafka_partition', 'kafka_offset', 'kafka_timestamp', 'tstamp', 'format', 'msg'] as const;

/** The double precision columns of `perftool` (besides the window edges). */
export const FLOAT_COLUMNS = [
  'reader_bytes_rate', 'writer_bytes_rate', 'reader_count_rate', 'writer_count_rate',
  'reader_error_rate', 'writer_error_rate', 'reader_error_count', 'writer_error_count',
  'reader_msg_count', 'writer_msg_count', 'reader_msg_size_avg', 'writer_msg_size_avg',
] as const satisfies readonly (keyof ServingValues)[];

/** perftool columns, in the order writeServingRow() writes them. */
export const SERVING_COLUMNS = ['"timestamp"', 'publisher', ...FLOAT_COLUMNS, 'thread_number', 'window_start', 'window_end'] as const;

/** perftool_rollup columns, in the order writeBucketRow() writes them. */
export const ROLLUP_COLUMNS = [
  'width_seconds', 'publisher', 'bucket', 'result_count', ...BUCKET_METRICS.flatMap((m) => [`${m}_sum`, `${m}_n`]),
] as const;

/** The sink's staging table for bucket rows: the perftool_rollup columns and whether the bucket may be stored already. */
export const BUCKET_STAGING_COLUMNS = [...ROLLUP_COLUMNS, 'may_be_stored'] as const;

/** Seconds between the Unix epoch and PostgreSQL's (2000-01-01), where binary timestamps count from. */
const POSTGRES_EPOCH_SECONDS = 946_684_800;
const POSTGRES_EPOCH_MS = POSTGRES_EPOCH_SECONDS * 1000;
const TWO_POW_32 = 2 ** 32;

/** "PGCOPY\n\377\r\n\0", then flags and header extension length (both 0). */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0', 'latin1');

/**
 * Accumulates COPY binary rows in a growing buffer; take() hands out what was written so far, so rows can be
 * streamed in chunks. The first chunk carries the file header, finish() appends the trailer.
 */
export class CopyBinaryWriter {
  private buf!: Buffer;
  /** Numbers go through a DataView: much cheaper per value than Buffer's checked write methods. */
  private view!: DataView;
  private at = 0;
  /** UTF-8 of the short strings every row repeats (topic, format, publisher): encoded once per batch. */
  private readonly encoded = new Map<string, Buffer>();

  constructor() {
    this.allocate(1 << 16);
    this.at = SIGNATURE.copy(this.buf);
  }

  /** Starts a row of `fields` fields. */
  row(fields: number): this {
    this.reserve(2);
    this.view.setInt16(this.at, fields);
    this.at += 2;
    return this;
  }

  null(): this {
    this.reserve(4);
    this.view.setInt32(this.at, -1);
    this.at += 4;
    return this;
  }

  /** text, and json (whose binary form is its text), as UTF-8. */
  text(value: string | null): this {
    if (value === null) return this.null();
    this.reserve(4 + value.length * 3); // a UTF-16 code unit is at most 3 UTF-8 bytes
    const written = this.buf.write(value, this.at + 4, 'utf8');
    this.view.setInt32(this.at, written);
    this.at += 4 + written;
    return this;
  }

  /** A short text repeated across rows (topic, format, publisher name), from its cached UTF-8 bytes. */
  label(value: string): this {
    let bytes = this.encoded.get(value);
    if (bytes === undefined) {
      if (this.encoded.size >= 1000) this.encoded.clear();
      bytes = Buffer.from(value, 'utf8');
      this.encoded.set(value, bytes);
    }
    return this.bytes(bytes);
  }

  /** A field given as its bytes: text or json already in UTF-8. */
  bytes(value: Uint8Array): this {
    this.reserve(4 + value.length);
    this.view.setInt32(this.at, value.length);
    this.buf.set(value, this.at + 4);
    this.at += 4 + value.length;
    return this;
  }

  bool(value: boolean): this {
    this.reserve(5);
    this.view.setInt32(this.at, 1);
    this.view.setUint8(this.at + 4, value ? 1 : 0);
    this.at += 5;
    return this;
  }

  int4(value: number | null): this {
    if (value === null) return this.null();
    this.reserve(8);
    this.view.setInt32(this.at, 4);
    this.view.setInt32(this.at + 4, value);
    this.at += 8;
    return this;
  }

  /**
   * A 64-bit integer: a bigint, or an integer held in a Number (exact beyond 2^53 too, as every such double is an
   * integer; the usual safe range is written without BigInt, which is slower).
   */
  int8(value: number | bigint | null): this {
    if (value === null) return this.null();
    this.reserve(12);
    this.view.setInt32(this.at, 8);
    if (typeof value === 'number' && Number.isSafeInteger(value)) {
      const high = Math.floor(value / TWO_POW_32);
      this.view.setInt32(this.at + 4, high);
      this.view.setUint32(this.at + 8, value - high * TWO_POW_32);
    } else {
      this.view.setBigInt64(this.at + 4, BigInt(value));
    }
    this.at += 12;
    return this;
  }

  float8(value: number | null): this {
    if (value === null) return this.null();
    this.reserve(12);
    this.view.setInt32(this.at, 8);
    this.view.setFloat64(this.at + 4, value);
    this.at += 12;
    return this;
  }

  /** timestamptz from an ISO 8601 string as decodeRecord writes them (`…SS.mmmZ` or `…SS.mmmuuuZ`). */
  timestamptz(iso: string | null): this {
    if (iso === null) return this.null();
    return this.timestamptzFromMillis(Date.parse(iso), iso.length === 27 ? Number(iso.slice(23, 26)) : 0);
  }

  /** timestamptz from whole milliseconds since the Unix epoch, plus 0-999 µs. */
  timestamptzFromMillis(ms: number, micros = 0): this {
    const sinceEpochMs = ms - POSTGRES_EPOCH_MS;
    const sinceEpochMicros = sinceEpochMs * 1000 + micros;
    // From 2285 on, µs since 2000 pass 2^53: exact in BigInt.
    return this.int8(Number.isSafeInteger(sinceEpochMicros) ? sinceEpochMicros : BigInt(sinceEpochMs) * 1000n + BigInt(micros));
  }

  /**
   * timestamptz from epoch seconds, the value PostgreSQL's to_timestamp(double precision) gives, computed the
   * same way (shift to its epoch, scale to µs, round half to even) so it is identical to the bit.
   */
  timestamptzFromEpochSeconds(seconds: number | null): this {
    if (seconds === null) return this.null();
    const scaled = (seconds - POSTGRES_EPOCH_SECONDS) * 1e6;
    let micros = Math.round(scaled);
    if (micros - scaled === 0.5 && micros % 2 !== 0) micros -= 1; // rint(): ties go to even
    return this.int8(micros);
  }

  /** The rows written since the last take() (the header first), as a buffer of their own. */
  take(): Buffer {
    const chunk = Buffer.from(this.buf.subarray(0, this.at));
    this.at = 0;
    return chunk;
  }

  /** Appends the file trailer and returns the remaining bytes. */
  finish(): Buffer {
    this.reserve(2);
    this.view.setInt16(this.at, -1);
    this.at += 2;
    return this.take();
  }

  private allocate(size: number): void {
    const memory = new ArrayBuffer(size);
    const grown = Buffer.from(memory);
    if (this.buf !== undefined) this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
    this.view = new DataView(memory);
  }

  private reserve(bytes: number): void {
    if (this.at + bytes > this.buf.length) this.allocate(Math.max(this.buf.length * 2, this.at + bytes));
  }
}

/** One perftool_message row: the JSON text exactly as received, with its Kafka coordinates. */
export function writeMessageRow(w: CopyBinaryWriter, r: ResultRow): void {
  w.row(MESSAGE_COLUMNS.length).label(r.topic).int4(r.partition).int8(r.offset).timestamptz(r.kafkaTimestamp)
    .timestamptz(r.timestamp).label(r.format).bytes(r.msgBytes);
}

/** One perftool row. */
export function writeServingRow(w: CopyBinaryWriter, r: ServingRow): void {
  const s = r.serving;
  w.row(SERVING_COLUMNS.length).timestamptz(r.timestamp).label(r.publisher);
  for (const column of FLOAT_COLUMNS) w.float8(s[column]);
  w.int4(s.thread_number).timestamptzFromEpochSeconds(s.window_start).timestamptzFromEpochSeconds(s.window_end);
}

/** One staged bucket row: a bucket's sums and non-null counts from this batch, and whether it may be stored already. */
export function writeBucketRow(w: CopyBinaryWriter, b: BucketRow, mayBeStored: boolean): void {
  w.row(BUCKET_STAGING_COLUMNS.length).int4(b.widthSeconds).label(b.publisher).timestamptzFromMillis(b.bucketMs).int8(b.resultCount);
  for (let i = 0; i < BUCKET_METRICS.length; i++) w.float8(b.sums[i]).int8(b.counts[i]);
  w.bool(mayBeStored);
}
