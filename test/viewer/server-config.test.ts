import { defaultDashboard } from '../../viewer-assets/src/model/dashboard';
import { applyServerConfig, DEFAULT_TARGETS, diffDashboards, groupsIn, mergeOverExisting, toServerConfig } from '../../viewer-assets/src/model/serverConfig';
import { defaultViewerConfig } from '../../lambda/db-init/migrate';

const NOW = new Date(2026, 10, 20, 12, 0).getTime();

/** A config as the original viewer uploaded it (partial V1, no name/version, single perftool name). */
const ORIGINAL_UPLOAD = {
  perftool: { name: 'pi-lab-01', visible: true },
  player: { from: '2026-11-01 10:00', to: '2026-11-01 12:00', tick: 1500, speed: 30, repeat: true },
  chart: { minSize: { width: 500, height: 320 }, line: { enabled: true, size: 2 }, point: { enabled: false, size: 2 } },
  layout: { template: 'vertical' },
  android: { publisher: 'phone', map: true, lte: true, sensors: ['gravity'] },
  image: { topic: 'cam', update: 'push', visible: true },
};

describe('download (apply a server config)', () => {
  test("the server's seeded default config applies in one go", () => {
    const d = applyServerConfig(defaultDashboard('default', NOW), defaultViewerConfig('perftool-sinetstream-target'), ['perftool']);
    expect(d.perftool).toMatchObject({ publishers: ['perftool-sinetstream-target'], visible: true });
  });

  test('only the picked groups change; the default targets are perftool and the playback range', () => {
    const base = defaultDashboard('mine', NOW);
    const d = applyServerConfig(base, ORIGINAL_UPLOAD, DEFAULT_TARGETS);
    expect(d.perftool.publishers).toEqual(['pi-lab-01']);
    expect(d.player.from).toBe('2026-11-01 10:00');
    expect(d.player.to).toBe('2026-11-01 12:00');
    expect(d.player.tick).toBe(base.player.tick); // rest of playback not picked
    expect(d.chart).toEqual(base.chart);
    expect(d.layout).toEqual(base.layout);
    expect(d.name).toBe('mine');
  });

  test('the single-key pick takes publishers but keeps visibility and metrics', () => {
    const base = defaultDashboard('mine', NOW);
    base.perftool.visible = false;
    base.perftool.metrics = ['bytes'];
    const d = applyServerConfig(base, { perftool: { name: 'x', publishers: ['x', 'y'], visible: true, metrics: ['errorCount'] } }, ['perftool.name']);
    expect(d.perftool).toMatchObject({ publishers: ['x', 'y'], visible: false, metrics: ['bytes'] });
  });

  test('groups the config lacks are offered as absent and change nothing', () => {
    expect(groupsIn(ORIGINAL_UPLOAD)).toEqual(['perftool', 'player', 'layout', 'chart']);
    const base = defaultDashboard('mine', NOW);
    expect(applyServerConfig(base, { perftool: { name: 'p' } }, ['live', 'layout'])).toEqual(base);
  });

  test('"what will change" lists the leaf differences', () => {
    const base = defaultDashboard('mine', NOW);
    const after = applyServerConfig(base, ORIGINAL_UPLOAD, ['layout', 'perftool']);
    expect(diffDashboards(base, after)).toEqual([
      { path: 'perftool.publishers', before: [], after: ['pi-lab-01'] },
      { path: 'layout.template', before: 'horizontal', after: 'vertical' },
    ]);
  });
});

describe('upload', () => {
  const dashboard = () => {
    const d = defaultDashboard('mine', NOW);
    d.perftool.publishers = ['a', 'b'];
    d.perftool.name = 'a';
    return d;
  };

  test('the config keeps the original keys (perftool.name) and never contains name or version', () => {
    const c = toServerConfig(dashboard(), ['perftool', 'layout']);
    expect(Object.keys(c).sort()).toEqual(['layout', 'perftool']);
    expect(c.perftool).toEqual({ name: 'a', visible: true, publishers: ['a', 'b'], metrics: ['bytes', 'messages', 'errorRate', 'errorCount'] });
  });

  test('overwriting merges the picked groups over the stored config and keeps the rest', () => {
    const merged = mergeOverExisting(ORIGINAL_UPLOAD, toServerConfig(dashboard(), ['perftool', 'player.from']));
    expect(merged.android).toEqual(ORIGINAL_UPLOAD.android);
    expect(merged.chart).toEqual(ORIGINAL_UPLOAD.chart);
    expect(merged.perftool).toMatchObject({ name: 'a', publishers: ['a', 'b'] });
    // player.from replaced only from/to inside the stored group
    expect(merged.player).toMatchObject({ tick: 1500, speed: 30, repeat: true, from: dashboard().player.from });
  });

  test('an uploaded config downloads back to the same dashboard', () => {
    const d = dashboard();
    d.live = { window: '6h', refresh: '10s' };
    d.chart.point.enabled = false;
    const back = applyServerConfig(defaultDashboard('mine', NOW), toServerConfig(d, ['perftool', 'live', 'player', 'layout', 'chart']), ['perftool', 'live', 'player', 'layout', 'chart']);
    expect(back).toEqual(d);
  });
});
