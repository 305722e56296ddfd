import {
  defaultDashboard,
  KeyValueStorage,
  loadStore,
  migrateDashboard,
  ORIGINAL_STORE_KEY,
  parseLocalTime,
  saveStore,
  STORE_KEY,
  STORE_VERSION,
  validateDashboard,
} from '../../viewer-assets/src/model/dashboard';

class MemoryStorage implements KeyValueStorage {
  readonly items = new Map<string, string>();
  getItem(k: string) {
    return this.items.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.items.set(k, v);
  }
}

const NOW = new Date(2026, 10, 20, 12, 0).getTime();

describe('dashboard storage format', () => {
  test('an original V1 dashboard (single perftool name) migrates with everything it had', () => {
    const v1 = {
      name: 'lab',
      version: '1.0',
      android: { publisher: 'phone', map: false, lte: false, sensors: ['light'] },
      chart: { minSize: { width: 400, height: 300 }, line: { enabled: false, size: 3 }, point: { enabled: true, size: 4 } },
      image: { topic: 'cam', update: 'polling', visible: false },
      layout: { template: 'vertical' },
      perftool: { name: 'pi-lab-01', visible: true },
      player: { from: '2026-11-01 10:00', to: '2026-11-01T12:30', tick: 1200, speed: 20, repeat: true },
    };
    const d = migrateDashboard(v1, NOW);
    expect(d.name).toBe('lab');
    expect(d.perftool.publishers).toEqual(['pi-lab-01']);
    expect(d.perftool.name).toBe('pi-lab-01');
    // The original has no time zone: times show in the browser's, as they did there.
    expect(d.chart).toEqual({ ...v1.chart, timeZone: 'local' });
    expect(d.layout.template).toBe('vertical');
    expect(d.player).toMatchObject({ from: '2026-11-01 10:00', to: '2026-11-01 12:30', tick: 1200, speed: 20, repeat: true });
    // Groups this viewer does not use are kept for round trips.
    expect(d.android).toEqual(v1.android);
    expect(d.image).toEqual(v1.image);
  });

  test('an original V0 dashboard migrates without the original speed-from-tick bug', () => {
    const d = migrateDashboard({ name: 'old', perftoolName: 'pi-9', panes: { perftool: false }, player: { tick: 1200 } }, NOW);
    expect(d.perftool).toMatchObject({ publishers: ['pi-9'], visible: false });
    expect(d.player.speed).toBe(10); // the original would have produced 1200
    expect(d.player.tick).toBe(1200);
  });

  test('a playback time stored as a serialised Date (ISO with offset) becomes local time', () => {
    const d = migrateDashboard({ name: 'x', version: '1.0', player: { from: new Date(NOW).toISOString(), to: '2026-11-20T13:00' } }, NOW);
    expect(d.player.from).toBe('2026-11-20 12:00');
    expect(d.player.to).toBe('2026-11-20 13:00');
  });

  test('invalid stored values fall back to defaults field by field', () => {
    const d = migrateDashboard({ name: 'x', version: '1.0', chart: { line: { size: -1 }, minSize: { width: 50 } }, layout: { template: 'diagonal' } }, NOW);
    const def = defaultDashboard('', NOW);
    expect(d.chart.line.size).toBe(def.chart.line.size);
    expect(d.chart.minSize.width).toBe(def.chart.minSize.width);
    expect(d.layout.template).toBe('horizontal');
  });

  test("first load reads the original viewer's `settings` key and leaves it in place", () => {
    const s = new MemoryStorage();
    const original = JSON.stringify([{ name: 'a', version: '1.0', perftool: { name: 'p1', visible: true } }, { name: 'a', perftoolName: 'p2' }]);
    s.setItem(ORIGINAL_STORE_KEY, original);
    const r = loadStore(s, NOW);
    expect(r.migrated).toBe(true);
    expect(r.store.dashboards.map((d) => d.name)).toEqual(['a', 'a (2)']);
    expect(r.store.dashboards.map((d) => d.perftool.publishers)).toEqual([['p1'], ['p2']]);
    expect(s.getItem(ORIGINAL_STORE_KEY)).toBe(original);
  });

  test('our format round-trips through storage', () => {
    const s = new MemoryStorage();
    const d = defaultDashboard('mine', NOW);
    d.perftool.publishers = ['x', 'y'];
    d.perftool.name = 'x';
    d.perftool.metrics = ['bytes'];
    saveStore(s, { version: 2, dashboards: [d], last: 'mine' });
    const r = loadStore(s, NOW);
    expect(r.store.dashboards).toEqual([d]);
    expect(r.store.last).toBe('mine');
    expect(r.problems).toEqual([]);
  });

  test('unreadable stored data is kept aside, reported, and not lost', () => {
    const s = new MemoryStorage();
    s.setItem(STORE_KEY, '{not json');
    const r = loadStore(s, NOW);
    expect(r.store.dashboards).toEqual([]);
    expect(r.problems[0]).toMatch(/not JSON/);
    expect(s.getItem(`${STORE_KEY}.unreadable`)).toBe('{not json');
  });

  test('data from a newer viewer version is reported and backed up before this viewer saves over it', () => {
    const s = new MemoryStorage();
    const newer = JSON.stringify({ version: 99, dashboards: [{ name: 'from the future' }] });
    s.setItem(STORE_KEY, newer);
    const r = loadStore(s, NOW);
    expect(r.problems[0]).toMatch(/newer viewer/);
    expect(r.problems[0]).toContain(`${STORE_KEY}.v99-backup`);
    saveStore(s, { version: STORE_VERSION, dashboards: [defaultDashboard('mine', NOW)] });
    expect(s.getItem(`${STORE_KEY}.v99-backup`)).toBe(newer);
  });
});

