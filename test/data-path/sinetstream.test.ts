import fc from 'fast-check';
import { decodeSinetStream, encodeSinetStream } from '../../lambda/shared/sinetstream';
import { JAVA_V2_HEX, JAVA_V3_HEX, perftoolResultLines, realResultBase64 } from './vectors';

const hex = (h: string) => Buffer.from(h, 'hex');

describe('decodeSinetStream on the vectors', () => {
  test('v2 bytes from the Java serializer decode to "message 0" at 1577804400000', () => {
    const r = decodeSinetStream(hex(JAVA_V2_HEX));
    expect(r).toEqual({ ok: true, format: 'v2', tstampMicros: 1577804400000n, payload: Buffer.from('message 0') });
  });

  test('v3 with key version 0 decodes to the same record', () => {
    const r = decodeSinetStream(hex(JAVA_V3_HEX));
    expect(r).toEqual({ ok: true, format: 'v3', tstampMicros: 1577804400000n, payload: Buffer.from('message 0') });
  });

  test('the real perftool result decodes to its tstamp and the first JSON line, byte for byte', () => {
    const r = decodeSinetStream(Buffer.from(realResultBase64(), 'base64'));
    if (!r.ok) throw new Error(r.reason);
    expect(r.format).toBe('v3');
    expect(r.tstampMicros).toBe(1648491955700123n);
    expect(r.payload.toString('utf8')).toBe(perftoolResultLines()[0]);
  });

  test('encoding the real result reproduces the Pi runner bytes exactly', () => {
    const encoded = encodeSinetStream(perftoolResultLines()[0], 1648491955700123n);
    expect(encoded.toString('base64')).toBe(realResultBase64());
    expect(encodeSinetStream('message 0', 1577804400000n, { version: 2 }).toString('hex')).toBe(JAVA_V2_HEX);
  });

  test.each([
    ['bad marker (first byte 00)', `00${JAVA_V2_HEX.slice(2)}`, 'not a SINETStream message (first byte 0x00) and not UTF-8 text'],
    ['v3 header with version byte 02', `df0200000000${JAVA_V2_HEX}`, 'unsupported SINETStream message version 0x02 after marker 0xdf'],
    ['v2 with its last byte cut off', JAVA_V2_HEX.slice(0, -2), 'truncated Avro msg: 9 bytes declared, 8 present'],
    ['df 03 00 00 alone', 'df030000', 'truncated SINETStream v3 header (4 of 6 bytes)'],
    ['encrypted v3 (key version 3)', `df0300000003${JAVA_V2_HEX}`, 'encrypted SINETStream message (key version 3): cannot decode without the key'],
    ['unknown schema fingerprint', `c3010102030405060708${JAVA_V2_HEX.slice(20)}`, 'unknown Avro schema fingerprint 0102030405060708 (expected 1f9c0c91eb33664f)'],
    ['trailing garbage', `${JAVA_V2_HEX}00`, '1 unexpected bytes after the Avro record'],
    ['negative msg length', 'c3011f9c0c91eb33664f0201', 'bad Avro msg length: negative (-1)'],
    ['empty value', '', 'empty message'],
  ])('rejects %s with the precise reason', (_name, input, reason) => {
    expect(decodeSinetStream(hex(input))).toEqual({ ok: false, reason });
  });

  test('plain UTF-8 JSON passes through as format json without a tstamp', () => {
    const line = perftoolResultLines()[1];
    expect(decodeSinetStream(Buffer.from(line))).toEqual({ ok: true, format: 'json', tstampMicros: null, payload: Buffer.from(line) });
  });
});

describe('decodeSinetStream properties', () => {
  const int64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });

  test('arbitrary bytes never throw and always yield ok or a reason', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const r = decodeSinetStream(bytes);
        return r.ok ? Buffer.isBuffer(r.payload) : typeof r.reason === 'string' && r.reason.length > 0;
      }),
      { numRuns: 2000 },
    );
  });

  test('arbitrary bytes behind a valid header never throw', () => {
    const header = fc.constantFrom(hex('df0300000000c3011f9c0c91eb33664f'), hex('c3011f9c0c91eb33664f'));
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 32 }), (h, tail) => {
        const r = decodeSinetStream(Buffer.concat([h, tail]));
        return r.ok || r.reason.length > 0;
      }),
      { numRuns: 2000 },
    );
  });

  test('encode → decode round-trips payload and tstamp for v2 and v3', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), int64, fc.constantFrom<2 | 3>(2, 3), (payload, tstamp, version) => {
        const r = decodeSinetStream(encodeSinetStream(Buffer.from(payload), tstamp, { version }));
        expect(r).toEqual({ ok: true, format: `v${version}`, tstampMicros: tstamp, payload: Buffer.from(payload) });
      }),
      { numRuns: 1000 },
    );
  });

  test('any truncation of a valid message is rejected, never misread', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }), int64, (text, tstamp) => {
        const full = encodeSinetStream(text, tstamp);
        for (let cut = 1; cut < full.length; cut++) {
          const r = decodeSinetStream(full.subarray(0, cut));
          expect(r.ok).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });

  test('encoding rejects a tstamp outside the Avro long range', () => {
    expect(() => encodeSinetStream('x', 1n << 63n)).toThrow(RangeError);
  });
});

