/**
 * Shareable URLs: the view, dashboard, window, publishers and playback range live in the query string, e.g.
 * `/?d=lab&w=6h&p=pi-1,pi-2` or `/?view=play&d=lab&from=2026-11-20T10:00Z&to=2026-11-20T12:00Z`.
 */
import { WINDOWS, WindowKey } from './dashboard';
import { TIME_ZONES, TimeZoneChoice } from './time';

export const VIEWS = ['live', 'play', 'compare', 'settings', 'download', 'upload', 'welcome'] as const;
export type View = (typeof VIEWS)[number];

export interface UrlState {
  view: View;
  dashboard?: string;
  window?: WindowKey;
  publishers?: string[];
  fromMs?: number;
  toMs?: number;
  /** Settings of a new dashboard rather than an existing one. */
  isNew?: boolean;
  /** Time zone of the link (overrides the dashboard's). */
  zone?: TimeZoneChoice;
  /** Compare: starts of periods A and B, their length and the side shown. */
  aMs?: number;
  bMs?: number;
  length?: WindowKey;
  side?: 'reader' | 'writer';
}

export function parseUrlState(search: string): UrlState {
  const q = new URLSearchParams(search);
  const view = (VIEWS as readonly string[]).includes(q.get('view') ?? '') ? (q.get('view') as View) : 'live';
  const state: UrlState = { view };
  const d = q.get('d');
  if (d) state.dashboard = d;
  const w = q.get('w');
  if (w && w in WINDOWS) state.window = w as WindowKey;
  const p = q.get('p');
  if (p) state.publishers = [...new Set(p.split(',').map((s) => s.trim()).filter(Boolean))];
  const from = Date.parse(q.get('from') ?? '');
  const to = Date.parse(q.get('to') ?? '');
  if (!Number.isNaN(from)) state.fromMs = from;
  if (!Number.isNaN(to)) state.toMs = to;
  if (q.get('new') === '1') state.isNew = true;
  const a = Date.parse(q.get('a') ?? '');
  const b = Date.parse(q.get('b') ?? '');
  if (!Number.isNaN(a)) state.aMs = a;
  if (!Number.isNaN(b)) state.bMs = b;
  const len = q.get('len');
  if (len && len in WINDOWS) state.length = len as WindowKey;
  const side = q.get('side');
  if (side === 'reader' || side === 'writer') state.side = side;
  const tz = q.get('tz');
  if (tz && (TIME_ZONES as readonly string[]).includes(tz)) state.zone = tz as TimeZoneChoice;
  return state;
}

export function formatUrlState(s: UrlState): string {
  const q = new URLSearchParams();
  if (s.view !== 'live') q.set('view', s.view);
  if (s.dashboard) q.set('d', s.dashboard);
  if (s.isNew) q.set('new', '1');
  if (s.window) q.set('w', s.window);
  if (s.publishers?.length) q.set('p', s.publishers.join(','));
  if (s.fromMs !== undefined) q.set('from', new Date(s.fromMs).toISOString());
  if (s.toMs !== undefined) q.set('to', new Date(s.toMs).toISOString());
  if (s.aMs !== undefined) q.set('a', new Date(s.aMs).toISOString());
  if (s.bMs !== undefined) q.set('b', new Date(s.bMs).toISOString());
  if (s.length) q.set('len', s.length);
  if (s.side) q.set('side', s.side);
  if (s.zone) q.set('tz', s.zone);
  const text = q.toString().replace(/%2C/g, ',');
  return text ? `?${text}` : '';
}
