/**
 * The one SINETStream message codec (SPEC §3.1) used by the sink, the smoke test and the preview seeding.
 *
 *   v3: DF 03 | 00 00 | key version (u16 BE, 0 = plain) | v2 body
 *   v2: C3 01 | 8-byte Avro schema fingerprint | Avro record { tstamp: long (µs), msg: bytes }
 *
 * Anything that is neither is treated as a plain UTF-8 value (a Pi configured without the envelope); whether that
 * text is a perftool result is decided by the caller, not here.
 */

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

const utf8 = new TextDecoder('utf-8', { fatal: true });

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
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length === 0) return fail('empty message');
  if (buf[0] === V3_MARKER) return decodeV3(buf);
  if (buf[0] === V2_MARKER) return decodeV2(buf, 'v2');
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
  return decodeV2(buf.subarray(V3_HEADER_LENGTH), 'v3');
}

function decodeV2(buf: Buffer, format: 'v2' | 'v3'): DecodedMessage {
  if (buf.length < 2 || buf[0] !== V2_MARKER) {
    return fail(`bad SINETStream v2 marker in a ${format} message (expected 0xc3 0x01)`);
  }
  if (buf[1] !== V2_VERSION) return fail(`unsupported SINETStream v2 version ${hexByte(buf[1])} (expected 0x01)`);
  if (buf.length < V2_HEADER_LENGTH) return fail(`truncated SINETStream header (${buf.length} of ${V2_HEADER_LENGTH} bytes)`);
  const fingerprint = buf.subarray(2, V2_HEADER_LENGTH);
  if (!fingerprint.equals(SINETSTREAM_SCHEMA_FINGERPRINT)) {
    return fail(`unknown Avro schema fingerprint ${fingerprint.toString('hex')} (expected ${SINETSTREAM_SCHEMA_FINGERPRINT.toString('hex')})`);
  }
  const tstamp = readZigZagVarint(buf, V2_HEADER_LENGTH);
  if (!tstamp.ok) return fail(`bad Avro tstamp: ${tstamp.reason}`);
  const length = readZigZagVarint(buf, tstamp.next);
  if (!length.ok) return fail(`bad Avro msg length: ${length.reason}`);
  if (length.value < 0n) return fail(`bad Avro msg length: negative (${length.value})`);
  const start = length.next;
  const available = buf.length - start;
  if (length.value > BigInt(available)) {
    return fail(`truncated Avro msg: ${length.value} bytes declared, ${available} present`);
  }
  const end = start + Number(length.value);
  if (end !== buf.length) return fail(`${buf.length - end} unexpected bytes after the Avro record`);
  return { ok: true, format, tstampMicros: tstamp.value, payload: buf.subarray(start, end) };
}

function decodePlainText(buf: Buffer): DecodedMessage {
  try {
    utf8.decode(buf);
  } catch {
    return fail(`not a SINETStream message (first byte ${hexByte(buf[0])}) and not UTF-8 text`);
  }
  return { ok: true, format: 'json', tstampMicros: null, payload: buf };
}

type VarintResult = { ok: true; value: bigint; next: number } | { ok: false; reason: string };

function readZigZagVarint(buf: Buffer, offset: number): VarintResult {
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
