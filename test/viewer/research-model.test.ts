/**
 * Pure parts of the viewer's research features: one time format with its zone, colours from names, one unit per
 * axis, the shared publisher-name rule, CSV exports, publisher health, server-config limits and the download's
 * default groups, and translations.
 */
import { PALETTE, CURSOR_COLOR, publisherColors, seriesColor } from '../../viewer-assets/src/model/colors';
import { configNameProblem, commentTooLarge, configTooLarge, foldName, jsonbTextBytes, refusalFromError } from '../../viewer-assets/src/model/configRules';
import { csvCell, rawHeader, rawLines, storedTimeIso, viewCsv } from '../../viewer-assets/src/model/csv';
import { defaultDashboard, migrateDashboard, validateDashboard } from '../../viewer-assets/src/model/dashboard';
import { healthState, summariseHealth } from '../../viewer-assets/src/model/health';
import { durationText, MESSAGES, translate } from '../../viewer-assets/src/model/i18n';
import { publisherNameProblem } from '../../viewer-assets/src/model/publisherName';
import { differingGroups, applyServerConfig } from '../../viewer-assets/src/model/serverConfig';
import { formatDateTime, formatWithZone, isoWithOffset, offsetLabel, parseDateTime } from '../../viewer-assets/src/model/time';
import { axisTicks, formatAxisValues } from '../../viewer-assets/src/model/units';
import { checkRunnerName } from '../../lib/operator/pi-config';
import { buildCompareData, formatElapsed, meanDifferences } from '../../viewer-assets/src/model/compare';
import { formatUrlState, parseUrlState } from '../../viewer-assets/src/model/urlState';
import type { HealthRow } from '../../viewer-assets/src/api/operations';
import { readAllRaw } from '../../viewer-assets/src/api/rawResults';
import type { ResultRow } from '../../viewer-assets/src/model/series';

