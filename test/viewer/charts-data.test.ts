import { acceptFetch, emptyLiveWindow, overlapMs, planFetch } from '../../viewer-assets/src/model/liveData';
import { advance, createPlayer, pause, play, seek, step } from '../../viewer-assets/src/model/player';
import { buildChartData, gapThreshold, mergeRows, ResultRow, thinRows } from '../../viewer-assets/src/model/series';
import { chooseSource, estimateResultInterval, SOURCES, thinningGroupMs } from '../../viewer-assets/src/model/source';
import { axisTicks, formatAxisValues, formatBytesRate, formatExact } from '../../viewer-assets/src/model/units';
import { formatUrlState, parseUrlState } from '../../viewer-assets/src/model/urlState';
import { LANGS, MESSAGES, chooseLang, durationText, translate } from '../../viewer-assets/src/model/i18n';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 20, 0, 0);
const row = (publisher: string, t: number, v = 100): ResultRow => ({
  timestamp: new Date(t).toISOString().replace('Z', '+00:00'),
  publisher,
  reader_bytes_rate: v,
  writer_bytes_rate: v + 1,
});

describe('source choice (raw or buckets) from window and width', () => {
  test.each([
    [15 * MIN, 1200, 'perftool'],
    [12 * HOUR, 1200, 'perftool'], // 720 one-a-minute results fit 1,000 points
    [12 * HOUR, 360, 'perftool_2min'], // a phone: 360 points → 2 min buckets
    [DAY, 1200, 'perftool_2min'],
    [4 * DAY, 1200, 'perftool_10min'],
    [2 * DAY, 1200, 'perftool_2min'], // 10 min would give 288 points: 1,440 two-minute buckets drawn in pairs instead
    [2 * DAY, 450, 'perftool_10min'], // 288 points are enough for 450 px
    [7 * DAY, 1200, 'perftool_10min'], // 1 h would give 168 points: 1,008 ten-minute buckets drawn in pairs instead
    [14 * DAY, 1200, 'perftool_10min'], // 2,016 ten-minute buckets drawn in threes (672 points), not 336 hours
    [21 * DAY, 1200, 'perftool_1hour'], // 504 hours are enough; 3,024 ten-minute buckets would be over 3× the budget
    [30 * DAY, 1200, 'perftool_1hour'],
    [90 * DAY, 1200, 'perftool_1hour'], // coarsest available
  ])('%d ms at %d px → %s', (windowMs, width, table) => {
    expect(chooseSource(windowMs, width).table).toBe(table);
  });

  test('bucket sizes are labelled in the unit that reads best', () => {
    // The live status line names a bucketed source by its size (durationText); raw results by name.
    expect(SOURCES[0].bucketMs).toBe(0);
    expect(SOURCES.slice(1).map((s) => durationText('en', s.bucketMs))).toEqual(['30 s', '1 min', '2 min', '10 min', '1 h']);
  });

  test('a publisher sending every 10 s gets buckets sooner', () => {
    expect(chooseSource(HOUR, 1200, 10_000).table).toBe('perftool');
    expect(chooseSource(6 * HOUR, 1200, 10_000).table).toBe('perftool_30sec');
  });

  test('the result interval comes from the publisher statistics of the chosen publishers', () => {
    const stats = [
      { publisher: 'a', first_seen: new Date(T0).toISOString(), last_seen: new Date(T0 + 100 * 10_000).toISOString(), result_count: 101 },
      { publisher: 'b', first_seen: new Date(T0).toISOString(), last_seen: new Date(T0 + 10 * MIN).toISOString(), result_count: 11 },
    ];
    expect(estimateResultInterval(stats, ['a', 'b'])).toBe(10_000);
    expect(estimateResultInterval(stats, ['b'])).toBe(MIN);
    expect(estimateResultInterval(stats, ['unknown'])).toBe(MIN);
  });
});

