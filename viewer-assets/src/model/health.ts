/**
 * Publisher health: is each Pi still reporting? "Not reporting" means nothing arrived for longer than 3× its usual
 * interval, which the database learns from the publisher's own recent results (perftool_publisher_health, the median
 * gap between its last 21 results). Silence is measured on the database's clock, so the browser's clock does not
 * matter. Pure; tested in jest.
 */
import type { HealthData, HealthRow } from '../api/operations';

export const QUIET_FACTOR = 3;

export type HealthState = 'ok' | 'quiet' | 'never' | 'unknown';

export function healthState(row: HealthRow | undefined): HealthState {
  if (!row || row.last_seen == null || row.silent_seconds == null) return 'never';
  const usual = row.usual_interval_seconds;
  if (usual == null || !(usual > 0)) return 'unknown';
  return row.silent_seconds > QUIET_FACTOR * usual ? 'quiet' : 'ok';
}

export interface PublisherHealth {
  publisher: string;
  state: HealthState;
  row: HealthRow | undefined;
  rejected24h: number;
}

/** One entry per dashboard publisher, in the dashboard's order; the not-reporting ones first. */
export function summariseHealth(publishers: readonly string[], data: HealthData): { publishers: PublisherHealth[]; unattributed: number } {
  const rows = new Map(data.health.map((r) => [r.publisher, r]));
  const rejected = new Map<string, number>();
  for (const r of data.rejected) if (r.publisher != null) rejected.set(r.publisher, (rejected.get(r.publisher) ?? 0) + Number(r.rejected_count));
  const order: Record<HealthState, number> = { quiet: 0, never: 1, unknown: 2, ok: 3 };
  const list = publishers
    .map((publisher) => ({ publisher, row: rows.get(publisher), state: healthState(rows.get(publisher)), rejected24h: rejected.get(publisher) ?? 0 }))
    .sort((a, b) => order[a.state] - order[b.state]);
  return { publishers: list, unattributed: data.unattributed.reduce((n, r) => n + Number(r.rejected_count), 0) };
}
