/**
 * Compare two periods: the dashboard's publishers over period A and period B of the same length (e.g. before and
 * after a broker change), overlaid from their starts, with the difference of the means per metric. Everything is in
 * the URL (`?view=compare&a=…&b=…&len=1d&side=writer`), so the comparison can be shared.
 */
import { fetchResults, RESULT_ROW_LIMIT } from '../api/operations';
import { publisherColors } from '../model/colors';
import { buildCompareData, ComparePeriods, meanDifferences, Side, SIDES } from '../model/compare';
import { WINDOWS, WindowKey } from '../model/dashboard';
import { durationText, MessageKey } from '../model/i18n';
import { gapThreshold, ResultRow } from '../model/series';
import { chooseSource, estimateResultInterval } from '../model/source';
import { formatDateTime, offsetLabel, parseDateTime } from '../model/time';
import { formatExact } from '../model/units';
import { createChartGrid } from './chartGrid';
import type { AppContext, Screen } from './context';
import { append, clear, h, toast, uniqueId } from './dom';
import { formatUrlState } from '../model/urlState';
import { dashboardZoneSelect, errorText, messageWithNames } from './text';

export function compareScreen(ctx: AppContext, root: HTMLElement): Screen {
  const d = ctx.dashboard!;
  const publishers = d.perftool.publishers;
  const zone = d.chart.timeZone;
  const lengthKey: WindowKey = ctx.url.length ?? d.live.window;
  const lengthMs = WINDOWS[lengthKey];
  // By default: the latest period against the one just before it.
  const bMs = ctx.url.bMs ?? Math.floor((Date.now() - lengthMs) / 60_000) * 60_000;
  const aMs = ctx.url.aMs ?? bMs - lengthMs;
  const side: Side = ctx.url.side ?? 'writer';
  let alive = true;
  let load = 0;

  const ids = { a: uniqueId('a'), b: uniqueId('b'), len: uniqueId('len'), side: uniqueId('side'), zone: uniqueId('zone') };
  const timeInput = (id: string, ms: number) => h('input', { type: 'text', id, value: formatDateTime(ms, zone), class: 'time-input', autocomplete: 'off', inputmode: 'numeric', placeholder: 'YYYY-MM-DD HH:mm' });
  const aInput = timeInput(ids.a, aMs);
  const bInput = timeInput(ids.b, bMs);
  const lengthSelect = h('select', { id: ids.len }, ...(Object.keys(WINDOWS) as WindowKey[]).map((w) => h('option', { value: w, selected: w === lengthKey }, durationText(ctx.lang, WINDOWS[w]))));
  const sideSelect = h('select', { id: ids.side }, ...SIDES.map((s) => h('option', { value: s, selected: s === side }, ctx.t(`side.${s}` as MessageKey))));
  const problem = h('p', { class: 'field-error', role: 'alert' });
  const periods = h('p', { class: 'help', 'data-testid': 'periods' });
  const means = h('div', { class: 'changes means', 'data-testid': 'means' });
  // The dashboard's chart grid (shared zoom and hover line), in compare mode.
  const grid = createChartGrid(ctx, d, { side });

  const state = (): ComparePeriods | null => {
    const a = parseDateTime(aInput.value, zone);
    const b = parseDateTime(bInput.value, zone);
    return a === null || b === null ? null : { aMs: a, bMs: b, lengthMs: WINDOWS[lengthSelect.value as WindowKey] };
  };
  const go = () => {
    const p = state();
    if (!p) {
      problem.textContent = ctx.t('compare.invalid');
      return;
    }
    ctx.navigate({ view: 'compare', dashboard: d.name || undefined, publishers: ctx.url.publishers, aMs: p.aMs, bMs: p.bMs, length: lengthSelect.value as WindowKey, side: sideSelect.value as Side, zone: ctx.url.zone }, { replace: false });
  };

  append(
    root,
    h(
      'div',
      { class: 'toolbar', role: 'toolbar', 'aria-label': ctx.t('nav.compare') },
      h('label', { for: ids.a }, ctx.t('compare.a')),
      aInput,
      h('label', { for: ids.b }, ctx.t('compare.b')),
      bInput,
      h('label', { for: ids.len }, ctx.t('compare.length')),
      lengthSelect,
      h('label', { for: ids.side }, ctx.t('compare.side')),
      sideSelect,
      h('button', { type: 'button', class: 'primary', onclick: go }, ctx.t('compare.run')),
      h('label', { for: ids.zone }, ctx.t('time.zone')),
      dashboardZoneSelect(ctx, ids.zone),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () => {
            const p = state() ?? { aMs, bMs, lengthMs };
            const link = location.origin + location.pathname + formatUrlState({ view: 'compare', dashboard: d.name, publishers, aMs: p.aMs, bMs: p.bMs, length: lengthSelect.value as WindowKey, side: sideSelect.value as Side, zone: zone === 'utc' ? 'utc' : undefined });
            navigator.clipboard?.writeText(link).then(() => toast(ctx.t('live.copied')), () => toast(link));
          },
        },
        ctx.t('live.share'),
      ),
    ),
    h('span', { class: 'help' }, ctx.t('time.hint', { offset: offsetLabel(bMs, zone) })),
    problem,
    periods,
    d.perftool.visible ? null : h('p', { class: 'notice' }, ctx.t('state.hidden')),
    grid.el,
    h('h2', {}, ctx.t('compare.means')),
    means,
  );

  const renderMeans = (a: readonly ResultRow[], b: readonly ResultRow[], p: ComparePeriods) => {
    clear(means);
    const rows = meanDifferences(a, b, p, publishers, d.perftool.metrics, side);
    const value = (v: number | null, metric: (typeof rows)[number]['metric']) => (v === null ? ctx.t('compare.noData') : formatExact(v, metric));
    const head = ['compare.publisher', 'compare.metric', 'compare.meanA', 'compare.meanB', 'compare.diff', 'compare.change'] as const;
    append(
      means,
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, ...head.map((k) => h('th', { scope: 'col' }, ctx.t(k))))),
        h(
          'tbody',
          {},
          ...rows.map((r) => {
            const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
            swatch.style.borderColor = publisherColors(r.publisher).reader;
            swatch.style.background = publisherColors(r.publisher).reader;
            const sign = r.difference !== null && r.difference > 0 ? '+' : '';
            return h(
              'tr',
              { 'data-publisher': r.publisher, 'data-mean-metric': r.metric, 'data-difference': r.difference ?? '' },
              h('th', { scope: 'row' }, swatch, h('bdi', { class: 'name' }, r.publisher)),
              h('td', {}, ctx.t(`metric.${r.metric}` as MessageKey)),
              h('td', {}, value(r.meanA, r.metric)),
              h('td', {}, value(r.meanB, r.metric)),
              h('td', {}, r.difference === null ? '–' : `${sign}${formatExact(r.difference, r.metric)}`),
              h('td', {}, r.relative === null ? '–' : `${sign}${(r.relative * 100).toFixed(1)} %`),
            );
          }),
        ),
      ),
    );
  };

  async function read(): Promise<void> {
    const p = state();
    if (!p || !publishers.length || !d.perftool.visible) {
      if (!publishers.length) grid.setState({ kind: 'empty', message: ctx.t('state.noPublisher') });
      return;
    }
    const mine = ++load;
    periods.textContent = ctx.t('compare.periods', { a: `${formatDateTime(p.aMs, zone)} – ${formatDateTime(p.aMs + p.lengthMs, zone)}`, b: `${formatDateTime(p.bMs, zone)} – ${formatDateTime(p.bMs + p.lengthMs, zone)} ${offsetLabel(p.bMs, zone)}` });
    grid.setState({ kind: 'loading', message: ctx.t('state.loading') });
    try {
      const interval = estimateResultInterval(await ctx.publishers().catch(() => []), publishers);
      const source = chooseSource(p.lengthMs, grid.chartWidth(), interval);
      const reads = (start: number) => fetchResults(ctx.client, source.table, publishers.map((publisher) => ({ publisher, fromMs: start })), start + p.lengthMs);
      const [a, b] = await Promise.all([reads(p.aMs), reads(p.bMs)]);
      if (!alive || mine !== load) return;
      const truncated = [...new Set([...a.truncated, ...b.truncated])];
      problem.textContent = truncated.length ? ctx.t('state.truncated', { count: RESULT_ROW_LIMIT, publishers: truncated.join(', ') }) : '';
      const gap = gapThreshold(source.bucketMs, interval);
      for (const { metric, panel } of grid.panels) {
        panel.setData(buildCompareData(a.rows, b.rows, p, publishers, metric, side, gap), [0, p.lengthMs / 1000]);
        panel.setState(a.rows.length || b.rows.length ? { kind: 'ready' } : { kind: 'empty', message: messageWithNames(ctx, 'state.empty', publishers) });
      }
      renderMeans(a.rows, b.rows, p);
    } catch (e) {
      if (!alive || mine !== load) return;
      grid.setState({ kind: 'error', message: ctx.t('state.error', { message: errorText(ctx, e) }), retryLabel: ctx.t('state.retry'), onRetry: () => void read() });
    }
  }

  void read();
  return {
    destroy() {
      alive = false;
      grid.destroy();
    },
  };
}
