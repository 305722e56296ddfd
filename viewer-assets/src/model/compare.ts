/**
 * Compare two periods: the same publishers over two time ranges of the same length, aligned at their starts (x is
 * the time since the period's start), and the difference of the means per metric. Pure; tested in jest.
 */
import type { MetricKey } from './dashboard';
import { METRIC_FIELDS, ResultRow, rowTime, SeriesKey } from './series';

export type Side = 'reader' | 'writer';
export const SIDES: readonly Side[] = ['writer', 'reader'];

export interface ComparePeriods {
  aMs: number;
  bMs: number;
  lengthMs: number;
}

export interface CompareSeries extends SeriesKey {
  period: 'A' | 'B';
}

export interface CompareData {
  /** Seconds since the start of each period. */
  xs: number[];
  series: CompareSeries[];
  ys: Array<Array<number | null | undefined>>;
}

/** Period A solid, period B dashed, per publisher; one side (reader or writer) of one metric. */
export function buildCompareData(a: readonly ResultRow[], b: readonly ResultRow[], p: ComparePeriods, publishers: readonly string[], metric: MetricKey, side: Side, gapMs: number): CompareData {
  const field = METRIC_FIELDS[metric][side];
  const series: CompareSeries[] = publishers.flatMap((publisher) => (['A', 'B'] as const).map((period) => ({ publisher, side, field, period })));
  const points = series.map((s) => {
    const start = s.period === 'A' ? p.aMs : p.bMs;
    const list: Array<{ x: number; v: number | null }> = [];
    let prev: number | null = null;
    for (const r of s.period === 'A' ? a : b) {
      if (r.publisher !== s.publisher) continue;
      const t = rowTime(r);
      if (t < start || t > start + p.lengthMs) continue;
      if (prev !== null && t - prev > gapMs) list.push({ x: (prev + (t - prev) / 2 - start) / 1000, v: null });
      const v = r[field];
      list.push({ x: (t - start) / 1000, v: v == null ? null : Number(v) });
      prev = t;
    }
    return list;
  });
  const xs = [...new Set(points.flatMap((l) => l.map((q) => q.x)))].sort((x, y) => x - y);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = points.map((list) => {
    const col = new Array<number | null | undefined>(xs.length).fill(undefined);
    for (const q of list) col[index.get(q.x)!] = q.v;
    return col;
  });
  return { xs, series, ys };
}

/**
 * Mean of one field over a period's rows of one publisher: rates weighted by the results each row stands for
 * (`result_count` of a bucket, 1 for a raw result); error counts as errors per result. Null without values.
 */
export function periodMean(rows: readonly ResultRow[], publisher: string, field: string, startMs: number, lengthMs: number): number | null {
  let sum = 0;
  let weight = 0;
  const isCount = field.endsWith('_count');
  for (const r of rows) {
    if (r.publisher !== publisher) continue;
    const t = rowTime(r);
    const v = r[field];
    if (t < startMs || t > startMs + lengthMs || v == null) continue;
    const w = r.result_count == null ? 1 : Number(r.result_count);
    sum += isCount ? Number(v) : Number(v) * w;
    weight += w;
  }
  return weight > 0 ? sum / weight : null;
}

export interface MeanDifference {
  publisher: string;
  metric: MetricKey;
  side: Side;
  meanA: number | null;
  meanB: number | null;
  /** B − A */
  difference: number | null;
  /** (B − A) / A, null when A is 0 or missing. */
  relative: number | null;
}

export function meanDifferences(a: readonly ResultRow[], b: readonly ResultRow[], p: ComparePeriods, publishers: readonly string[], metrics: readonly MetricKey[], side: Side): MeanDifference[] {
  return publishers.flatMap((publisher) =>
    metrics.map((metric) => {
      const field = METRIC_FIELDS[metric][side];
      const meanA = periodMean(a, publisher, field, p.aMs, p.lengthMs);
      const meanB = periodMean(b, publisher, field, p.bMs, p.lengthMs);
      const difference = meanA === null || meanB === null ? null : meanB - meanA;
      return { publisher, metric, side, meanA, meanB, difference, relative: difference === null || !meanA ? null : difference / meanA };
    }),
  );
}

/** "+1 d 02:30", "+02:30" or "+02:30:15": elapsed time on the compare axis and tooltip. */
export function formatElapsed(seconds: number, withSeconds = false): string {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400);
  const pad = (n: number) => String(n).padStart(2, '0');
  const hm = `${pad(Math.floor((s % 86400) / 3600))}:${pad(Math.floor((s % 3600) / 60))}${withSeconds ? `:${pad(s % 60)}` : ''}`;
  return d ? `+${d} d ${hm}` : `+${hm}`;
}
