import { WEEK_DAYS } from './config';

/**
 * The optional working-hours schedule: when Hasura and NATS run, and the CloudWatch metric-math condition that tells
 * the health alarms whether a task is expected at a given minute. Pure functions; lib/constructs/schedule.ts and
 * lib/constructs/monitoring.ts turn them into resources.
 */
export interface ActiveHours {
  /** Minutes after local midnight. */
  start: number;
  end: number;
  /** Days (0 = Monday) on which the window starts. */
  days: number[];
  timeZone: string;
}

const MINUTES_PER_DAY = 1440;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;
/**
 * The health alarms start watching this long after the window opens: the tasks need to start, pull their image and
 * pass their health checks (Hasura has a 2-minute grace period) before a missing healthy task means anything.
 */
export const START_GRACE_MINUTES = 10;
/**
 * Time-zone offsets are written into the alarm for the transitions between these years (UTC): CloudWatch metric math
 * knows no time zones. After the last year the last offset stays, which is wrong only in zones that still change
 * their clocks, and only for the hour the change moves.
 */
const OFFSET_YEARS = { from: 2026, to: 2040 } as const;

export function activeHoursOf(config: { activeHours?: string; activeDays?: number[]; activeTimeZone?: string }): ActiveHours | undefined {
  if (!config.activeHours || !config.activeTimeZone) return undefined;
  const [start, end] = config.activeHours.split('-').map((hhmm) => {
    const [h, m] = hhmm.split(':').map(Number);
    return h * 60 + m;
  });
  return { start, end, days: config.activeDays ?? [0, 1, 2, 3, 4, 5, 6], timeZone: config.activeTimeZone };
}

interface CronTime {
  hour: string;
  minute: string;
  /** Cron day-of-week list, e.g. MON,TUE. */
  weekDay: string;
}

/** When to scale up (start of the window) and down (its end: the next day for a window that crosses midnight). */
export function scalingTimes(a: ActiveHours): { up: CronTime; down: CronTime } {
  const overnight = a.end <= a.start;
  const cron = (minutes: number, days: number[]): CronTime => ({
    hour: String(Math.floor(minutes / 60)),
    minute: String(minutes % 60),
    weekDay: [...new Set(days)].sort((x, y) => x - y).map((d) => WEEK_DAYS[d]).join(','),
  });
  return { up: cron(a.start, a.days), down: cron(a.end, a.days.map((d) => (overnight ? (d + 1) % 7 : d))) };
}

/**
 * Local minutes of the week (0 = Monday 00:00) during which a task is expected, as half-open intervals: from the
 * start plus the grace period to the end of each window.
 */
function watchedIntervals(a: ActiveHours): Array<[number, number]> {
  const length = a.end > a.start ? a.end - a.start : a.end + MINUTES_PER_DAY - a.start;
  const intervals: Array<[number, number]> = [];
  for (const day of a.days) {
    const from = day * MINUTES_PER_DAY + a.start + START_GRACE_MINUTES;
    const to = day * MINUTES_PER_DAY + a.start + length;
    if (from >= to) continue;
    if (to <= MINUTES_PER_WEEK) intervals.push([from, to]);
    else if (from >= MINUTES_PER_WEEK) intervals.push([from - MINUTES_PER_WEEK, to - MINUTES_PER_WEEK]);
    else intervals.push([from, MINUTES_PER_WEEK], [0, to - MINUTES_PER_WEEK]);
  }
  return intervals.sort((x, y) => x[0] - y[0]);
}

/** UTC offset in minutes of `timeZone` at `instant`. */
const offsetFormats = new Map<string, Intl.DateTimeFormat>();
function utcOffsetMinutes(timeZone: string, instant: Date): number {
  let format = offsetFormats.get(timeZone);
  if (!format) offsetFormats.set(timeZone, (format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })));
  const name = format
    .formatToParts(instant)
    .find((p) => p.type === 'timeZoneName')!.value; // "GMT", "GMT+09:00", "GMT-03:30"
  const match = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name);
  if (!match) throw new Error(`unexpected offset name ${name} for ${timeZone}`);
  if (!match[1]) return 0;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
}

/** The offset at the start of OFFSET_YEARS and every change after it (to the minute, in UTC). */
function offsetChanges(timeZone: string): { initial: number; changes: Array<{ at: Date; offset: number }> } {
  const from = Date.UTC(OFFSET_YEARS.from, 0, 1);
  const to = Date.UTC(OFFSET_YEARS.to + 1, 0, 1);
  const initial = utcOffsetMinutes(timeZone, new Date(from));
  const changes: Array<{ at: Date; offset: number }> = [];
  // Clocks change at most a few times a year, never twice within 6 hours.
  const step = 6 * 3_600_000;
  let previous = initial;
  for (let t = from + step; t < to; t += step) {
    const offset = utcOffsetMinutes(timeZone, new Date(t));
    if (offset === previous) continue;
    // Narrow the change down to the minute within the step before.
    let lo = t - step;
    let hi = t;
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
      if (utcOffsetMinutes(timeZone, new Date(mid)) === previous) lo = mid;
      else hi = mid;
    }
    changes.push({ at: new Date(hi), offset });
    previous = offset;
  }
  return { initial, changes };
}

/** yyyymmddHHMM of a UTC instant, as metric math can rebuild it from YEAR, MONTH, DATE, HOUR and MINUTE. */
function utcStamp(d: Date): number {
  return ((d.getUTCFullYear() * 100 + d.getUTCMonth() + 1) * 100 + d.getUTCDate()) * 10000 + d.getUTCHours() * 100 + d.getUTCMinutes();
}

/**
 * Metric-math expressions (ids → expression) over the metric `m` whose final id `watched` is 1 at the minutes a task
 * is expected and 0 otherwise. Metric math evaluates timestamps in UTC: the local minute of the week is the UTC one
 * plus the zone's offset, which changes at the listed instants (daylight saving time).
 */
export function watchedExpressions(a: ActiveHours, m: string): Record<string, string> {
  const { initial, changes } = offsetChanges(a.timeZone);
  const stamp = `((YEAR(${m})*100+MONTH(${m}))*100+DATE(${m}))*10000+HOUR(${m})*100+MINUTE(${m})`;
  const offset = [String(initial), ...changes.map((c, i) => {
    const delta = c.offset - (i === 0 ? initial : changes[i - 1].offset);
    return `${delta < 0 ? '-' : '+'}${Math.abs(delta)}*(utcStamp>=${utcStamp(c.at)})`;
  })].join('');
  const shifted = `(DAY(${m})-1)*${MINUTES_PER_DAY}+HOUR(${m})*60+MINUTE(${m})+(${offset})+${MINUTES_PER_WEEK}`;
  const watched = watchedIntervals(a).map(([from, to]) => `(localMinute>=${from} AND localMinute<${to})`).join(' OR ');
  return {
    ...(changes.length > 0 ? { utcStamp: stamp } : {}),
    shiftedMinute: shifted,
    localMinute: `shiftedMinute-${MINUTES_PER_WEEK}*FLOOR(shiftedMinute/${MINUTES_PER_WEEK})`,
    watched: watched === '' ? '0*localMinute' : watched,
  };
}
