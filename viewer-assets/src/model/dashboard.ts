/**
 * Dashboards: the settings a user keeps in the browser, their validation, and the versioned storage format.
 * Pure module (no DOM): the storage is passed in, so it is unit-tested in jest.
 *
 * Storage versions: 0 and 1 are the original sensor-viewer's dashboard objects (localStorage key `settings`);
 * 2 is ours (key `perftool-viewer`). Older data is migrated forward on load and never deleted.
 */

import { publisherNameProblem } from './publisherName';
import { TIME_ZONES, TimeZoneChoice } from './time';

export const METRICS = ['bytes', 'messages', 'errorRate', 'errorCount'] as const;
export type MetricKey = (typeof METRICS)[number];

export const WINDOWS = {
  '5m': 5 * 60_000,
  '15m': 15 * 60_000,
  '30m': 30 * 60_000,
  '1h': 3_600_000,
  '3h': 3 * 3_600_000,
  '6h': 6 * 3_600_000,
  '12h': 12 * 3_600_000,
  '1d': 86_400_000,
  '2d': 2 * 86_400_000,
  '4d': 4 * 86_400_000,
  '7d': 7 * 86_400_000,
  '14d': 14 * 86_400_000,
  '30d': 30 * 86_400_000,
} as const;
export type WindowKey = keyof typeof WINDOWS;

export const REFRESHES = {
  off: 0,
  '5s': 5_000,
  '10s': 10_000,
  '30s': 30_000,
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
} as const;
export type RefreshKey = keyof typeof REFRESHES;

export const LAYOUTS = ['horizontal', 'vertical-horizontal', 'vertical', 'vertical-2'] as const;
export type LayoutTemplate = (typeof LAYOUTS)[number];

/** Playback speeds offered, as multiples of real time. */
export const PLAYBACK_RATES = [1, 10, 60, 600, 3600, 86400] as const;

export interface Dashboard {
  name: string;
  perftool: {
    /** First publisher; kept because the original viewer reads only this key. */
    name: string;
    publishers: string[];
    visible: boolean;
    metrics: MetricKey[];
  };
  live: { window: WindowKey; refresh: RefreshKey };
  player: {
    /** Local time `yyyy-MM-dd HH:mm`, as the original wrote it. */
    from: string;
    to: string;
    /** Original-viewer fields, kept for round trips: ms per step and "granularity" 1..100. */
    tick: number;
    speed: number;
    /** Our playback speed as a multiple of real time. */
    rate: number;
    repeat: boolean;
  };
  layout: { template: LayoutTemplate };
  chart: {
    minSize: { width: number; height: number };
    line: { enabled: boolean; size: number };
    point: { enabled: boolean; size: number };
    /** Times shown in the browser's zone or in UTC (axes, tooltips, inputs, exports). */
    timeZone: TimeZoneChoice;
  };
  /** Original-viewer groups this viewer does not use; kept so uploads and round trips lose nothing. */
  android?: unknown;
  image?: unknown;
}

export const STORE_KEY = 'perftool-viewer';
export const ORIGINAL_STORE_KEY = 'settings';
export const STORE_VERSION = 2;