describe('units and ticks', () => {
  test('bytes/s in binary units', () => {
    expect(formatBytesRate(512)).toBe('512 B/s');
    expect(formatBytesRate(480368.098)).toBe('469 KiB/s');
    expect(formatBytesRate(3 * 1024 * 1024)).toBe('3 MiB/s');
    expect(formatBytesRate(null)).toBe('–');
  });

  test('tooltips give the exact value and the human one', () => {
    expect(formatExact(480368.0981595092, 'bytes')).toBe('480,368.098 B/s (469 KiB/s)');
    expect(formatExact(461.53846, 'messages')).toBe('461.538 msg/s');
    expect(formatAxisValues([25_000], 'messages')).toEqual(['25k msg/s']);
  });

  test('byte ticks are power-of-two multiples of a binary unit and cover the data', () => {
    const ticks = axisTicks(0, 500_000, 5, 'bytes');
    const step = ticks[1] - ticks[0];
    expect(step % 1024).toBe(0);
    expect(Math.log2(step / 1024) % 1).toBe(0);
    expect(ticks[0]).toBe(0);
    expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(500_000);
    expect(ticks.length - 1).toBeLessThanOrEqual(8);
  });

  test('a tick step computed for one range does not leak into another', () => {
    axisTicks(0, 500_000, 5, 'bytes');
    const small = axisTicks(0, 1.5, 5, 'messages');
    expect(small).toEqual([0, 0.5, 1, 1.5]);
    expect(axisTicks(0, 3, 10, 'errorCount').every(Number.isInteger)).toBe(true);
  });
});

describe('rows → chart data', () => {
  test('merging replaces a re-read row, sorts by time and trims the window', () => {
    const held = [row('a', T0, 1), row('a', T0 + MIN, 2)];
    const merged = mergeRows(held, [row('a', T0 + MIN, 20), row('a', T0 + 2 * MIN, 3)], T0 + 30_000);
    expect(merged.map((r) => r.reader_bytes_rate)).toEqual([20, 3]);
  });

  test('two publishers align on one axis; a long pause becomes a gap, not a line', () => {
    const rows = [row('a', T0), row('b', T0 + 7_000), row('a', T0 + MIN), row('a', T0 + 10 * MIN)];
    const data = buildChartData(rows, ['a', 'b'], 'bytes', gapThreshold(0, MIN));
    expect(data.series.map((s) => `${s.publisher}/${s.side}`)).toEqual(['a/reader', 'a/writer', 'b/reader', 'b/writer']);
    const aReader = data.ys[0];
    // a: value, (b's time: no point), value, gap marker (null), value
    expect(aReader).toEqual([100, undefined, 100, null, 100]);
    expect(data.ys[2]).toEqual([undefined, 100, undefined, undefined, undefined]);
    expect(data.xs[3]).toBeCloseTo((T0 + 5.5 * MIN) / 1000);
  });
});

