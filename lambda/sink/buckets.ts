/**
 * The time buckets and the publisher summary one batch of results adds, computed in the sink (pure, no I/O) so
 * the database receives a few thousand pre-aggregated rows to merge instead of re-reading the batch's results.
 */
import type { ServingRow, ServingValues } from './decode-record';

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

/** A publisher's results stored before this batch: first and last result time, in whole ms (rounded down). */
export interface StoredSpan {
  firstMs: number;
  lastMs: number;
}

/**
 * Whether a bucket row may already be stored: only when a stored result can lie inside it, i.e. the bucket overlaps
 * the publisher's stored span. Any other bucket is new (usually all but the one at the end of the stored span), and
 * is inserted without an upsert's extra index probe. Bucket edges are whole milliseconds, so comparing them with
 * the rounded-down span is exact. `undefined`: nothing stored for the publisher.
 */
export function mayBeStored(row: BucketRow, stored: StoredSpan | undefined): boolean {
  return stored !== undefined && row.bucketMs <= stored.lastMs && row.bucketMs + row.widthSeconds * 1000 > stored.firstMs;
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
export function bucketRows(results: readonly ServingRow[]): BucketRow[] {
  return summaryOf(results).bucketRows();
}

/** Per publisher: the batch's first and last result time and its number of results. */
export function publisherRows(results: readonly ServingRow[]): PublisherRow[] {
  return summaryOf(results).publisherRows();
}

function summaryOf(results: readonly ServingRow[]): BatchSummary {
  const summary = new BatchSummary();
  for (const result of results) summary.add(result);
  return summary;
}

/** One publisher's part of a BatchSummary: `first`/`last` are the sortable spellings of its first/last seen. */
interface PublisherSums {
  row: PublisherRow;
  first: string;
  last: string;
  /** 30-second bucket rows by bucket start (ms). */
  buckets: Map<number, BucketRow>;
}

/**
 * Takes a batch's results one at a time (the sink adds them while the database stores the perftool rows) and sums
 * them into 30-second bucket rows and publisher rows. The wider bucket widths (all multiples of 30 s) are added up
 * from the 30-second rows at the end.
 */
export class BatchSummary {
  /** Results added. */
  results = 0;
  private readonly publishers = new Map<string, PublisherSums>();

  add(result: ServingRow): void {
    this.results++;
    const { publisher, timestamp, serving: s } = result;
    const sortable = sortableIso(timestamp);
    let seen = this.publishers.get(publisher);
    if (seen === undefined) {
      const row = { publisher, firstSeen: timestamp, lastSeen: timestamp, resultCount: 0 };
      seen = { row, first: sortable, last: sortable, buckets: new Map() };
      this.publishers.set(publisher, seen);
    }
    seen.row.resultCount++;
    if (sortable < seen.first) [seen.first, seen.row.firstSeen] = [sortable, timestamp];
    if (sortable > seen.last) [seen.last, seen.row.lastSeen] = [sortable, timestamp];

    const row = bucketOf(seen.buckets, BUCKET_WIDTHS_SECONDS[0], publisher, Date.parse(timestamp));
    row.resultCount++;
    // In BUCKET_METRICS order, read by name: a loop over the names costs a keyed lookup per value.
    addValue(row, 0, s.reader_bytes_rate);
    addValue(row, 1, s.writer_bytes_rate);
    addValue(row, 2, s.reader_count_rate);
    addValue(row, 3, s.writer_count_rate);
    addValue(row, 4, s.reader_error_rate);
    addValue(row, 5, s.writer_error_rate);
    addValue(row, 6, s.reader_error_count);
    addValue(row, 7, s.writer_error_count);
  }

  /** Every width's rows, in key order (width, publisher by code unit, bucket). */
  bucketRows(): BucketRow[] {
    const publishers = [...this.publishers.keys()].sort(compareCodeUnits);
    const all: BucketRow[] = [];
    for (const widthSeconds of BUCKET_WIDTHS_SECONDS) {
      for (const publisher of publishers) {
        const finest = this.publishers.get(publisher)!.buckets;
        let rows = finest;
        if (widthSeconds !== BUCKET_WIDTHS_SECONDS[0]) {
          rows = new Map();
          for (const part of finest.values()) {
            const row = bucketOf(rows, widthSeconds, publisher, part.bucketMs);
            row.resultCount += part.resultCount;
            for (let i = 0; i < BUCKET_METRICS.length; i++) {
              row.sums[i] += part.sums[i];
              row.counts[i] += part.counts[i];
            }
          }
        }
        all.push(...[...rows.values()].sort((a, b) => a.bucketMs - b.bucketMs));
      }
    }
    return all;
  }

  publisherRows(): PublisherRow[] {
    return [...this.publishers.values()].map((p) => p.row);
  }
}

function addValue(row: BucketRow, metric: number, value: number | null): void {
  if (value === null) return;
  row.sums[metric] += value;
  row.counts[metric]++;
}

/** The row of `rows` (one publisher's, keyed by bucket start) for the bucket of `widthSeconds` holding time `ms`. */
function bucketOf(rows: Map<number, BucketRow>, widthSeconds: number, publisher: string, ms: number): BucketRow {
  const widthMs = widthSeconds * 1000;
  const bucketMs = Math.floor(ms / widthMs) * widthMs;
  let row = rows.get(bucketMs);
  if (row === undefined) {
    const zeros = () => new Array<number>(BUCKET_METRICS.length).fill(0);
    row = { widthSeconds, publisher, bucketMs, resultCount: 0, sums: zeros(), counts: zeros() };
    rows.set(bucketMs, row);
  }
  return row;
}

const compareCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * decodeRecord writes `…SS.mmmZ` (from a Kafka timestamp) or `…SS.mmmuuuZ`; padded to one spelling, such strings
 * order like the instants they name.
 */
const sortableIso = (iso: string) => (iso.length === 24 ? `${iso.slice(0, 23)}000Z` : iso);