describe('dashboard validation', () => {
  const valid = () => {
    const d = defaultDashboard('lab', NOW);
    d.perftool.publishers = ['pi'];
    return d;
  };

  test('a complete dashboard is valid', () => {
    expect(validateDashboard(valid(), ['other'])).toEqual([]);
  });

  test.each([
    ['name', (d: ReturnType<typeof valid>) => (d.name = '  '), 'err.required'],
    ['name', (d: ReturnType<typeof valid>) => (d.name = 'other'), 'err.nameTaken'],
    ['perftool.publishers', (d: ReturnType<typeof valid>) => (d.perftool.publishers = []), 'err.publisherRequired'],
    ['perftool.metrics', (d: ReturnType<typeof valid>) => (d.perftool.metrics = []), 'err.metricRequired'],
    ['player.from', (d: ReturnType<typeof valid>) => (d.player.from = 'yesterday'), 'err.invalidTime'],
    ['player.to', (d: ReturnType<typeof valid>) => (d.player.to = d.player.from), 'err.toBeforeFrom'],
    ['player.rate', (d: ReturnType<typeof valid>) => (d.player.rate = 0), 'err.range'],
    ['chart.minSize.width', (d: ReturnType<typeof valid>) => (d.chart.minSize.width = 100), 'err.range'],
    ['chart.line.size', (d: ReturnType<typeof valid>) => (d.chart.line.size = NaN), 'err.range'],
  ])('%s: %s', (path, breakIt, key) => {
    const d = valid();
    breakIt(d);
    expect(validateDashboard(d, ['other'])).toContainEqual(expect.objectContaining({ path, key }));
  });

  test('hidden perftool charts need no publisher', () => {
    const d = valid();
    d.perftool.publishers = [];
    d.perftool.visible = false;
    expect(validateDashboard(d, [])).toEqual([]);
  });
});

test('local times parse in both stored spellings and with an offset', () => {
  expect(parseLocalTime('2026-11-20 12:00')).toBe(NOW);
  expect(parseLocalTime('2026-11-20T12:00')).toBe(NOW);
  expect(parseLocalTime('2026-11-20T03:00:00Z')).toBe(Date.UTC(2026, 10, 20, 3));
  expect(parseLocalTime('20/11/2026')).toBeNull();
});