/** The decoder reads varints as Numbers when exact and validates plain text without decoding it: both checked here. */
describe('decodeSinetStream fast paths agree with the straightforward computation', () => {
  const HEADER = 'c3011f9c0c91eb33664f';
  /** Seven-bit groups, least significant first, as varint bytes (continuation bit on all but the last). */
  const varintBytes = (groups: number[]) => groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g));
  /** The BigInt reading of a zig-zag varint, without any Number shortcut. */
  const referenceValue = (groups: number[]) => {
    const raw = groups.reduce((acc, g, i) => acc | (BigInt(g) << BigInt(7 * i)), 0n);
    return { raw, value: (raw >> 1n) ^ -(raw & 1n) };
  };
  // Up to 10 groups (a canonical or zero-padded Avro long); the high groups often large to straddle 2^53 and 2^64.
  const groups = fc.array(fc.oneof(fc.integer({ min: 0, max: 127 }), fc.constantFrom(0, 1, 0x1f, 0x20, 0x3f, 0x40, 0x7f)),
    { minLength: 1, maxLength: 10 });
  const message = (tstamp: number[], length: number[], payload: number[]) =>
    Buffer.concat([Buffer.from(HEADER, 'hex'), Buffer.from(varintBytes(tstamp)), Buffer.from(varintBytes(length)), Buffer.from(payload)]);

  test('any tstamp varint decodes to its BigInt value, or is refused beyond 64 bits', () => {
    fc.assert(fc.property(groups, (tstamp) => {
      const { raw, value } = referenceValue(tstamp);
      const r = decodeSinetStream(message(tstamp, [4], [0x34, 0x32])); // zig-zag 4 = length 2
      if (raw > 0xffffffffffffffffn) expect(r).toEqual({ ok: false, reason: 'bad Avro tstamp: varint exceeds 64 bits' });
      else expect(r).toEqual({ ok: true, format: 'v2', tstampMicros: value, payload: Buffer.from('42') });
    }), { numRuns: 2000 });
  });

  test('any msg length varint is checked against the bytes present with the BigInt value', () => {
    fc.assert(fc.property(groups, fc.integer({ min: 0, max: 3 }), (length, present) => {
      const { raw, value } = referenceValue(length);
      const r = decodeSinetStream(message([0], length, Array(present).fill(0x20)));
      const expected = raw > 0xffffffffffffffffn ? 'bad Avro msg length: varint exceeds 64 bits'
        : value < 0n ? `bad Avro msg length: negative (${value})`
          : value > BigInt(present) ? `truncated Avro msg: ${value} bytes declared, ${present} present`
            : value < BigInt(present) ? `${BigInt(present) - value} unexpected bytes after the Avro record` : null;
      expect(r).toEqual(expected === null ? { ok: true, format: 'v2', tstampMicros: 0n, payload: Buffer.alloc(present, 0x20) }
        : { ok: false, reason: expected });
    }), { numRuns: 2000 });
  });

  test('tstamps around ±2^52 (zig-zag 2^53) and real µs clocks round-trip exactly', () => {
    const near = (center: bigint) => fc.bigInt({ min: center - 1000n, max: center + 1000n });
    const tstamp = fc.oneof(near(2n ** 52n), near(-(2n ** 52n)), near(2n ** 53n), near(0n), fc.bigInt({ min: 0n, max: 253402300799999999n }));
    fc.assert(fc.property(tstamp, (t) => {
      expect(decodeSinetStream(encodeSinetStream('{}', t))).toEqual({ ok: true, format: 'v3', tstampMicros: t, payload: Buffer.from('{}') });
    }), { numRuns: 2000 });
  });

  test('plain text is accepted exactly when a fatal TextDecoder accepts it', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true });
    const isText = (b: Buffer) => { try { fatal.decode(b); return true; } catch { return false; } };
    // Bytes that make or break UTF-8: ASCII, continuations, overlong and surrogate leads, out-of-range leads.
    const byte = fc.oneof(fc.integer({ min: 0x20, max: 0x7f }), fc.integer({ min: 0x80, max: 0xbf }),
      fc.constantFrom(0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff));
    const text = fc.array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength: 8 }).map((cps) => Buffer.from(`{${String.fromCodePoint(...cps)}`));
    const bytes = fc.oneof(fc.array(byte, { minLength: 1, maxLength: 12 }).map((b) => Buffer.from([0x7b, ...b])), text,
      fc.tuple(text, fc.nat()).map(([t, cut]) => t.subarray(0, 1 + (cut % t.length))));
    fc.assert(fc.property(bytes, (b) => {
      expect(decodeSinetStream(b).ok).toBe(isText(b));
    }), { numRuns: 2000 });
  });
});
