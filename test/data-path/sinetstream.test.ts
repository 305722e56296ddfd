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
