/**
 * The time buckets and the publisher summary one batch of results adds, computed in the sink (pure, no I/O) so
 * the database receives a few thousand pre-aggregated rows to merge instead of re-reading the batch's results.
 */
import type { ResultRow, ServingValues } from './decode-record';

/** Bucket widths behind perftool_30sec, _1min, _2min, _10min, _1hour (perftool_rollup.width_seconds). */
export const BUCKET_WIDTHS_SECONDS = [30, 60, 120, 600, 3600] as const;

/** The 8 charted metrics: each gets a sum and a non-null count per bucket. */
export const BUCKET_METRICS = [
  'reader_bytes_rate', 'writer_bytes_rate', 'reader_count_rate', 'writer_count_rate',
  'reader_error_rate', 'writer_error_rate', 'reader_error_count', 'writer_error_count',
] as const satisfies readonly (keyof ServingValues)[];

/**
 * One perftool_rollup row's contribution: sums and non-null counts merge by addition, which keeps averages
 * exact under any arrival order or batch split.
 */
export interface BucketRow {
  widthSeconds: number;
  publisher: string;
  /** Bucket start (date_bin from the epoch), ms since the epoch. */
  bucketMs: number;
  resultCount: number;
  /** Per metric, in BUCKET_METRICS order. */
  sums: number[];
  counts: number[];
}

export interface PublisherRow {
  publisher: string;
  /** Earliest and latest result timestamps of the batch, as the results carry them (µs precision kept). */
  firstSeen: string;
  lastSeen: string;
  resultCount: number;
}

/**
 * The rows the batch's results add to every bucket width, keyed and summed like date_bin(width, ts, epoch), in
 * key order (width, publisher by code unit, bucket): concurrent batches then lock shared rows in the same order.
 */
export function bucketRows(results: readonly ResultRow[]): BucketRow[] {
  const buckets = new BucketAggregator();
  for (const result of results) buckets.add(result);
  return buckets.rows();
}

/**
 * Collects results one at a time (the sink adds them as they are decoded, while the database is busy) into
 * 30-second rows; rows() adds those up into the wider widths (all multiples of 30 s).
 */
export class BucketAggregator {
  private readonly finest = new Map<string, BucketRow>();

  add(result: ResultRow): void {
    const row = bucketOf(this.finest, BUCKET_WIDTHS_SECONDS[0], result.publisher, Date.parse(result.timestamp));
    row.resultCount++;
    for (let i = 0; i < BUCKET_METRICS.length; i++) {
      const value = result.serving[BUCKET_METRICS[i]];
      if (value !== null) {
        row.sums[i] += value;
        row.counts[i]++;
      }
    }
  }

  rows(): BucketRow[] {
    const all = [...this.finest.values()];
    for (const widthSeconds of BUCKET_WIDTHS_SECONDS.slice(1)) {
      const rows = new Map<string, BucketRow>();
      for (const part of this.finest.values()) {
        const row = bucketOf(rows, widthSeconds, part.publisher, part.bucketMs);
        row.resultCount += part.resultCount;
        for (let i = 0; i < BUCKET_METRICS.length; i++) {
          row.sums[i] += part.sums[i];
          row.counts[i] += part.counts[i];
        }
      }
      all.push(...rows.values());
    }
    return all.sort((a, b) => a.widthSeconds - b.widthSeconds || compareCodeUnits(a.publisher, b.publisher) || a.bucketMs - b.bucketMs);
  }
}

/** The row of `rows` for the bucket of `widthSeconds` holding time `ms`, created empty when missing. */
function bucketOf(rows: Map<string, BucketRow>, widthSeconds: number, publisher: string, ms: number): BucketRow {
  const widthMs = widthSeconds * 1000;
  const bucketMs = Math.floor(ms / widthMs) * widthMs;
  const key = `${bucketMs} ${publisher}`;
  let row = rows.get(key);
  if (row === undefined) {
    row = { widthSeconds, publisher, bucketMs, resultCount: 0, sums: new Array(BUCKET_METRICS.length).fill(0), counts: new Array(BUCKET_METRICS.length).fill(0) };
    rows.set(key, row);
  }
  return row;
}

const compareCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Per publisher: the batch's first and last result time and its number of results. */
export function publisherRows(results: readonly ResultRow[]): PublisherRow[] {
  const publishers = new Map<string, PublisherRow & { first: string; last: string }>();
  for (const { publisher, timestamp } of results) {
    const sortable = sortableIso(timestamp);
    const row = publishers.get(publisher);
    if (row === undefined) {
      publishers.set(publisher, { publisher, firstSeen: timestamp, lastSeen: timestamp, resultCount: 1, first: sortable, last: sortable });
      continue;
    }
    row.resultCount++;
    if (sortable < row.first) [row.first, row.firstSeen] = [sortable, timestamp];
    if (sortable > row.last) [row.last, row.lastSeen] = [sortable, timestamp];
  }
  return [...publishers.values()].map(({ publisher, firstSeen, lastSeen, resultCount }) => ({ publisher, firstSeen, lastSeen, resultCount }));
}

/**
 * decodeRecord writes `…SS.mmmZ` (from a Kafka timestamp) or `…SS.mmmuuuZ`; padded to one spelling, such strings
 * order like the instants they name.
 */
const sortableIso = (iso: string) => (iso.length === 24 ? `${iso.slice(0, 23)}000Z` : iso);
