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
  return summaryOf(results).bucketRows();
}

/** Per publisher: the batch's first and last result time and its number of results. */
export function publisherRows(results: readonly ResultRow[]): PublisherRow[] {
  return summaryOf(results).publisherRows();
}

function summaryOf(results: readonly ResultRow[]): BatchSummary {
  const summary = new BatchSummary();
  for (const result of results) summary.add(result);
  return summary;
}

/**
 * Takes a batch's results one at a time (the sink adds them as they are decoded, while the database is busy, and
 * keeps no result beyond that) and sums them into 30-second bucket rows and publisher rows. The wider bucket
 * widths (all multiples of 30 s) are added up from the 30-second rows at the end.
 */
export class BatchSummary {
  /** Results added. */
  results = 0;
  private readonly finest = new Map<string, BucketRow>();
  private readonly publishers = new Map<string, PublisherRow & { first: string; last: string }>();

  add(result: ResultRow): void {
    this.results++;
    const { publisher, timestamp, serving } = result;
    const row = bucketOf(this.finest, BUCKET_WIDTHS_SECONDS[0], publisher, Date.parse(timestamp));
    row.resultCount++;
    for (let i = 0; i < BUCKET_METRICS.length; i++) {
      const value = serving[BUCKET_METRICS[i]];
      if (value !== null) {
        row.sums[i] += value;
        row.counts[i]++;
      }
    }
    const sortable = sortableIso(timestamp);
    const seen = this.publishers.get(publisher);
    if (seen === undefined) {
      this.publishers.set(publisher, { publisher, firstSeen: timestamp, lastSeen: timestamp, resultCount: 1, first: sortable, last: sortable });
      return;
    }
    seen.resultCount++;
    if (sortable < seen.first) [seen.first, seen.firstSeen] = [sortable, timestamp];
    if (sortable > seen.last) [seen.last, seen.lastSeen] = [sortable, timestamp];
  }

  /** Every width's rows, in key order (width, publisher by code unit, bucket). */
  bucketRows(): BucketRow[] {
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

  publisherRows(): PublisherRow[] {
    return [...this.publishers.values()].map(({ publisher, firstSeen, lastSeen, resultCount }) => ({ publisher, firstSeen, lastSeen, resultCount }));
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

/**
 * decodeRecord writes `…SS.mmmZ` (from a Kafka timestamp) or `…SS.mmmuuuZ`; padded to one spelling, such strings
 * order like the instants they name.
 */
const sortableIso = (iso: string) => (iso.length === 24 ? `${iso.slice(0, 23)}000Z` : iso);