export interface Store {
  version: typeof STORE_VERSION;
  dashboards: Dashboard[];
  /** Name of the dashboard opened last (the original always opened the first). */
  last?: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `yyyy-MM-dd HH:mm` in local time, the original viewer's stored format. */
export function formatLocalMinute(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Parses `yyyy-MM-dd HH:mm[:ss]` or `yyyy-MM-ddTHH:mm` as local time, or any ISO string with an offset. */
export function parseLocalTime(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (m) {
    const [, y, mo, d, h, mi, s] = m;
    const t = new Date(+y, +mo - 1, +d, +h, +mi, s ? +s : 0).getTime();
    return Number.isNaN(t) ? null : t;
  }
  if (/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(text.trim())) {
    const t = Date.parse(text);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

export function defaultDashboard(name = '', now = Date.now()): Dashboard {
  return {
    name,
    perftool: { name: '', publishers: [], visible: true, metrics: ['bytes', 'messages', 'errorRate', 'errorCount'] },
    live: { window: '1h', refresh: '30s' },
    player: {
      from: formatLocalMinute(now - 60 * 60_000),
      to: formatLocalMinute(now),
      tick: 1200,
      speed: 10,
      rate: 60,
      repeat: false,
    },
    layout: { template: 'horizontal' },
    chart: { minSize: { width: 310, height: 250 }, line: { enabled: true, size: 1 }, point: { enabled: true, size: 2 }, timeZone: 'local' },
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, fallback: string) => (typeof v === 'string' ? v : fallback);
const bool = (v: unknown, fallback: boolean) => (typeof v === 'boolean' ? v : fallback);
const num = (v: unknown, fallback: number, ok: (n: number) => boolean = Number.isFinite) =>
  typeof v === 'number' && Number.isFinite(v) && ok(v) ? v : fallback;
const oneOf = <T extends string>(v: unknown, allowed: readonly T[], fallback: T): T =>
  typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : fallback;

/** The publishers of a perftool group: our `publishers` list, or the original's single `name`. */
export function publishersOf(perftool: Obj): string[] {
  const list = Array.isArray(perftool.publishers)
    ? perftool.publishers.filter((p): p is string => typeof p === 'string' && p.trim() !== '').map((p) => p.trim())
    : typeof perftool.name === 'string' && perftool.name.trim() !== ''
      ? [perftool.name.trim()]
      : [];
  return [...new Set(list)];
}

/** Reads one group of a (possibly partial, possibly original-format) dashboard over `base`; unknown values keep base. */
export function readGroups(input: Obj, base: Dashboard): Dashboard {
  const out: Dashboard = structuredClone(base);
  if (isObj(input.perftool)) {
    const p = input.perftool;
    const publishers = 'publishers' in p || 'name' in p ? publishersOf(p) : base.perftool.publishers;
    const metrics = Array.isArray(p.metrics)
      ? METRICS.filter((m) => (p.metrics as unknown[]).includes(m))
      : base.perftool.metrics;
    out.perftool = { name: publishers[0] ?? '', publishers, visible: bool(p.visible, base.perftool.visible), metrics };
  }
  if (isObj(input.live)) {
    out.live = {
      window: oneOf(input.live.window, Object.keys(WINDOWS) as WindowKey[], base.live.window),
      refresh: oneOf(input.live.refresh, Object.keys(REFRESHES) as RefreshKey[], base.live.refresh),
    };
  }
  if (isObj(input.player)) {
    const p = input.player;
    // Stored as local `yyyy-MM-dd HH:mm`; an ISO time with an offset (a serialised Date) is converted to local time.
    const time = (v: unknown, fallback: string) => {
      const ms = typeof v === 'string' ? parseLocalTime(v) : null;
      return ms === null ? fallback : formatLocalMinute(ms);
    };
    out.player = {
      from: time(p.from, base.player.from),
      to: time(p.to, base.player.to),
      tick: num(p.tick, base.player.tick, (n) => n >= 100),
      // The original's migration copied `tick` into `speed` (values like 1200); such values fall back.
      speed: num(p.speed, base.player.speed, (n) => n >= 1 && n <= 100),
      rate: num(p.rate, base.player.rate, (n) => n >= 1 && n <= 86400),
      repeat: bool(p.repeat, base.player.repeat),
    };
  }
  if (isObj(input.layout)) out.layout = { template: oneOf(input.layout.template, LAYOUTS, base.layout.template) };
  if (isObj(input.chart)) {
    const c = input.chart;
    const min = isObj(c.minSize) ? c.minSize : {};
    const line = isObj(c.line) ? c.line : {};
    const point = isObj(c.point) ? c.point : {};
    out.chart = {
      minSize: {
        width: num(min.width, base.chart.minSize.width, (n) => n >= 200),
        height: num(min.height, base.chart.minSize.height, (n) => n >= 150),
      },
      line: { enabled: bool(line.enabled, base.chart.line.enabled), size: num(line.size, base.chart.line.size, (n) => n > 0) },
      point: {
        enabled: bool(point.enabled, base.chart.point.enabled),
        size: num(point.size, base.chart.point.size, (n) => n > 0),
      },
      timeZone: oneOf(c.timeZone, TIME_ZONES, base.chart.timeZone),
    };
  }
  if ('android' in input) out.android = structuredClone(input.android);
  if ('image' in input) out.image = structuredClone(input.image);
  return out;
}

/** Original V0 (flat, all optional) → V1 shape, as the original's `toV1` did, minus its speed-from-tick bug. */
function v0ToV1(v0: Obj): Obj {
  const panes = isObj(v0.panes) ? v0.panes : {};
  return {
    name: v0.name,
    perftool: { name: typeof v0.perftoolName === 'string' ? v0.perftoolName : '', visible: bool(panes.perftool, true) },
    player: v0.player,
    layout: v0.layout,
    chart: v0.chart,
    android: { publisher: str(v0.publisher, ''), map: bool(panes.map, true), lte: bool(panes.lte, true), sensors: panes.sensors ?? [] },
    image: { topic: str(v0.imageTopic, ''), update: str(v0.imageUpdate, 'push'), visible: bool(panes.image, true) },
  };
}

/** Any stored dashboard (original V0, original V1 or ours) → the current format. */
export function migrateDashboard(input: unknown, now = Date.now()): Dashboard {
  const obj = isObj(input) ? input : {};
  const v1 = 'version' in obj || 'perftool' in obj ? obj : v0ToV1(obj);
  return { ...readGroups(v1, defaultDashboard('', now)), name: str(v1.name, '') };
}

export interface LoadResult {
  store: Store;
  /** Human-readable notes about data that could not be read (it is kept in storage, not deleted). */
  problems: string[];
  /** True when the store came from an older format and should be saved in the new one. */
  migrated: boolean;
}

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Loads the dashboards; reads the original viewer's `settings` when ours does not exist yet. Never deletes data. */
export function loadStore(storage: KeyValueStorage, now = Date.now()): LoadResult {
  const problems: string[] = [];
  const raw = storage.getItem(STORE_KEY);
  if (raw !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      storage.setItem(`${STORE_KEY}.unreadable`, raw);
      return { store: { version: STORE_VERSION, dashboards: [] }, problems: [`${STORE_KEY}: not JSON (kept as ${STORE_KEY}.unreadable)`], migrated: false };
    }
    if (isObj(parsed) && typeof parsed.version === 'number' && parsed.version > STORE_VERSION) {
      // This viewer cannot read it, and its first save replaces STORE_KEY: keep the newer data under its own key.
      const backup = `${STORE_KEY}.v${parsed.version}-backup`;
      storage.setItem(backup, raw);
      problems.push(`${STORE_KEY}: written by a newer viewer (version ${parsed.version}); kept as ${backup}, and this viewer starts without dashboards`);
      return { store: { version: STORE_VERSION, dashboards: [] }, problems, migrated: false };
    }
    const list = isObj(parsed) && Array.isArray(parsed.dashboards) ? parsed.dashboards : [];
    const dashboards = list.map((d) => migrateDashboard(d, now));
    const last = isObj(parsed) && typeof parsed.last === 'string' ? parsed.last : undefined;
    return { store: { version: STORE_VERSION, dashboards: dedupeNames(dashboards), last }, problems, migrated: false };
  }
  const original = storage.getItem(ORIGINAL_STORE_KEY);
  if (original !== null) {
    try {
      const list = JSON.parse(original);
      if (Array.isArray(list)) {
        const dashboards = dedupeNames(list.map((d) => migrateDashboard(d, now)));
        return { store: { version: STORE_VERSION, dashboards }, problems, migrated: true };
      }
      problems.push(`${ORIGINAL_STORE_KEY}: not a list of dashboards; ignored (left as it is)`);
    } catch {
      problems.push(`${ORIGINAL_STORE_KEY}: not JSON; ignored (left as it is)`);
    }
  }
  return { store: { version: STORE_VERSION, dashboards: [] }, problems, migrated: false };
}

export function saveStore(storage: KeyValueStorage, store: Store): void {
  storage.setItem(STORE_KEY, JSON.stringify(store));
}

/** Names must be unique; older data may repeat one (the original did not always check), so later ones get a suffix. */
function dedupeNames(dashboards: Dashboard[]): Dashboard[] {
  const seen = new Set<string>();
  return dashboards.map((d, i) => {
    let name = d.name.trim() || `dashboard ${i + 1}`;
    for (let n = 2; seen.has(name); n++) name = `${d.name.trim() || 'dashboard'} (${n})`;
    seen.add(name);
    return { ...d, name };
  });
}

/** A validation failure: the form path it belongs to, a message key and its parameters (see i18n). */
export interface FieldError {
  path: string;
  key: string;
  params?: Record<string, string | number>;
}

/** Checks a dashboard the settings form produced; `otherNames` are the other saved dashboards' names. */
export function validateDashboard(d: Dashboard, otherNames: string[]): FieldError[] {
  const errors: FieldError[] = [];
  const name = d.name.trim();
  if (name === '') errors.push({ path: 'name', key: 'err.required' });
  else if (otherNames.includes(name)) errors.push({ path: 'name', key: 'err.nameTaken' });
  if (d.perftool.visible && d.perftool.publishers.length === 0) errors.push({ path: 'perftool.publishers', key: 'err.publisherRequired' });
  // The same rule as `npm run pi-config` (publisherName.ts): a name no Pi can be given is a typo.
  const bad = d.perftool.publishers.find((p) => publisherNameProblem(p) !== null);
  if (bad !== undefined) errors.push({ path: 'perftool.publishers', key: publisherNameProblem(bad) === 'number' ? 'err.publisherNumber' : 'err.publisherName', params: { name: bad } });
  if (d.perftool.metrics.length === 0) errors.push({ path: 'perftool.metrics', key: 'err.metricRequired' });
  const from = parseLocalTime(d.player.from);
  const to = parseLocalTime(d.player.to);
  if (from === null) errors.push({ path: 'player.from', key: 'err.invalidTime' });
  if (to === null) errors.push({ path: 'player.to', key: 'err.invalidTime' });
  if (from !== null && to !== null && from >= to) errors.push({ path: 'player.to', key: 'err.toBeforeFrom' });
  const range = (path: string, v: number, min: number, max: number) => {
    if (!Number.isFinite(v) || v < min || v > max) errors.push({ path, key: 'err.range', params: { min, max } });
  };
  range('player.rate', d.player.rate, 1, 86400);
  range('chart.line.size', d.chart.line.size, 1, 10);
  range('chart.point.size', d.chart.point.size, 1, 10);
  range('chart.minSize.width', d.chart.minSize.width, 200, 4000);
  range('chart.minSize.height', d.chart.minSize.height, 150, 4000);
  return errors;
}
