/**
 * Result rows → chart data. Rows arrive per publisher from the API (a full window, then only what is new);
 * they are merged without duplicates, trimmed to the window and aligned on one x axis for uPlot.
 * In the aligned arrays `undefined` means "this series has no point here" (the line continues) and `null`
 * means "gap" (the line breaks), which is how uPlot distinguishes the two.
 */
import type { MetricKey } from './dashboard';

export const METRIC_FIELDS: Record<MetricKey, { reader: string; writer: string }> = {
  bytes: { reader: 'reader_bytes_rate', writer: 'writer_bytes_rate' },
  messages: { reader: 'reader_count_rate', writer: 'writer_count_rate' },
  errorRate: { reader: 'reader_error_rate', writer: 'writer_error_rate' },
  errorCount: { reader: 'reader_error_count', writer: 'writer_error_count' },
};

export const ALL_FIELDS = Object.values(METRIC_FIELDS).flatMap((f) => [f.reader, f.writer]);

export interface ResultRow {
  /** As the API returned it (kept verbatim so "newer than" queries use the exact stored value). */
  timestamp: string;
  publisher: string;
  [field: string]: string | number | null;
}

/** Row time in ms. */
export const rowTime = (r: ResultRow) => Date.parse(r.timestamp);

/**
 * Merges newly fetched rows into the held ones: a row with the same publisher and time is replaced (a bucket
 * that was still filling is re-read), the result is sorted by time and rows before `windowStartMs` are dropped.
 */
export function mergeRows(held: readonly ResultRow[], incoming: readonly ResultRow[], windowStartMs = -Infinity): ResultRow[] {
  const byKey = new Map<string, { t: number; row: ResultRow }>();
  for (const row of [...held, ...incoming]) {
    const t = rowTime(row);
    if (Number.isNaN(t) || t < windowStartMs) continue;
    byKey.set(`${row.publisher}\u0000${t}`, { t, row });
  }
  return [...byKey.values()].sort((a, b) => a.t - b.t).map((e) => e.row);
}

/**
 * Start of the next incremental read of one publisher: its newest held row minus an overlap, so a result that
 * arrives late (or a bucket that was still filling) is read again; mergeRows removes the duplicates. Per
 * publisher, because publishers' clocks differ: one whose timestamps trail the others' still gets its new rows.
 * Null when nothing of that publisher is held.
 */
export function incrementalFrom(rows: readonly ResultRow[], publisher: string, overlapMs: number): number | null {
  let newest = -Infinity;
  for (const r of rows) if (r.publisher === publisher) newest = Math.max(newest, rowTime(r));
  return Number.isFinite(newest) ? newest - overlapMs : null;
}

const isCountField = (field: string) => field.endsWith('_count');

/**
 * Thins long series for drawing: merges each publisher's rows into groups of `groupMs` aligned to the epoch (so
 * groups stay put as a live window moves). Rates become their average weighted by `result_count` (1 for raw
 * results), error counts and `result_count` are summed; a value absent from every row of a group stays null.
 * Each group is stamped with its start. `groupMs` ≤ 0 returns the rows as they are.
 */
export function thinRows(rows: readonly ResultRow[], groupMs: number): ResultRow[] {
  if (groupMs <= 0) return [...rows];
  const groups = new Map<string, { t: number; publisher: string; rows: ResultRow[] }>();
  for (const row of rows) {
    const t = Math.floor(rowTime(row) / groupMs) * groupMs;
    const key = `${row.publisher}\u0000${t}`;
    const g = groups.get(key) ?? groups.set(key, { t, publisher: row.publisher, rows: [] }).get(key)!;
    g.rows.push(row);
  }
  return [...groups.values()]
    .sort((a, b) => a.t - b.t)
    .map((g) => {
      const out: ResultRow = { timestamp: new Date(g.t).toISOString(), publisher: g.publisher, result_count: 0 };
      const weight = (r: ResultRow) => (r.result_count == null ? 1 : Number(r.result_count));
      for (const field of ALL_FIELDS) {
        let sum = 0;
        let weights = 0;
        for (const r of g.rows) {
          const v = r[field];
          if (v == null) continue;
          const w = isCountField(field) ? 1 : weight(r);
          sum += Number(v) * w;
          weights += w;
        }
        out[field] = weights === 0 ? null : isCountField(field) ? sum : sum / weights;
      }
      out.result_count = g.rows.reduce((n, r) => n + weight(r), 0);
      return out;
    });
}

export interface SeriesKey {
  publisher: string;
  side: 'reader' | 'writer';
  field: string;
  /** Compare mode: which period (A solid, B dashed) instead of reader solid / writer dashed. */
  period?: 'A' | 'B';
}

export interface ChartData {
  /** x values in seconds (uPlot's default time unit). */
  xs: number[];
  series: SeriesKey[];
  ys: Array<Array<number | null | undefined>>;
}

/**
 * Aligns rows into uPlot columns for one metric: one reader and one writer series per publisher.
 * Where a publisher's consecutive results are further apart than `gapMs`, a null is inserted between them
 * so the line breaks instead of bridging the gap.
 */
export function buildChartData(rows: readonly ResultRow[], publishers: readonly string[], metric: MetricKey, gapMs: number): ChartData {
  const fields = METRIC_FIELDS[metric];
  const series: SeriesKey[] = publishers.flatMap((publisher) => [
    { publisher, side: 'reader' as const, field: fields.reader },
    { publisher, side: 'writer' as const, field: fields.writer },
  ]);
  // Collect points per publisher (time-sorted input), with gap markers.
  type Point = { t: number; row: ResultRow | null };
  const perPublisher = new Map<string, Point[]>(publishers.map((p) => [p, []]));
  for (const row of rows) {
    const list = perPublisher.get(row.publisher);
    if (!list) continue;
    const t = rowTime(row);
    const prev = list[list.length - 1];
    if (prev && prev.row && t - prev.t > gapMs) list.push({ t: prev.t + (t - prev.t) / 2, row: null });
    list.push({ t, row });
  }
  const times = new Set<number>();
  for (const list of perPublisher.values()) for (const p of list) times.add(p.t);
  const xsMs = [...times].sort((a, b) => a - b);
  const index = new Map(xsMs.map((t, i) => [t, i]));
  const ys = series.map(() => new Array<number | null | undefined>(xsMs.length).fill(undefined));
  publishers.forEach((publisher, pi) => {
    for (const p of perPublisher.get(publisher) ?? []) {
      const i = index.get(p.t)!;
      for (const side of [0, 1]) {
        const s = series[pi * 2 + side];
        const v = p.row ? p.row[s.field] : null;
        ys[pi * 2 + side][i] = p.row === null ? null : typeof v === 'number' ? v : v == null ? null : Number(v);
      }
    }
  });
  return { xs: xsMs.map((t) => t / 1000), series, ys };
}

/** Gap threshold: results further apart than this are not connected (2.5 × the expected spacing). */
export function gapThreshold(bucketMs: number, resultIntervalMs: number): number {
  return 2.5 * Math.max(bucketMs, resultIntervalMs);
}

/** Index of the last x ≤ limit (binary search), or -1. Used by playback to reveal data up to the position. */
export function lastIndexAtOrBefore(xs: readonly number[], limit: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= limit) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}