// The browser-zone cases run in whatever zone jest has (the browser tests pin Asia/Tokyo): local text must be the
// UTC text shifted by the zone's offset at that instant.
const T = Date.UTC(2026, 11, 6, 1, 50, 7, 0);
const OFFSET_MS = -new Date(T).getTimezoneOffset() * 60_000;
const offsetText = (() => {
  const m = OFFSET_MS / 60_000;
  const a = Math.abs(m);
  return `${m < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
})();

describe('one time format, with its zone', () => {
  test('ISO-like text in the browser zone or UTC, with the offset named', () => {
    expect(formatDateTime(T, 'utc')).toBe('2026-12-06 01:50');
    expect(formatDateTime(T, 'utc', true)).toBe('2026-12-06 01:50:07');
    expect(formatDateTime(T, 'local', true)).toBe(formatDateTime(T + OFFSET_MS, 'utc', true));
    expect(offsetLabel(T, 'local')).toBe(`UTC${offsetText}`);
    expect(offsetLabel(T, 'utc')).toBe('UTC');
    expect(formatWithZone(T, 'utc', true)).toBe('2026-12-06 01:50:07 UTC');
  });

  test('ISO 8601 with offset for exports; typed text parses in the chosen zone', () => {
    expect(isoWithOffset(T, 'utc')).toBe('2026-12-06T01:50:07+00:00');
    expect(isoWithOffset(T, 'local')).toBe(`${formatDateTime(T + OFFSET_MS, 'utc', true).replace(' ', 'T')}${offsetText}`);
    expect(isoWithOffset(T + 5, 'utc')).toBe('2026-12-06T01:50:07.005+00:00');
    expect(parseDateTime(formatDateTime(T, 'local', true), 'local')).toBe(T);
    expect(parseDateTime('2026-12-06T01:50:07', 'utc')).toBe(T);
    expect(parseDateTime('06/12/2026 10:50', 'local')).toBeNull();
    expect(parseDateTime('2026-02-31 10:00', 'utc')).toBeNull();
  });

  test('a stored time keeps its fraction of a second exactly', () => {
    expect(storedTimeIso('2026-12-06T10:50:07.123456+09:00', 'utc')).toBe('2026-12-06T01:50:07.123456+00:00');
    expect(storedTimeIso('2026-12-06T01:50:07.123456+00:00', 'local')).toMatch(new RegExp(`\\.123456\\${offsetText}$`));
    expect(storedTimeIso('2026-12-06T01:50:07+00:00', 'utc')).toBe('2026-12-06T01:50:07+00:00');
  });
});

test("a publisher's colour follows its name, not its place in a list; the cursor colour is no series colour", () => {
  const a = seriesColor({ publisher: 'pi-lab-01', side: 'reader' });
  expect(publisherColors('pi-lab-01').reader).toBe(a);
  expect(seriesColor({ publisher: 'pi-lab-01', side: 'writer' })).not.toBe(a);
  // 20 Pis spread over the palette (no colour used by more than 5 of them).
  const counts = new Map<string, number>();
  for (let i = 1; i <= 20; i++) counts.set(publisherColors(`pi-${i}`).reader, (counts.get(publisherColors(`pi-${i}`).reader) ?? 0) + 1);
  expect(Math.max(...counts.values())).toBeLessThanOrEqual(5);
  expect(PALETTE.flatMap((p) => [p.reader, p.writer]).map((c) => c.toLowerCase())).not.toContain(CURSOR_COLOR.toLowerCase());
});

test('an axis speaks one unit: an empty throughput axis reads 0 … 1 KiB/s, not B/s and KiB/s mixed', () => {
  const ticks = axisTicks(0, 1024, 4, 'bytes');
  const labels = formatAxisValues(ticks, 'bytes');
  expect(labels).toEqual(['0 KiB/s', '0.25 KiB/s', '0.5 KiB/s', '0.75 KiB/s', '1 KiB/s']);
  expect(new Set(formatAxisValues(axisTicks(0, 1500, 4, 'bytes'), 'bytes').map((l) => l.split(' ')[1])).size).toBe(1);
  expect(formatAxisValues([0, 5000, 10000, 15000], 'messages')).toEqual(['0k msg/s', '5k msg/s', '10k msg/s', '15k msg/s']);
  expect(formatAxisValues([0, 1, 2], 'errorCount')).toEqual(['0', '1', '2']);
});

describe('one rule for publisher names (viewer and pi-config)', () => {
  test.each([
    ['pi-lab-01', null],
    ['ラズパイ-1', null],
    ['pi lab', 'invalid'],
    ['pi"1', 'invalid'],
    ['a=b', 'invalid'],
    ['x'.repeat(201), 'invalid'],
    ['', 'invalid'],
    ['1e5', 'number'],
    ['-12', 'number'],
    // Numbers only Python's int() reads (digit groups, other scripts' digits): the runner would still convert them.
    ['1_000', 'number'],
    ['١٢', 'number'],
  ])('%s → %s', (name, problem) => {
    expect(publisherNameProblem(name)).toBe(problem);
    // pi-config refuses exactly what the viewer refuses.
    if (problem) expect(() => checkRunnerName(name)).toThrow();
    else expect(() => checkRunnerName(name)).not.toThrow();
  });

  test('the settings form refuses a name pi-config refuses', () => {
    const d = defaultDashboard('lab');
    d.perftool.publishers = ['pi-lab-01', 'pi lab'];
    expect(validateDashboard(d, [])).toEqual([{ path: 'perftool.publishers', key: 'err.publisherName', params: { name: 'pi lab' } }]);
    d.perftool.publishers = ['42'];
    expect(validateDashboard(d, []).map((e) => e.key)).toEqual(['err.publisherNumber']);
  });
});

describe('CSV exports', () => {
  const rows: ResultRow[] = [
    { timestamp: '2026-12-06T01:50:00+00:00', publisher: 'pi-a', reader_bytes_rate: 1.5, writer_bytes_rate: 2, result_count: 3, reader_count_rate: 1, writer_count_rate: null },
    { timestamp: '2026-12-06T01:51:00+00:00', publisher: 'pi-b', reader_bytes_rate: 10, writer_bytes_rate: 20, result_count: 2 },
    { timestamp: '2026-12-06T02:10:00+00:00', publisher: 'pi-a', reader_bytes_rate: 9, writer_bytes_rate: 9, result_count: 1 },
  ];

  test('what is on screen: header with units, one line per time and publisher, values as stored, range and publishers kept', () => {
    const from = Date.UTC(2026, 11, 6, 1, 50) / 1000;
    const csv = viewCsv(rows, { publishers: ['pi-a', 'pi-b'], metrics: ['bytes', 'messages'], zone: 'utc', bucketSeconds: 600, fromSec: from, toSec: from + 120 });
    expect(csv.rows).toBe(2);
    expect(csv.text.split('\r\n')).toEqual([
      'timestamp [ISO 8601],publisher,bucket_seconds [s],result_count [results],reader_bytes_rate [B/s],writer_bytes_rate [B/s],reader_count_rate [messages/s],writer_count_rate [messages/s]',
      '2026-12-06T01:50:00+00:00,pi-a,600,3,1.5,2,1,',
      '2026-12-06T01:51:00+00:00,pi-b,600,2,10,20,,',
      '',
    ]);
  });

  test('raw results: every column, text a spreadsheet would run is defused and quoted as needed', () => {
    expect(rawHeader(['timestamp', 'publisher', 'thread_number', 'reader_msg_size_avg'])).toBe('timestamp [ISO 8601],publisher,thread_number,reader_msg_size_avg [bytes]\r\n');
    expect(rawLines([{ timestamp: '2026-12-06T01:50:00.5+00:00', publisher: '=cmd', thread_number: 0 }], ['timestamp', 'publisher', 'thread_number'], 'utc')).toBe("2026-12-06T01:50:00.5+00:00,'=cmd,0\r\n");
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
    expect(csvCell(-1.5)).toBe('-1.5');
  });
});

describe('publisher health', () => {
  const row = (p: Partial<HealthRow>): HealthRow => ({ publisher: 'pi', last_seen: '2026-12-06T01:00:00Z', result_count: 100, results_last_hour: 60, usual_interval_seconds: 60, silent_seconds: 30, ...p });
  test('not reporting after more than 3× its usual interval of silence', () => {
    expect(healthState(row({ silent_seconds: 180 }))).toBe('ok');
    expect(healthState(row({ silent_seconds: 181 }))).toBe('quiet');
    expect(healthState(row({ usual_interval_seconds: 600, silent_seconds: 1500 }))).toBe('ok');
    expect(healthState(row({ usual_interval_seconds: null }))).toBe('unknown');
    expect(healthState(undefined)).toBe('never');
  });
  test('per dashboard publisher, the silent ones first, with their rejections; unreadable rejections counted apart', () => {
    const s = summariseHealth(['a', 'b', 'c'], {
      health: [row({ publisher: 'a' }), row({ publisher: 'b', silent_seconds: 4000 })],
      rejected: [{ publisher: 'a', rejected_count: 2, last_rejected_at: null }],
      unattributed: [{ rejected_count: 5, last_rejected_at: null }],
    });
    expect(s.publishers.map((p) => [p.publisher, p.state, p.rejected24h])).toEqual([
      ['b', 'quiet', 0],
      ['c', 'never', 0],
      ['a', 'ok', 2],
    ]);
    expect(s.unattributed).toBe(5);
  });
});

describe('limits of saved server settings', () => {
  test('the name rule, as the database checks it', () => {
    expect(configNameProblem('Lab 2 (broker B) #1')).toBeNull();
    expect(configNameProblem('実験-1')).toBeNull();
    expect(configNameProblem('')).toBe('nameEmpty');
    expect(configNameProblem(' lab')).toBe('nameSpaces');
    expect(configNameProblem('lab!')).toBe('nameChars');
    expect(configNameProblem('x'.repeat(101))).toBe('nameTooLong');
    expect(foldName(' Lab ')).toBe(foldName('lab'));
  });
  test('comment and config sizes; the database’s refusals by constraint name', () => {
    expect(commentTooLarge('あ'.repeat(342))).toBe(true); // 3 bytes each: 1,026 bytes
    expect(commentTooLarge('a'.repeat(1024))).toBe(false);
    expect(jsonbTextBytes({ a: [1, 2] })).toBe('{"a": [1, 2]}'.length);
    expect(configTooLarge({ big: 'x'.repeat(70_000) })).toBe(true);
    expect(refusalFromError('Check constraint violation. new row for relation "viewer_config" violates check constraint "viewer_config_name_rule"')).toBe('nameChars');
    expect(refusalFromError('Uniqueness violation. duplicate key value violates unique constraint "viewer_config_name_folded_key"')).toBe('nameTaken');
    expect(refusalFromError('viewer_config_comment_size')).toBe('commentSize');
    expect(refusalFromError('viewer_config_config_size')).toBe('configSize');
    expect(refusalFromError('database error: viewer_config_row_limit reached (200 rows)')).toBe('rowLimit');
    expect(refusalFromError('field not found')).toBeNull();
  });
});

test('download pre-selects every group that differs, including the live window', () => {
  const base = defaultDashboard('mine');
  const config = { perftool: { name: base.perftool.name, publishers: [], visible: true, metrics: base.perftool.metrics }, live: { window: '6h', refresh: '30s' }, layout: { template: 'horizontal' }, chart: { ...base.chart, line: { enabled: false, size: 1 } } };
  const groups = differingGroups(base, config);
  expect(groups).toEqual(['live', 'chart']);
  expect(applyServerConfig(base, config, groups).live.window).toBe('6h');
});

test('the time zone is kept in the dashboard and survives a round trip', () => {
  const d = defaultDashboard('x');
  d.chart.timeZone = 'utc';
  expect(migrateDashboard(JSON.parse(JSON.stringify(d))).chart.timeZone).toBe('utc');
  expect(migrateDashboard({ ...d, chart: { ...d.chart, timeZone: 'Mars/Olympus' } }).chart.timeZone).toBe('local');
});

test('every message is translated, and durations read in each language', () => {
  // Only a product name, "OK" and "B − A" read the same in both languages.
  const same = Object.keys(MESSAGES.en).filter((k) => MESSAGES.ja[k as keyof typeof MESSAGES.ja] === MESSAGES.en[k as keyof typeof MESSAGES.en]);
  expect(same).toEqual(['settings.perftool', 'dialog.ok', 'compare.diff']);
  expect(durationText('en', 600_000)).toBe('10 min');
  expect(durationText('ja', 600_000)).toBe('10分');
  expect(durationText('ja', 3_600_000)).toBe('1時間');
  expect(durationText('ja', 2 * 86_400_000)).toBe('2日');
  expect(durationText('en', 90_000)).toBe('90 s');
  expect(durationText('en', 90_500)).toBe('1.5 min');
  expect(translate('ja', 'live.buckets', { size: durationText('ja', 120_000) })).toBe('2分集計');
});

test('raw export pages through everything, also when results share a time across a page boundary', async () => {
  // Results, several at the same second (threads), served like Hasura: time ≥ from, ordered, at most `limit` (4);
  // the three at second 1 straddle the first page boundary.
  const times = [0, 0, 1, 1, 1, 2, 3, 3, 4, 5, 5, 6];
  const stored: ResultRow[] = times.map((s, i) => ({ timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString(), publisher: 'p', thread_number: i }));
  const requests: Array<Record<string, unknown>> = [];
  const client = {
    async request<T>(_q: string, v: Record<string, unknown> = {}): Promise<T> {
      requests.push(v);
      const from = Date.parse(v.from as string);
      return { rows: stored.filter((r) => Date.parse(r.timestamp) >= from).slice(0, v.limit as number) } as T;
    },
  };
  const got: ResultRow[] = [];
  await readAllRaw(client, 'p', Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 2), (rows) => got.push(...rows), () => false, 4);
  expect(got.map((r) => r.thread_number)).toEqual(stored.map((r) => r.thread_number));
  expect(requests.length).toBeGreaterThan(3);
  // One time with more results than a page: an error, never a silent cut.
  const crowded: ResultRow[] = [0, 0, 0, 0].map((s, i) => ({ timestamp: new Date(s).toISOString(), publisher: 'p', thread_number: i }));
  const crowdedClient = { request: async <T,>(_q: string, v: Record<string, unknown> = {}) => ({ rows: crowded.slice(0, v.limit as number) }) as T };
  await expect(readAllRaw(crowdedClient, 'p', 0, 1000, () => undefined, () => false, 3)).rejects.toThrow('cannot page');
});

describe('compare two periods', () => {
  const H = 3_600_000;
  const A = Date.UTC(2026, 11, 1, 0, 0);
  const B = Date.UTC(2026, 11, 5, 0, 0);
  const r = (p: string, t: number, w: number, extra: Partial<ResultRow> = {}): ResultRow => ({ timestamp: new Date(t).toISOString(), publisher: p, writer_bytes_rate: w, writer_error_count: 0, ...extra });
  const a = [r('pi', A, 100), r('pi', A + H, 200), r('pi', A + 3 * H, 300), r('pi', A + 5 * H, 999)];
  const b = [r('pi', B, 150, { result_count: 3 }), r('pi', B + H, 450, { result_count: 1, writer_error_count: 4 })];
  const periods = { aMs: A, bMs: B, lengthMs: 4 * H };

  test('both periods on one axis of time since their starts, A and B per publisher, gaps kept, outside rows dropped', () => {
    const data = buildCompareData(a, b, periods, ['pi'], 'bytes', 'writer', 1.5 * H);
    expect(data.series.map((s) => `${s.publisher} ${s.period} ${s.field}`)).toEqual(['pi A writer_bytes_rate', 'pi B writer_bytes_rate']);
    expect(data.xs).toEqual([0, 3600, 7200, 10800]); // the gap marker between +1 h and +3 h sits at +2 h
    expect(data.ys[0]).toEqual([100, 200, null, 300]);
    expect(data.ys[1]).toEqual([150, 450, undefined, undefined]);
  });

  test('difference of the means: rates weighted by the results a bucket holds, counts per result', () => {
    const [bytes, errors] = meanDifferences(a, b, periods, ['pi'], ['bytes', 'errorCount'], 'writer');
    expect(bytes.meanA).toBe(200); // 999 is after the 4 h period
    expect(bytes.meanB).toBe((150 * 3 + 450) / 4);
    expect(bytes.difference).toBe(25);
    expect(bytes.relative).toBeCloseTo(0.125);
    expect(errors.meanB).toBe(1); // 4 errors over 4 results
    expect(errors.relative).toBeNull(); // A is 0
  });

  test('shareable by URL; elapsed time reads +d hh:mm', () => {
    const url = formatUrlState({ view: 'compare', dashboard: 'lab', aMs: A, bMs: B, length: '1d', side: 'reader' });
    expect(url).toBe('?view=compare&d=lab&a=2026-12-01T00%3A00%3A00.000Z&b=2026-12-05T00%3A00%3A00.000Z&len=1d&side=reader');
    expect(parseUrlState(url)).toEqual({ view: 'compare', dashboard: 'lab', aMs: A, bMs: B, length: '1d', side: 'reader' });
    expect(formatElapsed(2 * 3600 + 30 * 60)).toBe('+02:30');
    expect(formatElapsed(86400 + 61, true)).toBe('+1 d 00:01:01');
  });
});
