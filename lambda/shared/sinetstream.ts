/**
 * The one SINETStream message codec (SPEC §3.1) used by the sink, the smoke test and the preview seeding.
 *
 *   v3: DF 03 | 00 00 | key version (u16 BE, 0 = plain) | v2 body
 *   v2: C3 01 | 8-byte Avro schema fingerprint | Avro record { tstamp: long (µs), msg: bytes }
 *
 * Anything that is neither is treated as a plain UTF-8 value (a Pi configured without the envelope); whether that
 * text is a perftool result is decided by the caller, not here.
 */

import { isUtf8 } from 'node:buffer';

export type SinetStreamVersion = 2 | 3;

export type DecodedMessage =
  | { ok: true; format: 'v3' | 'v2' | 'json'; tstampMicros: bigint | null; payload: Buffer }
  | { ok: false; reason: string };

const V3_MARKER = 0xdf;
const V3_VERSION = 0x03;
const V3_HEADER_LENGTH = 6;
const V2_MARKER = 0xc3;
const V2_VERSION = 0x01;
/** Fingerprint of SINETStream's Avro schema {tstamp: timestamp-micros, msg: bytes}; the only one writers use. */
export const SINETSTREAM_SCHEMA_FINGERPRINT = Buffer.from('1f9c0c91eb33664f', 'hex');
const V2_HEADER_LENGTH = 2 + SINETSTREAM_SCHEMA_FINGERPRINT.length;

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
/** An Avro long takes at most 10 varint bytes. */
const MAX_VARINT_BYTES = 10;

/** Encodes a payload (the JSON text) with its publish time, as SINETStream's MessageWriter does. */
export function encodeSinetStream(
  payload: Buffer | string,
  tstampMicros: bigint,
  options: { version: SinetStreamVersion } = { version: 3 },
): Buffer {
  if (tstampMicros < INT64_MIN || tstampMicros > INT64_MAX) {
    throw new RangeError(`tstamp ${tstampMicros} µs does not fit an Avro long`);
  }
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const v2 = Buffer.concat([
    Buffer.from([V2_MARKER, V2_VERSION]),
    SINETSTREAM_SCHEMA_FINGERPRINT,
    zigZagVarint(tstampMicros),
    zigZagVarint(BigInt(body.length)),
    body,
  ]);
  if (options.version === 2) return v2;
  return Buffer.concat([Buffer.from([V3_MARKER, V3_VERSION, 0, 0, 0, 0]), v2]);
}

/** Decodes one Kafka record value. Never throws: every malformed input yields `{ok: false, reason}`. */
export function decodeSinetStream(bytes: Uint8Array): DecodedMessage {
  // Every Buffer view costs an allocation: reuse a Buffer as is and read the v3/v2 layers by offset.
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length === 0) return fail('empty message');
  if (buf[0] === V3_MARKER) return decodeV3(buf);
  if (buf[0] === V2_MARKER) return decodeV2(buf, 0, 'v2');
  return decodePlainText(buf);
}

function decodeV3(buf: Buffer): DecodedMessage {
  if (buf.length < 2) return fail('truncated SINETStream v3 header (1 of 6 bytes)');
  if (buf[1] !== V3_VERSION) return fail(`unsupported SINETStream message version ${hexByte(buf[1])} after marker 0xdf`);
  if (buf.length < V3_HEADER_LENGTH) {
    return fail(`truncated SINETStream v3 header (${buf.length} of ${V3_HEADER_LENGTH} bytes)`);
  }
  const keyVersion = buf.readUInt16BE(4);
  if (keyVersion !== 0) {
    return fail(`encrypted SINETStream message (key version ${keyVersion}): cannot decode without the key`);
  }
  return decodeV2(buf, V3_HEADER_LENGTH, 'v3');
}

