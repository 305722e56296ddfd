/** Human units and axis ticks for the perftool metrics. Pure; used by the charts and tested in jest. */

const BINARY_UNITS = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s', 'TiB/s'];

/** Short form for axes: 3 significant digits in the largest binary unit that keeps the number ≥ 1. */
export function formatBytesRate(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return '–';
  let unit = 0;
  let x = Math.abs(v);
  while (x >= 1024 && unit < BINARY_UNITS.length - 1) {
    x /= 1024;
    unit++;
  }
  const sign = v < 0 ? '-' : '';
  return `${sign}${trimNumber(x)} ${BINARY_UNITS[unit]}`;
}

function trimNumber(x: number): string {
  if (x === 0) return '0';
  if (x >= 100) return String(Math.round(x));
  if (x >= 10) return String(Math.round(x * 10) / 10);
  return String(Math.round(x * 100) / 100);
}

/** Exact value with the human form, for tooltips: "480,368.098 B/s (469 KiB/s)". */
export function formatExact(v: number | null | undefined, unit: Unit): string {
  if (v == null || !Number.isFinite(v)) return '–';
  const exact = `${v.toLocaleString('en-US', { maximumFractionDigits: 3 })} ${UNIT_SUFFIX[unit]}`;
  if (unit === 'bytes' && Math.abs(v) >= 1024) return `${exact} (${formatBytesRate(v)})`;
  return exact;
}

export type Unit = 'bytes' | 'messages' | 'errorRate' | 'errorCount';
const UNIT_SUFFIX: Record<Unit, string> = { bytes: 'B/s', messages: 'msg/s', errorRate: 'err/s', errorCount: 'errors' };

/** "Nice" decimal steps (1, 2, 5 × 10^k) for counts and message rates. */
function decimalStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/**
 * Binary-friendly steps for bytes: a power of two times a power of 1024, so every tick reads well in the one unit
 * the axis uses (0, 0.25, 0.5 … KiB/s). Only an axis that stays below 1 KiB/s gets decimal steps in B/s.
 */
function binaryStep(raw: number, hi: number): number {
  if (hi < 1024) return decimalStep(raw);
  if (raw < 1024) return 2 ** Math.ceil(Math.log2(raw) - 1e-9);
  const unit = 1024 ** Math.floor(Math.log(raw) / Math.log(1024));
  const m = 2 ** Math.ceil(Math.log2(raw / unit) - 1e-9);
  return m * unit;
}

/**
 * Tick positions from 0 (or below, for negative data) covering [min, max] with at most `maxTicks` intervals.
 * Pure and stateless: a step computed for one range cannot leak into another (the original's scale did).
 */
export function axisTicks(min: number, max: number, maxTicks: number, unit: Unit): number[] {
  const lo = Math.min(0, min);
  const hi = Math.max(max, lo + (unit === 'bytes' ? 1024 : 1));
  const raw = (hi - lo) / Math.max(1, maxTicks);
  // Counts are whole numbers: never a tick step below 1.
  const step = unit === 'bytes' ? binaryStep(raw, hi) : unit === 'errorCount' ? Math.max(1, decimalStep(raw)) : decimalStep(raw);
  const ticks: number[] = [];
  for (let t = Math.floor(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(t);
  if (ticks[ticks.length - 1] < hi) ticks.push(ticks[ticks.length - 1] + step);
  return ticks;
}

/** Decimals (≤ 3) that show every tick exactly enough: 0.25 needs 2, 1.5 needs 1. */
function decimalsFor(values: readonly number[]): number {
  for (let d = 0; d < 3; d++) if (values.every((v) => Math.abs(v * 10 ** d - Math.round(v * 10 ** d)) < 1e-6)) return d;
  return 3;
}

const trimZeros = (text: string) => (text.includes('.') ? text.replace(/\.?0+$/, '') : text);

/**
 * Labels for one axis in ONE unit, chosen from its largest tick: "0, 0.5, 1, 1.5 KiB/s" rather than
 * "0, 500 B/s, 1000 B/s, 1.46 KiB/s". Counts and message rates use k/M the same way.
 */
export function formatAxisValues(ticks: readonly number[], unit: Unit): string[] {
  const max = Math.max(0, ...ticks.map((t) => Math.abs(t)));
  let scale = 1;
  let suffix = '';
  if (unit === 'bytes') {
    let i = 0;
    while (max / 1024 ** i >= 1024 && i < BINARY_UNITS.length - 1) i++;
    scale = 1024 ** i;
    suffix = ` ${BINARY_UNITS[i]}`;
  } else {
    if (max >= 1e6) [scale, suffix] = [1e6, 'M'];
    else if (max >= 1e4) [scale, suffix] = [1e3, 'k'];
    if (unit !== 'errorCount') suffix += ` ${UNIT_SUFFIX[unit]}`;
  }
  const scaled = ticks.map((t) => t / scale);
  const d = decimalsFor(scaled);
  return scaled.map((v) => `${trimZeros(v.toFixed(d))}${suffix}`);
}
