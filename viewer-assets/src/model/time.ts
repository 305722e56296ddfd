/**
 * One unambiguous time format everywhere (axes, tooltips, "Updated", inputs, exports): `2026-12-06 10:50`, in the
 * browser's time zone or in UTC (a dashboard setting), always shown with its offset. Pure; tested in jest.
 */

export const TIME_ZONES = ['local', 'utc'] as const;
export type TimeZoneChoice = (typeof TIME_ZONES)[number];

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

interface Parts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  ms: number;
}

function partsOf(ms: number, zone: TimeZoneChoice): Parts {
  const t = new Date(ms);
  return zone === 'utc'
    ? { y: t.getUTCFullYear(), mo: t.getUTCMonth() + 1, d: t.getUTCDate(), h: t.getUTCHours(), mi: t.getUTCMinutes(), s: t.getUTCSeconds(), ms: t.getUTCMilliseconds() }
    : { y: t.getFullYear(), mo: t.getMonth() + 1, d: t.getDate(), h: t.getHours(), mi: t.getMinutes(), s: t.getSeconds(), ms: t.getMilliseconds() };
}

/** `2026-12-06` */
export function formatDate(ms: number, zone: TimeZoneChoice): string {
  const p = partsOf(ms, zone);
  return `${p.y}-${pad(p.mo)}-${pad(p.d)}`;
}

/** `10:50` or `10:50:07` */
export function formatClock(ms: number, zone: TimeZoneChoice, seconds = false): string {
  const p = partsOf(ms, zone);
  return `${pad(p.h)}:${pad(p.mi)}${seconds ? `:${pad(p.s)}` : ''}`;
}

/** `2026-12-06 10:50` (or with seconds). */
export function formatDateTime(ms: number, zone: TimeZoneChoice, seconds = false): string {
  return `${formatDate(ms, zone)} ${formatClock(ms, zone, seconds)}`;
}

/** Minutes east of UTC at that instant (daylight saving time changes it within a range). */
export function offsetMinutes(ms: number, zone: TimeZoneChoice): number {
  return zone === 'utc' ? 0 : -new Date(ms).getTimezoneOffset();
}

function offsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const a = Math.abs(minutes);
  return `${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/** `UTC` or `UTC+09:00`: shown next to every time. */
export function offsetLabel(ms: number, zone: TimeZoneChoice): string {
  const m = offsetMinutes(ms, zone);
  return zone === 'utc' ? 'UTC' : `UTC${offsetText(m)}`;
}

/** `2026-12-06 10:50 UTC+09:00` */
export function formatWithZone(ms: number, zone: TimeZoneChoice, seconds = false): string {
  return `${formatDateTime(ms, zone, seconds)} ${offsetLabel(ms, zone)}`;
}

/** ISO 8601 with the offset of the chosen zone, e.g. `2026-12-06T10:50:00+09:00` (milliseconds only when present). */
export function isoWithOffset(ms: number, zone: TimeZoneChoice): string {
  const p = partsOf(ms, zone);
  const frac = p.ms ? `.${pad(p.ms, 3)}` : '';
  return `${p.y}-${pad(p.mo)}-${pad(p.d)}T${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}${frac}${offsetText(offsetMinutes(ms, zone))}`;
}

/** Parses `2026-12-06 10:50[:07]` (a `T` is accepted too) in the chosen zone; null when it is not such a time. */
export function parseDateTime(text: string, zone: TimeZoneChoice): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x)));
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const t = zone === 'utc' ? Date.UTC(y, mo - 1, d, h, mi, s) : new Date(y, mo - 1, d, h, mi, s).getTime();
  // Rejects 2026-02-31 and the like (Date rolls them over).
  return partsOf(t, zone).d === d ? t : null;
}

/** The browser's IANA zone name (e.g. `Asia/Tokyo`), for the time-zone choice. */
export function browserZoneName(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local';
  } catch {
    return 'local';
  }
}

/** "3 min ago" figures: whole minutes, hours or days since, for health and "Updated". */
export function elapsedParts(seconds: number): { value: number; unit: 's' | 'min' | 'h' | 'd' } {
  const s = Math.max(0, seconds);
  if (s < 60) return { value: Math.floor(s), unit: 's' };
  if (s < 3600) return { value: Math.floor(s / 60), unit: 'min' };
  if (s < 86400) return { value: Math.floor(s / 3600), unit: 'h' };
  return { value: Math.floor(s / 86400), unit: 'd' };
}