/** Decodes the v2 message that starts at `start` and runs to the end of `buf`. */
function decodeV2(buf: Buffer, start: number, format: 'v2' | 'v3'): DecodedMessage {
  const length = buf.length - start;
  if (length < 2 || buf[start] !== V2_MARKER) {
    return fail(`bad SINETStream v2 marker in a ${format} message (expected 0xc3 0x01)`);
  }
  if (buf[start + 1] !== V2_VERSION) return fail(`unsupported SINETStream v2 version ${hexByte(buf[start + 1])} (expected 0x01)`);
  if (length < V2_HEADER_LENGTH) return fail(`truncated SINETStream header (${length} of ${V2_HEADER_LENGTH} bytes)`);
  if (!hasSchemaFingerprint(buf, start + 2)) {
    const fingerprint = buf.toString('hex', start + 2, start + V2_HEADER_LENGTH);
    return fail(`unknown Avro schema fingerprint ${fingerprint} (expected ${SINETSTREAM_SCHEMA_FINGERPRINT.toString('hex')})`);
  }
  const tstamp = readZigZagVarint(buf, start + V2_HEADER_LENGTH);
  if (!tstamp.ok) return fail(`bad Avro tstamp: ${tstamp.reason}`);
  const msgLength = readZigZagVarint(buf, tstamp.next);
  if (!msgLength.ok) return fail(`bad Avro msg length: ${msgLength.reason}`);
  if (msgLength.value < 0) return fail(`bad Avro msg length: negative (${msgLength.value})`);
  const msgStart = msgLength.next;
  const available = buf.length - msgStart;
  if (msgLength.value > available) {
    return fail(`truncated Avro msg: ${msgLength.value} bytes declared, ${available} present`);
  }
  const end = msgStart + Number(msgLength.value);
  if (end !== buf.length) return fail(`${buf.length - end} unexpected bytes after the Avro record`);
  const tstampMicros = typeof tstamp.value === 'bigint' ? tstamp.value : BigInt(tstamp.value);
  return { ok: true, format, tstampMicros, payload: buf.subarray(msgStart, end) };
}

function hasSchemaFingerprint(buf: Buffer, at: number): boolean {
  for (let i = 0; i < SINETSTREAM_SCHEMA_FINGERPRINT.length; i++) {
    if (buf[at + i] !== SINETSTREAM_SCHEMA_FINGERPRINT[i]) return false;
  }
  return true;
}

function decodePlainText(buf: Buffer): DecodedMessage {
  // Validate without building the string: the caller decodes the text once.
  if (!isUtf8(buf)) return fail(`not a SINETStream message (first byte ${hexByte(buf[0])}) and not UTF-8 text`);
  return { ok: true, format: 'json', tstampMicros: null, payload: buf };
}

/** An Avro long: a Number when exactly representable (the common case), else a BigInt. */
type VarintResult = { ok: true; value: number | bigint; next: number } | { ok: false; reason: string };

/**
 * Fast path for an Avro long of at most 8 bytes whose zig-zag form is below 2^53 (every µs tstamp before year
 * 2112, every length): summed as a Number, exact because every partial sum is a safe integer (and a sum that
 * reached 2^53 cannot round back below it). Anything else is read again with BigInt.
 */
function readZigZagVarint(buf: Buffer, offset: number): VarintResult {
  const last = Math.min(offset + 8, buf.length);
  let raw = 0;
  let scale = 1;
  for (let at = offset; at < last; at++) {
    const byte = buf[at];
    raw += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      if (raw > Number.MAX_SAFE_INTEGER) break;
      return { ok: true, value: raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2, next: at + 1 };
    }
    scale *= 0x80;
  }
  return readZigZagVarintBig(buf, offset);
}

function readZigZagVarintBig(buf: Buffer, offset: number): VarintResult {
  let raw = 0n;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    const at = offset + i;
    if (at >= buf.length) return { ok: false, reason: 'truncated varint' };
    const byte = buf[at];
    raw |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if ((byte & 0x80) === 0) {
      if (raw > 0xffffffffffffffffn) return { ok: false, reason: 'varint exceeds 64 bits' };
      return { ok: true, value: (raw >> 1n) ^ -(raw & 1n), next: at + 1 };
    }
  }
  return { ok: false, reason: `varint longer than ${MAX_VARINT_BYTES} bytes` };
}

function zigZagVarint(value: bigint): Buffer {
  let raw = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  const out: number[] = [];
  while (raw >= 0x80n) {
    out.push(Number(raw & 0x7fn) | 0x80);
    raw >>= 7n;
  }
  out.push(Number(raw));
  return Buffer.from(out);
}

function hexByte(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

function fail(reason: string): DecodedMessage {
  return { ok: false, reason };
}
