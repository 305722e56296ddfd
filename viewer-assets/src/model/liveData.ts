/**
 * Live mode's data: the first load reads the whole window, every refresh after that reads only from the newest
 * held row (minus a small overlap for late results and still-filling buckets) and merges. Pure, tested in jest.
 */
import { chooseSource, Source } from './source';
import { incrementalFrom, mergeRows, ResultRow } from './series';

export interface FetchPlan {
  source: Source;
  fromMs: number;
  toMs: number;
  /** True when the window is read whole (first load, or source/publishers changed). */
  full: boolean;
}

export interface LiveWindow {
  source: Source | null;
  publishers: string[];
  rows: ResultRow[];
  /** Browser time of the last successful read; with no rows held, the next read starts from here. */
  fetchedAtMs: number | null;
}

export const emptyLiveWindow = (): LiveWindow => ({ source: null, publishers: [], rows: [], fetchedAtMs: null });

/** Results can arrive late (Kafka, the Pi's clock): re-read this much before the newest held row. */
export function overlapMs(source: Source): number {
  return Math.max(2 * source.bucketMs, 120_000);
}

/** Clock tolerance for "to": the Pi's clock may run a little ahead of the browser's. */
export const FUTURE_TOLERANCE_MS = 3_600_000;

export function planFetch(held: LiveWindow, publishers: readonly string[], nowMs: number, windowMs: number, widthPx: number, resultIntervalMs: number): FetchPlan {
  const source = chooseSource(windowMs, widthPx, resultIntervalMs);
  const windowStart = nowMs - windowMs;
  const same = held.source?.table === source.table && sameList(held.publishers, publishers);
  const overlap = overlapMs(source);
  const from = same && held.fetchedAtMs !== null ? (incrementalFrom(held.rows, overlap) ?? held.fetchedAtMs - overlap) : null;
  if (same && from !== null) return { source, fromMs: Math.max(windowStart, from), toMs: nowMs + FUTURE_TOLERANCE_MS, full: false };
  return { source, fromMs: windowStart, toMs: nowMs + FUTURE_TOLERANCE_MS, full: true };
}

/** Merges the fetched rows into the window (or replaces it after a full read) and drops rows that left it. */
export function acceptFetch(held: LiveWindow, plan: FetchPlan, publishers: readonly string[], fetched: readonly ResultRow[], nowMs: number, windowMs: number): LiveWindow {
  const base = plan.full ? [] : held.rows;
  return { source: plan.source, publishers: [...publishers], rows: mergeRows(base, fetched, nowMs - windowMs), fetchedAtMs: nowMs };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
