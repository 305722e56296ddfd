/**
 * CSV exports. "What is on screen": the rows the charts were built from (the stored rows of the source in use: raw
 * results or one bucket level), limited to the visible publishers and time range. "Raw results": every stored
 * column of every result. Header cells name the column and its unit; values are written as stored (the numbers
 * exactly as the API returned them, empty for NULL); times in ISO 8601 with the offset of the dashboard's zone.
 * The header is the same in every UI language. Pure; tested in jest.
 */
import type { MetricKey } from './dashboard';
import { METRIC_FIELDS, ResultRow, rowTime } from './series';
import { isoWithOffset, TimeZoneChoice } from './time';

const UNITS: Record<string, string> = {
  bytes_rate: 'B/s',
  count_rate: 'messages/s',
  error_rate: 'errors/s',
  error_count: 'errors',
  msg_count: 'messages',
  msg_size_avg: 'bytes',
};

function unitOf(column: string): string | null {
  if (column === 'timestamp' || column === 'window_start' || column === 'window_end') return 'ISO 8601';
  if (column === 'result_count') return 'results';
  if (column === 'bucket_seconds') return 's';
  const key = Object.keys(UNITS).find((k) => column.endsWith(k));
  return key ? UNITS[key] : null;
}

export const headerCell = (column: string) => {
  const unit = unitOf(column);
  return unit ? `${column} [${unit}]` : column;
};

/** RFC 4180 quoting; text that a spreadsheet would run as a formula gets a leading apostrophe. */
export function csvCell(value: unknown): string {
  if (value == null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text) && !/^[+-]?\d/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A stored timestamptz text as ISO 8601 in the zone, keeping its fraction of a second exactly (µs included). */
export function storedTimeIso(text: string, zone: TimeZoneChoice): string {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return text;
  const whole = isoWithOffset(Math.floor(ms / 1000) * 1000, zone);
  const frac = /\d{2}:\d{2}:\d{2}(\.\d+)/.exec(text)?.[1] ?? '';
  return frac ? whole.replace(/([+-]\d{2}:\d{2})$/, `${frac}$1`) : whole;
}

const line = (cells: unknown[]) => `${cells.map(csvCell).join(',')}\r\n`;

export function viewColumns(metrics: readonly MetricKey[]): string[] {
  return ['timestamp', 'publisher', 'bucket_seconds', 'result_count', ...metrics.flatMap((m) => [METRIC_FIELDS[m].reader, METRIC_FIELDS[m].writer])];
}

/** What the charts show: rows of `publishers` with fromSec ≤ time ≤ toSec, one line per time and publisher. */
export function viewCsv(rows: readonly ResultRow[], o: { publishers: readonly string[]; metrics: readonly MetricKey[]; zone: TimeZoneChoice; bucketSeconds: number; fromSec: number; toSec: number }): { text: string; rows: number } {
  const columns = viewColumns(o.metrics);
  const wanted = new Set(o.publishers);
  let text = line(columns.map(headerCell));
  let n = 0;
  for (const r of rows) {
    const t = rowTime(r) / 1000;
    if (!wanted.has(r.publisher) || t < o.fromSec || t > o.toSec) continue;
    n++;
    text += line(
      columns.map((c) =>
        c === 'timestamp' ? storedTimeIso(r.timestamp, o.zone) : c === 'bucket_seconds' ? o.bucketSeconds : c === 'result_count' ? (o.bucketSeconds === 0 ? 1 : r.result_count) : r[c],
      ),
    );
  }
  return { text, rows: n };
}

export function rawHeader(columns: readonly string[]): string {
  return line(columns.map(headerCell));
}

export function rawLines(rows: readonly ResultRow[], columns: readonly string[], zone: TimeZoneChoice): string {
  let text = '';
  for (const r of rows) text += line(columns.map((c) => (unitOf(c) === 'ISO 8601' && typeof r[c] === 'string' ? storedTimeIso(r[c] as string, zone) : r[c])));
  return text;
}