describe('live refresh reads only what is new', () => {
  test('first a full window, then from the newest row minus the overlap', () => {
    const now = T0 + HOUR;
    const first = planFetch(emptyLiveWindow(), ['a'], now, HOUR, 1200, MIN);
    expect(first).toMatchObject({ full: true, reads: [{ publisher: 'a', fromMs: now - HOUR }] });
    const held = acceptFetch(emptyLiveWindow(), first, ['a'], [row('a', now - 2 * MIN), row('a', now - MIN)], now, HOUR);
    const next = planFetch(held, ['a'], now + 5000, HOUR, 1200, MIN);
    expect(next.full).toBe(false);
    expect(next.reads).toEqual([{ publisher: 'a', fromMs: now - MIN - overlapMs(next.source) }]);
    const merged = acceptFetch(held, next, ['a'], [row('a', now - MIN, 7), row('a', now + 4000)], now + 5000, HOUR);
    expect(merged.rows.map((r) => r.reader_bytes_rate)).toEqual([100, 7, 100]);
  });

  test('with nothing held yet, a refresh starts from the previous read, not the window start', () => {
    const now = T0 + HOUR;
    const first = planFetch(emptyLiveWindow(), ['a'], now, DAY, 1200, MIN);
    const held = acceptFetch(emptyLiveWindow(), first, ['a'], [], now, DAY);
    const next = planFetch(held, ['a'], now + 5000, DAY, 1200, MIN);
    expect(next.full).toBe(false);
    expect(next.reads).toEqual([{ publisher: 'a', fromMs: now - overlapMs(next.source) }]);
  });

  test("each publisher refreshes from its own newest row, so one whose clock trails the others' still gets new rows", () => {
    const now = T0 + HOUR;
    const first = planFetch(emptyLiveWindow(), ['fast', 'late'], now, HOUR, 1200, MIN);
    // 'late' stamps its results 10 minutes behind 'fast'.
    const held = acceptFetch(emptyLiveWindow(), first, ['fast', 'late'], [row('late', now - 11 * MIN), row('fast', now - MIN)], now, HOUR);
    const next = planFetch(held, ['fast', 'late'], now + 60_000, HOUR, 1200, MIN);
    const overlap = overlapMs(next.source);
    expect(next.reads).toEqual([
      { publisher: 'fast', fromMs: now - MIN - overlap },
      { publisher: 'late', fromMs: now - 11 * MIN - overlap },
    ]);
    // Its next result (stamped 10 minutes late) falls inside its read and is merged.
    const lateRow = row('late', now - 10 * MIN, 5);
    expect(Date.parse(lateRow.timestamp)).toBeGreaterThanOrEqual(next.reads[1].fromMs);
    const merged = acceptFetch(held, next, ['fast', 'late'], [lateRow], now + 60_000, HOUR);
    expect(merged.rows.filter((r) => r.publisher === 'late').map((r) => r.reader_bytes_rate)).toEqual([100, 5]);
  });

  test('changing the publishers or the source reads the whole window again', () => {
    const now = T0 + HOUR;
    const first = planFetch(emptyLiveWindow(), ['a'], now, HOUR, 1200, MIN);
    const held = acceptFetch(emptyLiveWindow(), first, ['a'], [row('a', now - MIN)], now, HOUR);
    expect(planFetch(held, ['a', 'b'], now, HOUR, 1200, MIN).full).toBe(true);
    expect(planFetch(held, ['a'], now, 7 * DAY, 1200, MIN).full).toBe(true);
  });
});

describe('long windows are thinned in the browser to the point budget', () => {
  const bucket = (publisher: string, t: number, rate: number | null, errors: number | null, count: number): ResultRow => ({
    timestamp: new Date(t).toISOString(),
    publisher,
    reader_bytes_rate: rate,
    reader_error_count: errors,
    result_count: count,
  });

  test('30 days read 720 hourly buckets with no thinning', () => {
    const source = chooseSource(30 * DAY, 1200);
    expect(source).toEqual({ table: 'perftool_1hour', bucketMs: HOUR });
    expect(thinningGroupMs(source, 30 * DAY, 1200)).toBe(0);
    expect(thinningGroupMs(chooseSource(7 * DAY, 1200), 7 * DAY, 1200)).toBe(20 * MIN); // 504 points
    expect(thinningGroupMs(chooseSource(DAY, 1200), DAY, 1200)).toBe(0);
    expect(thinningGroupMs(chooseSource(HOUR, 1200), HOUR, 1200)).toBe(0);
    // A phone's 360 points take 30 days of hours in pairs.
    expect(thinningGroupMs(chooseSource(30 * DAY, 360), 30 * DAY, 360)).toBe(2 * HOUR);
  });

  test('past what the coarsest bucket fits (a 90-day playback range): groups of 3 h, at most 1,000 points per series', () => {
    const hourly = chooseSource(90 * DAY, 1200);
    expect(hourly.table).toBe('perftool_1hour');
    const groupMs = thinningGroupMs(hourly, 90 * DAY, 1200);
    expect(groupMs).toBe(3 * HOUR);
    const rows: ResultRow[] = [];
    for (let t = T0; t < T0 + 90 * DAY; t += HOUR) for (const p of ['a', 'b']) rows.push(bucket(p, t, 100, 1, 60));
    expect(rows.length / 2).toBe(2160);
    const thin = thinRows(rows, groupMs);
    for (const p of ['a', 'b']) {
      const n = thin.filter((r) => r.publisher === p).length;
      expect(n).toBeLessThanOrEqual(1000);
      expect(n).toBeGreaterThanOrEqual(720); // 2,160 buckets in groups of three (one more where the grid splits the ends)
    }
  });

  test('rates average weighted by result_count, error counts add up, absent values stay absent', () => {
    const g = 50 * MIN;
    const start = Math.ceil(T0 / g) * g;
    const rows = [
      bucket('a', start, 100, 2, 1),
      bucket('a', start + 10 * MIN, 400, null, 3),
      bucket('a', start + 20 * MIN, null, 5, 2),
      bucket('b', start, null, null, 4),
      bucket('a', start + g, 7, 0, 1),
    ];
    const thin = thinRows(rows, g);
    expect(thin).toEqual([
      expect.objectContaining({ publisher: 'a', timestamp: new Date(start).toISOString(), reader_bytes_rate: (100 * 1 + 400 * 3) / 4, reader_error_count: 7, result_count: 6 }),
      expect.objectContaining({ publisher: 'b', timestamp: new Date(start).toISOString(), reader_bytes_rate: null, reader_error_count: null, result_count: 4 }),
      expect.objectContaining({ publisher: 'a', timestamp: new Date(start + g).toISOString(), reader_bytes_rate: 7, reader_error_count: 0, result_count: 1 }),
    ]);
    expect(thinRows(rows, 0)).toEqual(rows);
  });
});

