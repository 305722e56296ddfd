/**
 * Live mode's data: the first load reads the whole window, every refresh after that reads only from the newest
 * held row (minus a small overlap for late results and still-filling buckets) and merges. Pure, tested in jest.
 */
import { chooseSource, Source } from './source';
import { incrementalFrom, mergeRows, ResultRow } from './series';

export interface FetchPlan {
  source: Source;
  /** One read per publisher (the row limit then applies per publisher), each from its own start. */
  reads: Array<{ publisher: string; fromMs: number }>;
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
  const toMs = nowMs + FUTURE_TOLERANCE_MS;
  const same = held.source?.table === source.table && sameList(held.publishers, publishers);
  if (!same || held.fetchedAtMs === null) return { source, reads: publishers.map((publisher) => ({ publisher, fromMs: windowStart })), toMs, full: true };
  const overlap = overlapMs(source);
  // A publisher with nothing held yet starts from the previous read (its results, if any, are new ones).
  const fallback = held.fetchedAtMs - overlap;
  const reads = publishers.map((publisher) => ({ publisher, fromMs: Math.max(windowStart, incrementalFrom(held.rows, publisher, overlap) ?? fallback) }));
  return { source, reads, toMs, full: false };
}

/** Merges the fetched rows into the window (or replaces it after a full read) and drops rows that left it. */
export function acceptFetch(held: LiveWindow, plan: FetchPlan, publishers: readonly string[], fetched: readonly ResultRow[], nowMs: number, windowMs: number): LiveWindow {
  const base = plan.full ? [] : held.rows;
  return { source: plan.source, publishers: [...publishers], rows: mergeRows(base, fetched, nowMs - windowMs), fetchedAtMs: nowMs };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
