/** UI wording shared by several screens: errors, "n min ago" and the time-zone choice, in the UI language. */
import { GraphqlError } from '../api/client';
import { durationText } from '../model/i18n';
import { browserZoneName, elapsedParts, offsetLabel, TimeZoneChoice } from '../model/time';
import type { AppContext } from './context';
import { append, h } from './dom';
import type { MessageKey } from '../model/i18n';

/** An error as a sentence in the UI language; only a server's own message stays as the server wrote it. */
export function errorText(ctx: Pick<AppContext, 't'>, e: unknown): string {
  if (e instanceof GraphqlError) {
    const p = e.problem;
    if (p.kind === 'timeout') return ctx.t('error.timeout', { endpoint: p.endpoint, seconds: p.seconds });
    if (p.kind === 'unreachable') return ctx.t('error.unreachable', { endpoint: p.endpoint });
    if (p.kind === 'http' || p.kind === 'notJson') return ctx.t('error.http', { endpoint: p.endpoint, status: p.status });
    return ctx.t('error.graphql', { message: p.message });
  }
  return (e as Error)?.message ?? String(e);
}

export function agoText(ctx: Pick<AppContext, 't'>, seconds: number): string {
  const { value, unit } = elapsedParts(seconds);
  return ctx.t('time.ago', { value, unit: ctx.t(`unit.${unit}`) });
}

/** "12 min" / "12分": a silence's length, whole units. */
export function spanText(ctx: Pick<AppContext, 't' | 'lang'>, seconds: number): string {
  const { value, unit } = elapsedParts(seconds);
  return ctx.lang === 'ja' ? `${value}${ctx.t(`unit.${unit}`)}` : `${value} ${ctx.t(`unit.${unit}`)}`;
}

export function intervalText(ctx: Pick<AppContext, 'lang'>, seconds: number): string {
  return durationText(ctx.lang, Math.round(seconds) * 1000);
}

/** The time-zone select of the toolbars and the settings: the browser's zone (named, with its offset) or UTC. */
export function zoneSelect(ctx: Pick<AppContext, 't'>, id: string, value: TimeZoneChoice, onChange: (z: TimeZoneChoice) => void): HTMLSelectElement {
  const now = Date.now();
  return h(
    'select',
    { id, 'data-testid': 'time-zone', onchange: (e: Event) => onChange((e.target as HTMLSelectElement).value as TimeZoneChoice) },
    h('option', { value: 'local', selected: value === 'local' }, ctx.t('time.local', { zone: browserZoneName(), offset: offsetLabel(now, 'local') })),
    h('option', { value: 'utc', selected: value === 'utc' }, ctx.t('time.utc')),
  );
}

/**
 * The zone select of the live, playback and compare toolbars: the choice is kept in the dashboard when it is saved
 * here (the link carries it otherwise), and the screen is rebuilt in it.
 */
export function dashboardZoneSelect(ctx: AppContext, id: string): HTMLSelectElement {
  const d = ctx.dashboard!;
  return zoneSelect(ctx, id, d.chart.timeZone, (zone) => {
    const saved = ctx.dashboardSaved ? ctx.store.dashboards.find((x) => x.name === d.name) : undefined;
    if (saved) {
      saved.chart.timeZone = zone;
      ctx.saveStore();
    }
    ctx.navigate({ ...ctx.url, zone: saved ? undefined : zone }, { replace: true });
  });
}

/** A message naming publishers, each kept whole on one line (a name never breaks in the middle). */
export function messageWithNames(ctx: Pick<AppContext, 't'>, key: MessageKey, names: readonly string[]): HTMLElement {
  const [before, after = ''] = ctx.t(key, { publishers: '\u0000' }).split('\u0000');
  const out = h('span', {}, before);
  names.forEach((n, i) => append(out, i ? ', ' : null, h('bdi', { class: 'name' }, n)));
  append(out, after);
  return out;
}