describe('playback', () => {
  const from = T0;
  const to = T0 + HOUR;

  test('advances at the chosen multiple of real time and stops at the end', () => {
    let p = play(createPlayer(from, to, 60, false));
    p = advance(p, 1000);
    expect(p.positionMs).toBe(from + MIN);
    p = advance(p, 60_000);
    expect(p).toMatchObject({ positionMs: to, playing: false });
  });

  test('repeat wraps around', () => {
    const p = advance(play(createPlayer(from, to, 60, true)), 61_000);
    expect(p).toMatchObject({ positionMs: from + MIN, playing: true });
  });

  test('step goes to the next / previous result and pauses; scrub clamps', () => {
    const times = [from + 5 * MIN, from + 7 * MIN, from + 20 * MIN];
    let p = play(createPlayer(from, to, 60, false));
    p = step(p, 1, times);
    expect(p).toMatchObject({ positionMs: times[0], playing: false });
    p = step(p, 1, times);
    expect(p.positionMs).toBe(times[1]);
    p = step(p, -1, times);
    expect(p.positionMs).toBe(times[0]);
    p = step(p, -1, times);
    expect(p.positionMs).toBe(from);
    expect(seek(p, to + DAY).positionMs).toBe(to);
    expect(pause(play(p)).playing).toBe(false);
  });

  test('an empty range is refused', () => {
    expect(() => createPlayer(to, from, 1, false)).toThrow(/before/);
  });
});

test('shareable URLs round-trip', () => {
  const state = { view: 'play' as const, dashboard: 'lab & co', window: '6h' as const, publishers: ['pi-1', 'pi 2'], fromMs: T0, toMs: T0 + HOUR };
  expect(parseUrlState(formatUrlState(state))).toEqual(state);
  expect(parseUrlState('?w=nonsense&view=hack')).toEqual({ view: 'live' });
});

describe('UI text', () => {
  test('every English message has a Japanese one with the same placeholders', () => {
    for (const [key, text] of Object.entries(MESSAGES.en)) {
      const ja = MESSAGES.ja[key as keyof typeof MESSAGES.en];
      expect(ja).toBeTruthy();
      expect((ja.match(/\{\w+\}/g) ?? []).sort()).toEqual((text.match(/\{\w+\}/g) ?? []).sort());
    }
  });

  test('the language follows the browser unless chosen', () => {
    expect(chooseLang(['ja-JP', 'en'], null)).toBe('ja');
    expect(chooseLang(['fr', 'de'], null)).toBe('en');
    expect(chooseLang(['ja'], 'en')).toBe('en');
    expect(LANGS).toEqual(['en', 'ja']);
    expect(translate('ja', 'state.empty', { publishers: 'pi-1' })).toBe('この期間に pi-1 の結果はありません。');
  });
});
