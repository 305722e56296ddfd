import fc from 'fast-check';
import { BUCKET_METRICS, BUCKET_WIDTHS_SECONDS, bucketRows, mayBeStored, publisherRows } from '../../lambda/sink/buckets';
import type { ResultRow, ServingValues } from '../../lambda/sink/decode-record';
import { isoFromMicros } from '../../lambda/sink/decode-record';

/** A result with only what the bucket code reads; the rest is filler. */
function result(publisher: string, timestamp: string, metrics: Partial<ServingValues>): ResultRow {
  const serving = Object.fromEntries(BUCKET_METRICS.map((m) => [m, metrics[m] ?? null])) as unknown as ServingValues;
  return { topic: 't', partition: 0, offset: 0, kafkaTimestamp: null, format: 'v3', timestamp, msg: '{}', msgBytes: Buffer.from('{}'), valueBase64: '', publisher, serving };
}

const metricValue = fc.option(fc.double({ min: -1e9, max: 1e9, noNaN: true }), { nil: null });
const results = fc.array(fc.record({
  publisher: fc.constantFrom('pi-a', 'pi-b', 'Pi-c', 'pi-ä'),
  micros: fc.bigInt({ min: 1_700_000_000_000_000n, max: 1_700_000_000_000_000n + 4n * 3600n * 1_000_000n }),
  msOnly: fc.boolean(),
  values: fc.array(metricValue, { minLength: BUCKET_METRICS.length, maxLength: BUCKET_METRICS.length }),
}).map(({ publisher, micros, msOnly, values }) => {
  const us = msOnly ? (micros / 1000n) * 1000n : micros;
  const iso = isoFromMicros(us) as string;
  return { us, row: result(publisher, msOnly ? `${iso.slice(0, 23)}Z` : iso, Object.fromEntries(BUCKET_METRICS.map((m, i) => [m, values[i]]))) };
}), { maxLength: 200 });

test('bucket rows equal a direct per-width aggregation of the results (date_bin from the epoch)', () => {
  fc.assert(fc.property(results, (generated) => {
    const reference = new Map<string, { n: number; sums: number[]; counts: number[] }>();
    for (const { us, row: r } of generated) {
      for (const width of BUCKET_WIDTHS_SECONDS) {
        const startUs = (us / BigInt(width * 1e6)) * BigInt(width * 1e6);
        const key = `${width}|${r.publisher}|${isoFromMicros(startUs)!.slice(0, 23)}Z`;
        const entry = reference.get(key) ?? { n: 0, sums: BUCKET_METRICS.map(() => 0), counts: BUCKET_METRICS.map(() => 0) };
        entry.n++;
        BUCKET_METRICS.forEach((m, i) => {
          if (r.serving[m] !== null) {
            entry.sums[i] += r.serving[m] as number;
            entry.counts[i]++;
          }
        });
        reference.set(key, entry);
      }
    }
    const actual = bucketRows(generated.map((g) => g.row));
    expect(actual).toHaveLength(reference.size);
    for (const b of actual) {
      const ref = reference.get(`${b.widthSeconds}|${b.publisher}|${new Date(b.bucketMs).toISOString()}`);
      expect(ref).toBeDefined();
      expect(b.resultCount).toBe(ref!.n);
      expect(b.counts).toEqual(ref!.counts);
      b.sums.forEach((s, i) => expect(Math.abs(s - ref!.sums[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(ref!.sums[i]))));
    }
  }));
});

test('a bucket counts as new only when no stored result can lie in it (edges exact to the microsecond)', () => {
  const micros = fc.bigInt({ min: 1_700_000_000_000_000n, max: 1_700_000_000_000_000n + 3n * 3600n * 1_000_000n });
  fc.assert(fc.property(fc.array(micros, { minLength: 1, maxLength: 5 }), micros, fc.constantFrom(...BUCKET_WIDTHS_SECONDS),
    (storedUs, probeUs, widthSeconds) => {
      // The span as the sink reads it: first and last stored result, rounded down to whole ms.
      const [first, last] = [storedUs.reduce((a, b) => (b < a ? b : a)), storedUs.reduce((a, b) => (b > a ? b : a))];
      const span = { firstMs: Number(first / 1000n), lastMs: Number(last / 1000n) };
      const widthUs = BigInt(widthSeconds) * 1_000_000n;
      const startUs = (probeUs / widthUs) * widthUs;
      const bucket = { widthSeconds, publisher: 'pi', bucketMs: Number(startUs / 1000n), resultCount: 1, sums: [], counts: [] };
      const holdsStored = storedUs.some((us) => us >= startUs && us < startUs + widthUs);
      if (holdsStored) expect(mayBeStored(bucket, span)).toBe(true);
      // Outside the stored span it is new: before the first result or after the last.
      if (startUs > last || startUs + widthUs <= first) expect(mayBeStored(bucket, span)).toBe(false);
      expect(mayBeStored(bucket, undefined)).toBe(false);
    }), {
      // Results on, just after and just before the edges of the 30-s bucket […10 s, …40 s).
      examples: [
        [[1_700_000_010_000_000n], 1_700_000_010_000_000n, 30], [[1_700_000_010_000_500n], 1_700_000_010_000_000n, 30],
        [[1_700_000_009_999_999n], 1_700_000_010_000_000n, 30], [[1_700_000_039_999_999n], 1_700_000_010_000_000n, 30],
        [[1_700_000_040_000_000n], 1_700_000_010_000_000n, 30],
      ],
    });
});

test('bucket rows come in key order (width, publisher by code unit, bucket), so concurrent batches lock alike', () => {
  fc.assert(fc.property(results, (generated) => {
    const keys = bucketRows(generated.map((g) => g.row)).map((b) => [b.widthSeconds, b.publisher, b.bucketMs] as const);
    const sorted = [...keys].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) || a[2] - b[2]);
    expect(keys).toEqual(sorted);
  }));
});

test('a bucket of a result on a bucket edge starts at that edge; one a microsecond earlier falls in the previous bucket', () => {
  const edge = result('p', '2023-11-14T22:13:30.000000Z', { reader_bytes_rate: 1 });
  const before = result('p', '2023-11-14T22:13:29.999999Z', { reader_bytes_rate: 2 });
  const thirty = bucketRows([edge, before]).filter((b) => b.widthSeconds === 30).map((b) => [new Date(b.bucketMs).toISOString(), b.sums[0]]);
  expect(thirty).toEqual([['2023-11-14T22:13:00.000Z', 2], ['2023-11-14T22:13:30.000Z', 1]]);
});

test('publisher rows: first and last result time with the microseconds, mixed ms and µs timestamps, and counts', () => {
  const rows = publisherRows([
    result('b', '2023-11-14T22:13:20.500001Z', {}),
    result('a', '2023-11-14T22:13:20.500Z', {}),
    result('b', '2023-11-14T22:13:20.500Z', {}),
    result('b', '2023-11-14T22:13:20.500002Z', {}),
    result('b', '2023-11-14T22:13:20.499999Z', {}),
  ]);
  expect(rows).toEqual([
    { publisher: 'b', firstSeen: '2023-11-14T22:13:20.499999Z', lastSeen: '2023-11-14T22:13:20.500002Z', resultCount: 4 },
    { publisher: 'a', firstSeen: '2023-11-14T22:13:20.500Z', lastSeen: '2023-11-14T22:13:20.500Z', resultCount: 1 },
  ]);
});
