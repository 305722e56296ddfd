/**
 * One metric chart (uPlot): reader and writer series per publisher, human units on the axis, exact values in the
 * legend and a tooltip, gaps as gaps, drag to zoom and double-click (or the button) to reset, plus the panel's
 * loading / empty / error states.
 */
import uPlot from 'uplot';
import type { Dashboard, MetricKey } from '../model/dashboard';
import type { ChartData } from '../model/series';
import { axisTicks, formatExact, formatShort } from '../model/units';
import { append, clear, formatTime, h, localeOf } from './dom';

/**
 * One hue per publisher from the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies):
 * the reader in a dark shade (solid line), the writer in a light one (dashed line), so the two differ by
 * lightness and dash as well as by name.
 */
export const PALETTE: ReadonlyArray<{ reader: string; writer: string }> = [
  { reader: '#0072B2', writer: '#56B4E9' },
  { reader: '#D55E00', writer: '#E69F00' },
  { reader: '#007A5A', writer: '#3FC49A' },
  { reader: '#A0467A', writer: '#DDA0C4' },
  { reader: '#333333', writer: '#9A9A9A' },
  { reader: '#7A6C00', writer: '#E0D030' },
];

export function seriesColor(publishers: readonly string[], s: { publisher: string; side: 'reader' | 'writer' }): string {
  return PALETTE[Math.max(0, publishers.indexOf(s.publisher)) % PALETTE.length][s.side];
}

const WRITER_DASH = [6, 4];

export interface ChartLabels {
  title: string;
  /** Legend heading of the time column. */
  time: string;
  reader: string;
  writer: string;
  /** UI language, for times on the axis, legend and tooltip. */
  lang: string;
}

/** Time-axis labels in the UI language: hours:minutes, with the date under the first tick of each day. */
function timeAxisValues(lang: string) {
  const locale = localeOf(lang);
  const time = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const day = new Intl.DateTimeFormat(locale, { month: '2-digit', day: '2-digit' });
  return (_u: uPlot, splits: number[], _axis: number, spaceSec: number): string[] =>
    splits.map((s, i) => {
      const d = new Date(s * 1000);
      if (spaceSec >= 86_400) return day.format(d);
      const newDay = i === 0 || new Date(splits[i - 1] * 1000).getDate() !== d.getDate();
      return newDay ? `${time.format(d)}\n${day.format(d)}` : time.format(d);
    });
}

export interface ChartStyle {
  line: Dashboard['chart']['line'];
  point: Dashboard['chart']['point'];
}

/** uPlot options for one metric chart (also used by the redraw benchmark). */
export function chartOptions(metric: MetricKey, data: Pick<ChartData, 'series'>, publishers: readonly string[], labels: ChartLabels, style: ChartStyle, size: { width: number; height: number }, plugins: uPlot.Plugin[] = []): uPlot.Options {
  const axisColor = '#555';
  return {
    width: size.width,
    height: size.height,
    plugins,
    scales: { x: { time: true }, y: { range: (_u, min, max) => yRange(min, max, metric) } },
    axes: [
      { stroke: axisColor, grid: { stroke: 'rgba(128,128,128,0.25)' }, values: timeAxisValues(labels.lang) },
      {
        stroke: axisColor,
        grid: { stroke: 'rgba(128,128,128,0.25)' },
        // Wide enough for the longest label ("1.5 MiB/s", "1500 msg/s") at the axis font.
        size: (_u, values) => Math.max(48, 16 + 7 * Math.max(0, ...(values ?? []).map((v) => String(v ?? '').length))),
        splits: (_u, _i, min, max) => axisTicks(min, max, Math.max(2, Math.floor(size.height / 60)), metric),
        values: (_u, splits) => splits.map((v) => formatShort(v, metric)),
      },
    ],
    series: [
      { label: labels.time, value: (_u, v) => (v == null ? '–' : formatTime(v * 1000, labels.lang)) },
      ...data.series.map((s) => {
        const color = seriesColor(publishers, s);
        return {
          label: `${s.publisher} ${s.side === 'reader' ? labels.reader : labels.writer}`,
          stroke: color,
          width: style.line.enabled ? style.line.size : 0,
          dash: s.side === 'writer' ? WRITER_DASH : undefined,
          spanGaps: false,
          points: { show: style.point.enabled ? pointsFit(style.point.size) : false, size: style.point.size * 2 + 1, fill: color },
          value: (_u: uPlot, v: number | null) => formatExact(v, metric),
        } satisfies uPlot.Series;
      }),
    ],
    cursor: { drag: { x: true, y: false, setScale: true }, bind: { dblclick: () => null } },
    // Legend markers show the line's dash as well as its colour.
    legend: { live: true, markers: { width: 3, dash: (u, i) => (u.series[i].dash ? 'dashed' : 'solid') } },
  };
}

