/**
 * Server settings (`viewer_config.config`): the original viewer's partial-V1 JSON, plus our extra keys.
 * Download = pick groups of a server config and apply them to a local dashboard;
 * upload = build a config from a dashboard (insert), or merge it over the existing server config (overwrite).
 * Configs written by the original (single `perftool.name`, no `live`/`rate`/`publishers`) load unchanged.
 */
import { Dashboard, readGroups } from './dashboard';

/** What can be picked: whole groups, or the single keys the original also allowed on their own. */
/** The anonymous role may not update this row (its update filter in lib/hasura/metadata.json): never offer it. */
export const READ_ONLY_CONFIG_NAME = 'default';

export const TARGETS = ['perftool', 'perftool.name', 'live', 'player', 'player.from', 'layout', 'chart'] as const;
export type Target = (typeof TARGETS)[number];
export const GROUPS = ['perftool', 'live', 'player', 'layout', 'chart'] as const;
export type Group = (typeof GROUPS)[number];

/** The original's pre-selection (whole perftool group and the playback range); kept for configs that change nothing. */
export const DEFAULT_TARGETS: Target[] = ['perftool', 'player.from'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Groups present in a server config (those the viewer understands). */
export function groupsIn(config: unknown): Group[] {
  return isObj(config) ? GROUPS.filter((g) => isObj(config[g])) : [];
}

/** Reduces a target list to what applies: a whole group makes its single-key target redundant. */
export function normaliseTargets(targets: readonly Target[]): Target[] {
  const set = new Set(targets);
  if (set.has('perftool')) set.delete('perftool.name');
  if (set.has('player')) set.delete('player.from');
  return TARGETS.filter((t) => set.has(t));
}

/** Applies the picked parts of a server config to a dashboard (name unchanged). Values the config lacks stay. */
export function applyServerConfig(dashboard: Dashboard, config: unknown, targets: readonly Target[]): Dashboard {
  if (!isObj(config)) return dashboard;
  const full = readGroups(config, dashboard);
  let out: Dashboard = structuredClone(dashboard);
  for (const t of normaliseTargets(targets)) {
    switch (t) {
      case 'perftool.name':
        if (isObj(config.perftool)) out.perftool = { ...out.perftool, name: full.perftool.name, publishers: full.perftool.publishers };
        break;
      case 'player.from':
        // Only as a pair, as in the original.
        if (isObj(config.player) && 'from' in config.player && 'to' in config.player) {
          out.player = { ...out.player, from: full.player.from, to: full.player.to };
        }
        break;
      default:
        if (isObj(config[t])) out = { ...out, [t]: structuredClone(full[t]) };
    }
  }
  return out;
}

/** The groups of a dashboard as server JSON. `perftool.name` is kept for the original viewer. */
export function dashboardGroups(d: Dashboard): Record<Group, Obj> {
  return {
    perftool: { name: d.perftool.publishers[0] ?? '', visible: d.perftool.visible, publishers: [...d.perftool.publishers], metrics: [...d.perftool.metrics] },
    live: { ...d.live },
    player: { ...d.player },
    layout: { ...d.layout },
    chart: structuredClone(d.chart),
  };
}

/** The config to upload for the picked targets (never contains `name` or `version`, like the original's). */
export function toServerConfig(d: Dashboard, targets: readonly Target[]): Obj {
  const groups = dashboardGroups(d);
  const out: Obj = {};
  for (const t of normaliseTargets(targets)) {
    if (t === 'perftool.name') out.perftool = { ...(out.perftool as Obj), name: groups.perftool.name, publishers: groups.perftool.publishers };
    else if (t === 'player.from') out.player = { ...(out.player as Obj), from: d.player.from, to: d.player.to };
    else out[t] = groups[t];
  }
  return out;
}

/** Overwrite: the picked groups replace the server's, other groups (including the original's android/image) stay. */
export function mergeOverExisting(existing: unknown, picked: Obj): Obj {
  const base = isObj(existing) ? structuredClone(existing) : {};
  for (const [group, value] of Object.entries(picked)) {
    const old = base[group];
    // A single-key pick (perftool.name, player.from) updates those keys inside the group and keeps the rest.
    base[group] = isObj(old) && isObj(value) ? { ...old, ...value } : value;
  }
  return base;
}

export interface Change {
  path: string;
  before: unknown;
  after: unknown;
}

/**
 * Pre-selected in the download form: every group of the server config that would change the dashboard, so Apply
 * takes everything that differs unless the user unticks it (the original ticked only some groups).
 */
export function differingGroups(dashboard: Dashboard, config: unknown): Group[] {
  return groupsIn(config).filter((g) => diffDashboards(dashboard, applyServerConfig(dashboard, config, [g])).length > 0);
}

/** Leaf-level differences between two dashboards, for "see what will change". */
export function diffDashboards(before: Dashboard, after: Dashboard): Change[] {
  const changes: Change[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (isObj(a) && isObj(b)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[k], b[k], path ? `${path}.${k}` : k);
    } else if (JSON.stringify(a) !== JSON.stringify(b)) {
      changes.push({ path, before: a, after: b });
    }
  };
  walk(dashboardGroups(before), dashboardGroups(after), '');
  // `perftool.name` mirrors `publishers[0]`; listing both would say the same thing twice.
  return changes.filter((c) => c.path !== 'perftool.name');
}
