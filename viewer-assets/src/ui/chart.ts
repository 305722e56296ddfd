/**
 * One metric chart (uPlot): reader and writer series per publisher, one unit per axis, exact values in a tooltip,
 * gaps as gaps, plus the panel's loading / empty / error states. The charts of a dashboard share the x range (a drag
 * on one zooms all) and the hover line (uPlot cursor sync); chartGrid.ts wires them together.
 * The legend names the series only: values live in the tooltip, so hovering never changes the page's layout.
 */
import uPlot from 'uplot';
import { CURSOR_COLOR, seriesColor } from '../model/colors';
import type { Dashboard, MetricKey } from '../model/dashboard';
import type { ChartData } from '../model/series';
import { formatClock, formatDate, TimeZoneChoice } from '../model/time';
import { axisTicks, formatAxisValues, formatExact } from '../model/units';
import { formatElapsed } from '../model/compare';
import { publisherColors } from '../model/colors';
import { append, clear, formatTime, h } from './dom';

const WRITER_DASH = [6, 4];

export interface ChartLabels {
  title: string;
  /** Legend heading of the time column. */
  time: string;
  reader: string;
  writer: string;
  /** Zone of every time on the axis and in the tooltip. */
  zone: TimeZoneChoice;
  /** Compare mode: x is the time since each period's start, shown as "+02:30". */
  elapsed?: boolean;
}

/** Time-axis labels: `HH:mm`, with the date (`2026-12-06`) under the first tick of each day; dates alone for days. */
function timeAxisValues(zone: TimeZoneChoice) {
  return (_u: uPlot, splits: number[], _axis: number, spaceSec: number): string[] =>
    splits.map((s, i) => {
      const ms = s * 1000;
      if (spaceSec >= 86_400) return formatDate(ms, zone);
      const newDay = i === 0 || formatDate(splits[i - 1] * 1000, zone) !== formatDate(ms, zone);
      return newDay ? `${formatClock(ms, zone)}\n${formatDate(ms, zone)}` : formatClock(ms, zone);
    });
}

export interface ChartStyle {
  line: Dashboard['chart']['line'];
  point: Dashboard['chart']['point'];
}

export interface ChartWiring {
  /** Charts with the same key share the hover line. */
  syncKey?: string;
  /** A user's drag selected [min, max] (seconds): the grid applies it to every chart. */
  onZoom?: (range: [number, number]) => void;
  /** The axis labels just drawn (uPlot draws them on the canvas): kept readable for tests and tools. */
  onYLabels?: (labels: string[]) => void;
}