/** Points are drawn only while they do not overlap (40,000 markers cost far more than the lines and show nothing). */
function pointsFit(size: number) {
  return (u: uPlot, seriesIdx: number): boolean => {
    const [i0, i1] = u.series[seriesIdx].idxs ?? [0, u.data[0].length - 1];
    // Neighbours may overlap by up to half a marker before the markers go.
    return (i1 - i0 + 1) * (size * 2 + 1) <= (2 * u.bbox.width) / devicePixelRatio;
  };
}

function yRange(min: number | null, max: number | null, metric: MetricKey): uPlot.Range.MinMax {
  const hi = max == null || max <= 0 ? (metric === 'bytes' ? 1024 : 1) : max;
  const ticks = axisTicks(Math.min(0, min ?? 0), hi, 5, metric);
  return [ticks[0], ticks[ticks.length - 1]];
}

/** Floating tooltip with the exact values of every series at the cursor. */
function tooltipPlugin(metric: MetricKey, lang: string, series: ReadonlyArray<{ color: string; dashed: boolean }>): uPlot.Plugin {
  let tip: HTMLDivElement;
  return {
    hooks: {
      init: (u) => {
        tip = h('div', { class: 'tooltip', role: 'tooltip', hidden: true });
        u.over.append(tip);
      },
      setCursor: (u) => {
        const idx = u.cursor.idx;
        if (idx == null || u.cursor.left == null || u.cursor.left < 0) {
          tip.hidden = true;
          return;
        }
        clear(tip);
        append(tip, h('div', { class: 'tip-time' }, formatTime(u.data[0][idx] * 1000, lang)));
        let shown = 0;
        u.series.forEach((s, i) => {
          const v = u.data[i][idx];
          if (i === 0 || v == null || !s.show) return;
          shown++;
          const swatch = h('span', { class: series[i - 1].dashed ? 'swatch dashed' : 'swatch' });
          // CSSOM styling (allowed by the CSP, unlike inline style attributes).
          swatch.style.borderColor = series[i - 1].color;
          if (!series[i - 1].dashed) swatch.style.background = series[i - 1].color;
          append(tip, h('div', {}, swatch, `${String(s.label)}: ${formatExact(v, metric)}`));
        });
        tip.hidden = shown === 0;
        if (tip.hidden) return;
        // Right of the cursor, or left of it where the tooltip would leave the window; below the cursor, or above it
        // where it would run past the bottom of the plot (onto the axis, the legend or the next chart).
        const gap = 12;
        const width = tip.offsetWidth;
        const height = tip.offsetHeight;
        const roomRight = document.documentElement.clientWidth - u.over.getBoundingClientRect().left - gap;
        const right = u.cursor.left + gap;
        tip.style.left = `${right + width <= roomRight ? right : Math.max(-u.over.offsetLeft, u.cursor.left - gap - width)}px`;
        const top = u.cursor.top ?? 0;
        tip.style.top = `${top + gap + height <= u.over.clientHeight ? top + gap : Math.max(0, top - gap - height)}px`;
      },
    },
  };
}

export type PanelState = { kind: 'loading'; message: string } | { kind: 'ready' } | { kind: 'empty'; message: string } | { kind: 'error'; message: string; retryLabel: string; onRetry: () => void };

