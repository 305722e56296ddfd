/** Which table a chart reads: the raw results or a bucketed rollup, chosen from the window and the chart width. */

export interface Source {
  table: 'perftool' | 'perftool_30sec' | 'perftool_1min' | 'perftool_2min' | 'perftool_10min' | 'perftool_1hour';
  /** Bucket length; 0 for raw results. */
  bucketMs: number;
}

export const SOURCES: readonly Source[] = [
  { table: 'perftool', bucketMs: 0 },
  { table: 'perftool_30sec', bucketMs: 30_000 },
  { table: 'perftool_1min', bucketMs: 60_000 },
  { table: 'perftool_2min', bucketMs: 120_000 },
  { table: 'perftool_10min', bucketMs: 600_000 },
  { table: 'perftool_1hour', bucketMs: 3_600_000 },
];

/** perftool's runner publishes one result a minute by default. */
export const DEFAULT_RESULT_INTERVAL_MS = 60_000;
export const MAX_POINTS = 1000;

/** Points per series we aim for: one per pixel column, at most MAX_POINTS, at least 100. */
export function pointBudget(widthPx: number): number {
  return Math.max(100, Math.min(MAX_POINTS, Math.floor(widthPx)));
}

/**
 * The finest source whose expected points per series fit the budget. A bucket never yields more points than the
 * results it groups, so the expected count is window / max(bucket, result interval). Past what the coarsest bucket
 * fits (~41 days of 1 h buckets at 1,000 points: only playback ranges get there) the coarsest one is used.
 * Levels 5-6× apart (2 min → 10 min → 1 h) can leave a chart under half its budget (7 days: 168 hours): then the next
 * finer bucket level is read if its rows are at most 3× the budget, and merged in the browser to fit (7 days on a wide
 * chart: 1,008 ten-minute buckets drawn as 504 twenty-minute points). More detail for at most three times the rows.
 */
export function chooseSource(windowMs: number, widthPx: number, resultIntervalMs = DEFAULT_RESULT_INTERVAL_MS): Source {
  const budget = pointBudget(widthPx);
  const interval = resultIntervalMs > 0 ? resultIntervalMs : DEFAULT_RESULT_INTERVAL_MS;
  const points = (s: Source) => windowMs / Math.max(s.bucketMs, interval);
  const fitting = SOURCES.findIndex((s) => points(s) <= budget);
  if (fitting === -1) return SOURCES[SOURCES.length - 1];
  const finer = SOURCES[fitting - 1];
  if (points(SOURCES[fitting]) < budget / 2 && finer !== undefined && finer.bucketMs > 0 && points(finer) <= 3 * budget) return finer;
  return SOURCES[fitting];
}

/**
 * Group length for thinning a window read from `source` to the point budget (0: no thinning needed). The coarsest
 * bucket cannot always fit (a 90-day playback range is 2,160 hours): adjacent buckets are then merged in the
 * browser (series.ts thinRows), e.g. into 3 h groups for 90 days at 1,000 points.
 */
export function thinningGroupMs(source: Source, windowMs: number, widthPx: number): number {
  if (source.bucketMs === 0) return 0;
  const factor = Math.ceil(windowMs / source.bucketMs / pointBudget(widthPx));
  return factor > 1 ? factor * source.bucketMs : 0;
}

/**
 * Typical time between results of the most frequent publisher, from `perftool_publishers` statistics.
 * Unknown publishers or a single result give the runner's default.
 */
export function estimateResultInterval(
  stats: ReadonlyArray<{ publisher: string; first_seen: string | null; last_seen: string | null; result_count: number | null }>,
  publishers: readonly string[],
): number {
  let best = Infinity;
  for (const s of stats) {
    if (!publishers.includes(s.publisher) || !s.first_seen || !s.last_seen || !s.result_count || s.result_count < 2) continue;
    const span = Date.parse(s.last_seen) - Date.parse(s.first_seen);
    if (span > 0) best = Math.min(best, span / (s.result_count - 1));
  }
  return Number.isFinite(best) ? Math.max(1000, best) : DEFAULT_RESULT_INTERVAL_MS;
}

