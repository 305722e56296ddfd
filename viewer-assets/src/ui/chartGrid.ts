/**
 * The dashboard's charts, one per chosen metric, laid out by the dashboard's layout and minimum sizes. They share
 * one x range (a drag on any chart zooms all of them; double-click or "Reset zoom" restores the window) and one
 * hover line.
 */
import type { Dashboard, MetricKey } from '../model/dashboard';
import type { MessageKey } from '../model/i18n';
import { buildChartData, ResultRow } from '../model/series';
import type { AppContext } from './context';
import { ChartPanel, createChartPanel, PanelState } from './chart';
import { h } from './dom';

export interface ChartGrid {
  el: HTMLElement;
  panels: Array<{ metric: MetricKey; panel: ChartPanel }>;
  /** Width available to one chart, for choosing the data source. */
  chartWidth(): number;
  show(rows: readonly ResultRow[], gapMs: number, xRangeSec: [number, number], reveal?: (xs: number[]) => number): void;
  setState(state: PanelState): void;
  setMarker(xSec: number | null): void;
  resetZoom(): void;
  /** What the charts show now (seconds): the zoom, else the window. */
  visibleRange(): [number, number];
  destroy(): void;
}

let gridCounter = 0;

/** Compare mode (compare.ts): x is the time since each period's start, and the titles name the side shown. */
export function createChartGrid(ctx: AppContext, d: Dashboard, compare?: { side: 'reader' | 'writer' }): ChartGrid {
  const el = h('div', { class: `chart-grid layout-${d.layout.template}` });
  // Minimum sizes are dashboard settings: set as CSS custom properties through the CSSOM (CSP-safe).
  el.style.setProperty('--chart-min-width', `${d.chart.minSize.width}px`);
  const height = d.layout.template === 'vertical-2' ? Math.round(d.chart.minSize.height * 1.6) : d.chart.minSize.height;
  // Charts keep their height while loading or failing, so the layout does not jump.
  el.style.setProperty('--chart-height', `${height + 60}px`);
  const labels = { time: ctx.t('chart.time'), reader: ctx.t('side.reader'), writer: ctx.t('side.writer'), zone: d.chart.timeZone, elapsed: !!compare };
  const title = (metric: MetricKey) => ctx.t(`metric.${metric}` as MessageKey) + (compare ? ` · ${ctx.t(`side.${compare.side}`)}` : '');
  const publishers = d.perftool.publishers;
  let windowRange: [number, number] = [0, 1];
  let zoom: [number, number] | null = null;
  const wiring = {
    syncKey: `grid-${++gridCounter}`,
    onZoom: (range: [number, number]) => {
      zoom = range;
      panels.forEach((p) => p.panel.setZoom(range));
    },
  };
  // "Show perftool charts" off: no charts (the screens say why).
  const panels = (d.perftool.visible ? d.perftool.metrics : []).map((metric) => {
    const panel = createChartPanel(metric, { ...labels, title: title(metric) }, d.chart, height, wiring);
    el.append(panel.el);
    return { metric, panel };
  });
  const resetZoom = () => {
    zoom = null;
    panels.forEach((p) => p.panel.setZoom(null));
  };
  el.addEventListener('chart-reset-zoom', resetZoom);
  const onResize = () => panels.forEach((p) => p.panel.resize());
  const observer = new ResizeObserver(() => requestAnimationFrame(onResize));
  observer.observe(el);
  return {
    el,
    panels,
    chartWidth: () => (panels[0]?.panel.el.clientWidth || el.clientWidth || window.innerWidth) - 90,
    show(rows, gapMs, xRangeSec, reveal) {
      windowRange = xRangeSec;
      for (const { metric, panel } of panels) {
        const data = buildChartData(rows, publishers, metric, gapMs);
        if (reveal) {
          const n = reveal(data.xs);
          panel.setData({ ...data, xs: data.xs.slice(0, n), ys: data.ys.map((y) => y.slice(0, n)) }, xRangeSec);
        } else panel.setData(data, xRangeSec);
      }
    },
    setState: (state) => panels.forEach((p) => p.panel.setState(state)),
    setMarker: (x) => panels.forEach((p) => p.panel.setMarker(x)),
    resetZoom,
    visibleRange: () => zoom ?? windowRange,
    destroy() {
      observer.disconnect();
      panels.forEach((p) => p.panel.destroy());
    },
  };
}
