/**
 * Live mode: the last N minutes…days, refreshed every few seconds. The first load reads the window; each refresh
 * reads only rows newer than the newest held one (liveData.ts). Source (raw or buckets) follows window and width.
 */
import { fetchResults, RESULT_ROW_LIMIT } from '../api/operations';
import { REFRESHES, RefreshKey, WINDOWS, WindowKey } from '../model/dashboard';
import { durationText } from '../model/i18n';
import { acceptFetch, emptyLiveWindow, planFetch } from '../model/liveData';
import { gapThreshold, thinRows } from '../model/series';
import { chooseSource, estimateResultInterval, thinningGroupMs } from '../model/source';
import { formatUrlState } from '../model/urlState';
import { createChartGrid } from './chartGrid';
import type { AppContext, Screen } from './context';
import { append, formatTime, h, toast, uniqueId } from './dom';
import { exportControls } from './export';
import { createHealthPanel } from './health';
import { dashboardZoneSelect, errorText, messageWithNames } from './text';

let firstChartMarked = false;
const HEALTH_REFRESH_MS = 60_000;

export function liveScreen(ctx: AppContext, root: HTMLElement): Screen {
  const d = ctx.dashboard!;
  const publishers = d.perftool.publishers;
  let windowKey: WindowKey = ctx.url.window ?? d.live.window;
  let refreshKey: RefreshKey = d.live.refresh;
  let held = emptyLiveWindow();
  let interval = 60_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let alive = true;
  /** Number of the newest read: a result from any older read (window changed, Retry) is dropped, never drawn. */
  let currentRead = 0;

  const updated = h('span', { class: 'updated', 'data-testid': 'updated' });
  const source = h('span', { class: 'source', 'data-testid': 'source' });
  const notice = h('p', { class: 'notice', role: 'status' });
  const windowId = uniqueId('w');
  const refreshId = uniqueId('r');
  const zoneId = uniqueId('z');
  const windowSelect = h('select', { id: windowId }, ...(Object.keys(WINDOWS) as WindowKey[]).map((w) => h('option', { value: w, selected: w === windowKey }, durationText(ctx.lang, WINDOWS[w]))));
  const refreshSelect = h('select', { id: refreshId }, ...(Object.keys(REFRESHES) as RefreshKey[]).map((r) => h('option', { value: r, selected: r === refreshKey }, r === 'off' ? ctx.t('live.off') : durationText(ctx.lang, REFRESHES[r]))));
  const timeZone = dashboardZoneSelect(ctx, zoneId);
  const grid = createChartGrid(ctx, d);
  const health = createHealthPanel(ctx, d);
  /** Stored rows of the source in use (what the charts are built from) and its bucket size, for "Export CSV". */
  let shown: { bucketSeconds: number; truncated: string[] } | null = null;

  append(
    root,
    h(
      'div',
      { class: 'toolbar', role: 'toolbar', 'aria-label': ctx.t('nav.live') },
      h('label', { for: windowId }, ctx.t('live.window')),
      windowSelect,
      h('label', { for: refreshId }, ctx.t('live.refresh')),
      refreshSelect,
      h('button', { type: 'button', class: 'secondary', onclick: () => grid.resetZoom(), title: ctx.t('live.zoomHint') }, ctx.t('live.resetZoom')),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () => {
            const link = location.origin + location.pathname + formatUrlState({ view: 'live', dashboard: d.name, window: windowKey, publishers, zone: d.chart.timeZone === 'utc' ? 'utc' : undefined });
            navigator.clipboard?.writeText(link).then(() => toast(ctx.t('live.copied')), () => toast(link));
          },
        },
        ctx.t('live.share'),
      ),
      h('label', { for: zoneId }, ctx.t('time.zone')),
      timeZone,
      exportControls(ctx, d, () => (shown ? { rows: held.rows, bucketSeconds: shown.bucketSeconds, range: grid.visibleRange(), truncated: shown.truncated } : null)),
      h('span', { class: 'status-line' }, source, updated),
    ),
    ctx.dashboardSaved ? null : h('p', { class: 'notice' }, ctx.t('live.notSaved', { name: d.name })),
    d.perftool.visible ? null : h('p', { class: 'notice' }, ctx.t('state.hidden')),
    notice,
    d.perftool.visible && publishers.length ? health.el : null,
    grid.el,
  );

  const schedule = () => {
    clearTimeout(timer);
    const ms = REFRESHES[refreshKey];
    if (alive && ms > 0) timer = setTimeout(() => void load(), ms);
  };

  async function load(): Promise<void> {
    if (!alive || !d.perftool.visible) return;
    if (!publishers.length) {
      grid.setState({ kind: 'empty', message: ctx.t('state.noPublisher') });
      return;
    }
    const read = ++currentRead;
    const isCurrent = () => alive && read === currentRead;
    clearTimeout(timer);
    const now = Date.now();
    const windowMs = WINDOWS[windowKey];
    const plan = planFetch(held, publishers, now, windowMs, grid.chartWidth(), interval);
    if (plan.full) grid.setState({ kind: 'loading', message: ctx.t('state.loading') });
    try {
      const { rows, truncated } = await fetchResults(ctx.client, plan.source.table, plan.reads, plan.toMs);
      if (!isCurrent()) return;
      held = acceptFetch(held, plan, publishers, rows, now, windowMs);
      notice.textContent = truncated.length ? ctx.t('state.truncated', { count: RESULT_ROW_LIMIT, publishers: truncated.join(', ') }) : '';
      source.textContent = ctx.t('live.source', { source: plan.source.bucketMs ? ctx.t('live.buckets', { size: durationText(ctx.lang, plan.source.bucketMs) }) : ctx.t('live.raw') });
      source.dataset.table = plan.source.table;
      updated.textContent = ctx.t('live.updated', { time: formatTime(now, d.chart.timeZone) });
      // A publisher cut by the row limit in any read of this window stays cut until the window is read whole again.
      shown = { bucketSeconds: plan.source.bucketMs / 1000, truncated: [...new Set([...(plan.full ? [] : (shown?.truncated ?? [])), ...truncated])] };
      updated.dataset.time = String(now);
      const groupMs = thinningGroupMs(plan.source, windowMs, grid.chartWidth());
      // Drawing time (data in hand → charts drawn, before the next frame), for `npm run bench:viewer`.
      const drawStart = performance.now();
      grid.show(thinRows(held.rows, groupMs), gapThreshold(Math.max(plan.source.bucketMs, groupMs), interval), [(now - windowMs) / 1000, now / 1000]);
      requestAnimationFrame(() => performance.measure('perftool:draw', { start: drawStart }));
      grid.setState(held.rows.length ? { kind: 'ready' } : { kind: 'empty', message: messageWithNames(ctx, 'state.empty', publishers) });
      if (!firstChartMarked && held.rows.length) {
        firstChartMarked = true;
        performance.mark('perftool:first-chart');
      }
    } catch (e) {
      if (!isCurrent()) return;
      grid.setState({ kind: 'error', message: ctx.t('state.error', { message: errorText(ctx, e) }), retryLabel: ctx.t('state.retry'), onRetry: () => void load() });
    } finally {
      if (isCurrent()) {
        schedule();
        void health.refresh();
      }
    }
  }

  windowSelect.addEventListener('change', () => {
    windowKey = windowSelect.value as WindowKey;
    held = emptyLiveWindow();
    shown = null;
    grid.resetZoom();
    ctx.navigate({ ...ctx.url, view: 'live', dashboard: d.name, window: windowKey }, { replace: true, rerender: false });
    void load();
  });
  refreshSelect.addEventListener('change', () => {
    refreshKey = refreshSelect.value as RefreshKey;
    if (ctx.dashboardSaved) {
      d.live.refresh = refreshKey;
      ctx.saveStore();
    }
    schedule();
  });

  // The first read starts at once with the default result interval; publisher statistics arrive in parallel and,
  // only if they change the source (e.g. a publisher sending every 10 s), trigger one more full read.
  void load();
  ctx
    .publishers()
    .then((stats) => {
      const estimate = estimateResultInterval(stats, publishers);
      if (!alive || estimate === interval) return;
      const before = chooseSource(WINDOWS[windowKey], grid.chartWidth(), interval).table;
      interval = estimate;
      if (chooseSource(WINDOWS[windowKey], grid.chartWidth(), interval).table !== before) void load();
    })
    .catch(() => undefined);

  // Health is about now: kept current every minute even when the charts do not refresh (refresh off or slow).
  const healthTimer = setInterval(() => {
    if (REFRESHES[refreshKey] === 0 || REFRESHES[refreshKey] > HEALTH_REFRESH_MS) void health.refresh();
  }, HEALTH_REFRESH_MS);

  return {
    destroy() {
      alive = false;
      clearTimeout(timer);
      clearInterval(healthTimer);
      grid.destroy();
    },
  };
}