/** uPlot options for one metric chart (also used by the redraw benchmark). */
export function chartOptions(metric: MetricKey, data: Pick<ChartData, 'series'>, labels: ChartLabels, style: ChartStyle, size: { width: number; height: number }, plugins: uPlot.Plugin[] = [], wiring: ChartWiring = {}): uPlot.Options {
  const axisColor = '#555';
  return {
    width: size.width,
    height: size.height,
    plugins,
    scales: { x: { time: !labels.elapsed }, y: { range: (_u, min, max) => yRange(min, max, metric) } },
    axes: [
      {
        stroke: axisColor,
        grid: { stroke: 'rgba(128,128,128,0.25)' },
        values: labels.elapsed ? (_u, splits) => splits.map((s) => formatElapsed(s)) : timeAxisValues(labels.zone),
        // Elapsed time: ticks on whole minutes, hours or days.
        splits: labels.elapsed ? (_u, _i, min, max) => elapsedSplits(min, max) : undefined,
        space: 70,
      },
      {
        stroke: axisColor,
        grid: { stroke: 'rgba(128,128,128,0.25)' },
        // Wide enough for the longest label ("1.5 MiB/s", "1500 msg/s") at the axis font.
        size: (_u, values) => Math.max(48, 16 + 7 * Math.max(0, ...(values ?? []).map((v) => String(v ?? '').length))),
        splits: (_u, _i, min, max) => axisTicks(min, max, Math.max(2, Math.floor(size.height / 60)), metric),
        values: (_u, splits) => {
          const text = formatAxisValues(splits, metric);
          wiring.onYLabels?.(text);
          return text;
        },
      },
    ],
    series: [
      { label: labels.time },
      ...data.series.map((s) => {
        // Compare mode: period A in the publisher's dark shade (solid), B in its light one (dashed).
        const color = s.period ? publisherColors(s.publisher)[s.period === 'A' ? 'reader' : 'writer'] : seriesColor(s);
        const dashed = s.period ? s.period === 'B' : s.side === 'writer';
        return {
          label: s.period ? `${s.publisher} ${s.period}` : `${s.publisher} ${s.side === 'reader' ? labels.reader : labels.writer}`,
          stroke: color,
          width: style.line.enabled ? style.line.size : 0,
          dash: dashed ? WRITER_DASH : undefined,
          spanGaps: false,
          points: { show: style.point.enabled ? pointsFit(style.point.size) : false, size: style.point.size * 2 + 1, fill: color },
        } satisfies uPlot.Series;
      }),
    ],
    cursor: {
      drag: { x: true, y: false, setScale: false },
      bind: { dblclick: () => null },
      sync: wiring.syncKey ? { key: wiring.syncKey, setSeries: false } : undefined,
      points: { show: false },
      // Only the time line (shared by every chart); a horizontal line would suggest one value for all series.
      y: false,
    },
    // Names and line styles only: live values would change the legend's width on every mouse move.
    legend: { live: false, markers: { width: 3, dash: (u, i) => (u.series[i].dash ? 'dashed' : 'solid') } },
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

function elapsedSplits(min: number, max: number): number[] {
  const span = Math.max(1, max - min);
  const step = [60, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400].find((st) => span / st <= 6) ?? 7 * 86400;
  const out: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max; t += step) out.push(t);
  return out;
}

function yRange(min: number | null, max: number | null, metric: MetricKey): uPlot.Range.MinMax {
  const hi = max == null || max <= 0 ? (metric === 'bytes' ? 1024 : 1) : max;
  const ticks = axisTicks(Math.min(0, min ?? 0), hi, 5, metric);
  return [ticks[0], ticks[ticks.length - 1]];
}

/**
 * Floating tooltip with the exact values of every series at the cursor, only in the chart under the pointer (the
 * others show the shared hover line). It wraps and stays inside the window, also on a 390 px phone.
 */
function tooltipPlugin(metric: MetricKey, zone: TimeZoneChoice, elapsed: boolean): uPlot.Plugin {
  let tip: HTMLDivElement;
  let pointerInside = false;
  return {
    hooks: {
      init: (u) => {
        tip = h('div', { class: 'tooltip', role: 'tooltip', hidden: true });
        u.over.append(tip);
        u.over.addEventListener('pointerenter', () => (pointerInside = true));
        u.over.addEventListener('pointerleave', () => {
          pointerInside = false;
          tip.hidden = true;
        });
      },
      setCursor: (u) => {
        const idx = u.cursor.idx;
        if (!pointerInside || idx == null || u.cursor.left == null || u.cursor.left < 0) {
          tip.hidden = true;
          return;
        }
        clear(tip);
        append(tip, h('div', { class: 'tip-time' }, elapsed ? formatElapsed(u.data[0][idx], true) : formatTime(u.data[0][idx] * 1000, zone)));
        let shown = 0;
        u.series.forEach((s, i) => {
          const v = u.data[i][idx];
          if (i === 0 || v == null || !s.show) return;
          shown++;
          const color = String(s.stroke && typeof s.stroke === 'function' ? s.stroke(u, i) : s.stroke);
          const dashed = !!s.dash;
          const swatch = h('span', { class: dashed ? 'swatch dashed' : 'swatch' });
          // CSSOM styling (allowed by the CSP, unlike inline style attributes).
          swatch.style.borderColor = color;
          if (!dashed) swatch.style.background = color;
          append(tip, h('div', { class: 'tip-row' }, swatch, h('span', { class: 'name' }, String(s.label)), `: ${formatExact(v, metric)}`));
        });
        tip.hidden = shown === 0;
        if (tip.hidden) return;
        // Right of the cursor, or left of it where it would leave the window; never past either edge of the window.
        // Below the cursor, or above it where it would run past the bottom of the plot.
        const gap = 12;
        const margin = 4;
        const overLeft = u.over.getBoundingClientRect().left;
        const viewport = document.documentElement.clientWidth;
        const width = tip.offsetWidth;
        const height = tip.offsetHeight;
        const cursorX = overLeft + u.cursor.left;
        let x = cursorX + gap + width <= viewport - margin ? cursorX + gap : cursorX - gap - width;
        x = Math.min(Math.max(margin, x), Math.max(margin, viewport - margin - width));
        tip.style.left = `${x - overLeft}px`;
        const top = u.cursor.top ?? 0;
        tip.style.top = `${top + gap + height <= u.over.clientHeight ? top + gap : Math.max(0, top - gap - height)}px`;
      },
    },
  };
}

export type PanelState = { kind: 'loading'; message: string } | { kind: 'ready' } | { kind: 'empty'; message: string | Node } | { kind: 'error'; message: string; retryLabel: string; onRetry: () => void };

export interface ChartPanel {
  el: HTMLElement;
  setData(data: ChartData, xRange: [number, number]): void;
  setState(state: PanelState): void;
  /** Shows [min, max] (seconds), or the window again with null. */
  setZoom(range: [number, number] | null): void;
  resize(): void;
  destroy(): void;
  /** The playback position (seconds), drawn in the cursor colour. */
  setMarker(x: number | null): void;
}

export function createChartPanel(metric: MetricKey, labels: ChartLabels, style: ChartStyle, minHeight: number, wiring: ChartWiring = {}): ChartPanel {
  const plotHost = h('div', { class: 'plot' });
  const status = h('div', { class: 'chart-status', role: 'status', 'aria-live': 'polite' });
  const el = h('section', { class: 'chart-panel', 'data-metric': metric, 'data-chart-state': 'loading', 'aria-label': labels.title }, h('h2', {}, labels.title), status, plotHost);
  let plot: uPlot | null = null;
  let seriesKey = '';
  let zoom: [number, number] | null = null;
  let windowRange: [number, number] = [0, 1];
  let marker: number | null = null;
  let lastData: ChartData | null = null;

  const size = () => ({ width: Math.max(200, plotHost.clientWidth || el.clientWidth || 300), height: Math.max(150, minHeight) });
  const applyX = () => {
    const [min, max] = zoom ?? windowRange;
    plot?.setScale('x', { min, max });
  };

  const panelWiring: ChartWiring = { ...wiring, onYLabels: (text) => (el.dataset.yTicks = text.join('|')) };

  const markerPlugin: uPlot.Plugin = {
    hooks: {
      draw: (u) => {
        if (marker === null) return;
        const x = u.valToPos(marker, 'x', true);
        const ctx = u.ctx;
        ctx.save();
        ctx.strokeStyle = CURSOR_COLOR;
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
      // A user's drag: zoom every chart of the dashboard to it (the grid calls setZoom on each).
      setSelect: (u) => {
        if (u.select.width <= 0) return;
        const range: [number, number] = [u.posToVal(u.select.left, 'x'), u.posToVal(u.select.left + u.select.width, 'x')];
        u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
        if (wiring.onZoom) wiring.onZoom(range);
        else panel.setZoom(range);
      },
    },
  };

  const panel: ChartPanel = {
    el,
    setData(data, xRange) {
      lastData = data;
      windowRange = xRange;
      const key = data.series.map((s) => `${s.publisher}/${s.side}/${s.period ?? ''}`).join('|');
      const aligned = [data.xs, ...data.ys] as uPlot.AlignedData;
      if (!plot || key !== seriesKey) {
        plot?.destroy();
        clear(plotHost);
        seriesKey = key;
        plot = new uPlot(chartOptions(metric, data, labels, style, size(), [tooltipPlugin(metric, labels.zone, !!labels.elapsed), markerPlugin], panelWiring), aligned, plotHost);
        plot.over.addEventListener('dblclick', () => (wiring.onZoom ? el.dispatchEvent(new CustomEvent('chart-reset-zoom', { bubbles: true })) : panel.setZoom(null)));
      } else plot.setData(aligned);
      applyX();
    },
    setState(state) {
      el.dataset.chartState = state.kind;
      clear(status);
      status.className = `chart-status ${state.kind}`;
      if (state.kind === 'loading') append(status, h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', {}, state.message));
      if (state.kind === 'empty') append(status, h('p', {}, typeof state.message === 'string' ? state.message : state.message.cloneNode(true)));
      if (state.kind === 'error') append(status, h('p', {}, state.message), h('button', { type: 'button', onclick: state.onRetry }, state.retryLabel));
      plotHost.classList.toggle('dimmed', state.kind === 'empty' || state.kind === 'error');
    },
    setZoom(range) {
      zoom = range;
      el.dataset.zoomed = range ? 'true' : 'false';
      applyX();
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