export interface ChartPanel {
  el: HTMLElement;
  setData(data: ChartData, xRange: [number, number]): void;
  setState(state: PanelState): void;
  resetZoom(): void;
  resize(): void;
  destroy(): void;
  /** Marks drawn on top of the plot, e.g. the playback position (seconds). */
  setMarker(x: number | null): void;
}

export function createChartPanel(metric: MetricKey, publishers: readonly string[], labels: ChartLabels, style: ChartStyle, minHeight: number): ChartPanel {
  const plotHost = h('div', { class: 'plot' });
  const status = h('div', { class: 'chart-status', role: 'status', 'aria-live': 'polite' });
  const el = h('section', { class: 'chart-panel', 'data-metric': metric, 'data-chart-state': 'loading', 'aria-label': labels.title }, h('h2', {}, labels.title), status, plotHost);
  let plot: uPlot | null = null;
  let seriesKey = '';
  let zoomed = false;
  let windowRange: [number, number] = [0, 1];
  let marker: number | null = null;
  let lastData: ChartData | null = null;

  const size = () => ({ width: Math.max(200, plotHost.clientWidth || el.clientWidth || 300), height: Math.max(150, minHeight) });
  const setX = (range: [number, number]) => plot?.setScale('x', { min: range[0], max: range[1] });

  const markerPlugin: uPlot.Plugin = {
    hooks: {
      draw: (u) => {
        if (marker === null) return;
        const x = u.valToPos(marker, 'x', true);
        const ctx = u.ctx;
        ctx.save();
        ctx.strokeStyle = '#D55E00';
        ctx.lineWidth = 2 * devicePixelRatio;
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
        ctx.restore();
      },
      // The visible time range, readable by tests and tools (uPlot draws its axis labels on the canvas).
      setScale: (u, key) => {
        if (key === 'x') el.dataset.xRange = `${u.scales.x.min},${u.scales.x.max}`;
      },
      // Only a user's drag selects; data updates and resets set the scale directly.
      setSelect: (u) => {
        if (u.select.width > 0) zoomed = true;
      },
    },
  };

  const panel: ChartPanel = {
    el,
    setData(data, xRange) {
      lastData = data;
      windowRange = xRange;
      const key = data.series.map((s) => `${s.publisher}/${s.side}`).join('|');
      const aligned = [data.xs, ...data.ys] as uPlot.AlignedData;
      if (!plot || key !== seriesKey) {
        plot?.destroy();
        clear(plotHost);
        seriesKey = key;
        zoomed = false;
        const tipSeries = data.series.map((s) => ({ color: seriesColor(publishers, s), dashed: s.side === 'writer' }));
        plot = new uPlot(chartOptions(metric, data, publishers, labels, style, size(), [tooltipPlugin(metric, labels.lang, tipSeries), markerPlugin]), aligned, plotHost);
        plot.over.addEventListener('dblclick', () => panel.resetZoom());
      } else {
        const keep: [number, number] = zoomed ? [plot.scales.x.min ?? xRange[0], plot.scales.x.max ?? xRange[1]] : xRange;
        plot.setData(aligned);
        setX(keep);
        return;
      }
      setX(xRange);
    },
    setState(state) {
      el.dataset.chartState = state.kind;
      clear(status);
      status.className = `chart-status ${state.kind}`;
      if (state.kind === 'loading') append(status, h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', {}, state.message));
      if (state.kind === 'empty') append(status, h('p', {}, state.message));
      if (state.kind === 'error') append(status, h('p', {}, state.message), h('button', { type: 'button', onclick: state.onRetry }, state.retryLabel));
      plotHost.classList.toggle('dimmed', state.kind === 'empty' || state.kind === 'error');
    },
    resetZoom() {
      zoomed = false;
      setX(windowRange);
    },
    resize() {
      if (plot) plot.setSize(size());
      else if (lastData) panel.setData(lastData, windowRange);
    },
    destroy() {
      plot?.destroy();
      plot = null;
    },
    setMarker(x) {
      marker = x;
      plot?.redraw(false, false);
    },
  };
  return panel;
}
