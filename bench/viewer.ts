/**
 * `npm run bench:viewer`: figures for the viewer, each with a ratio against a baseline measured in the same run
 * (or the target where no in-run baseline exists).
 *  1. production bundle size (gzip -9) vs the original viewer's 250 kB and the 60 kB target;
 *  2. time to first chart on the local preview (3 days of synthetic history through the sink) in headless
 *     Chromium, vs the same page's load event (what any page costs before data) and the 1 s target;
 *  3. redraw of 4 series × 10,000 points with the viewer's uPlot options, vs a bare Canvas2D polyline of the
 *     same points in the same page, and the 50 ms target;
 *  4. a dashboard of 20 publishers over 30 days (one result a minute each, through the sink): first chart and the
 *     redraw of a refresh, vs the 2-publisher first chart of (2);
 *  5. "Export raw results" of 7 days × 20 publishers at one result a minute (201,600 rows): time to the saved file and
 *     the tab's peak JavaScript heap, vs the heap before the export.
 */
import { build } from 'esbuild';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cpus, loadavg } from 'node:os';
import { chromium } from 'playwright-core';
import { Pool } from 'pg';
import { startPreview } from '../lib/preview';
import { ingestRecords } from '../lib/preview/seed';
import { syntheticHistory } from '../lib/preview/synthetic';
import { buildViewer, REPO_ROOT } from '../lib/preview/build-viewer';
import { startEmbeddedPostgres } from '../lib/dev/embedded-postgres';
import { runBench } from './support/cli';
import { median } from './support/stats';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const ORIGINAL_JS_GZIP_KB = 250;
const fmt = (n: number, digits = 1) => n.toFixed(digits);

function bundleSize(dir: string) {
  const assets = join(dir, 'assets');
  let js = 0;
  let css = 0;
  for (const f of readdirSync(assets)) {
    const gz = gzipSync(readFileSync(join(assets, f)), { level: 9 }).length;
    if (f.endsWith('.js')) js += gz;
    if (f.endsWith('.css')) css += gz;
  }
  return { jsKb: js / 1024, cssKb: css / 1024 };
}

async function firstChart(url: string, runs: number) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const charts: number[] = [];
  const loads: number[] = [];
  try {
    const store = JSON.stringify({ version: 2, dashboards: [{ name: 'bench', perftool: { publishers: ['perftool-sinetstream-target', 'pi-lab-01'], visible: true, metrics: ['bytes', 'messages', 'errorRate', 'errorCount'] }, live: { window: '1d', refresh: 'off' } }] });
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      await context.addInitScript({ content: `localStorage.setItem('perftool-viewer', ${JSON.stringify(store)});` });
      const page = await context.newPage();
      await page.goto(`${url}/?d=bench`);
      await page.locator('[data-metric="bytes"][data-chart-state="ready"]').waitFor({ timeout: 30_000 });
      const t = (await page.evaluate(`(() => {
        const mark = performance.getEntriesByName('perftool:first-chart')[0];
        const nav = performance.getEntriesByType('navigation')[0];
        return { chart: mark ? mark.startTime : NaN, load: nav.loadEventEnd };
      })()`)) as { chart: number; load: number };
      charts.push(t.chart);
      loads.push(t.load);
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return { chartMs: median(charts), loadMs: median(loads) };
}

/** In-page benchmark entry: the viewer's chart options on uPlot vs a bare canvas polyline. */
const REDRAW_ENTRY = `
import uPlot from 'uplot';
import { chartOptions } from './viewer-assets/src/ui/chart';
import { defaultDashboard } from './viewer-assets/src/model/dashboard';

function data(points, seed) {
  const xs = new Array(points), ys = [0, 1, 2, 3].map(() => new Array(points));
  let v = seed;
  for (let i = 0; i < points; i++) {
    xs[i] = 1_700_000_000 + i * 60;
    for (let s = 0; s < 4; s++) { v = (v * 1103515245 + 12345) % 2147483648; ys[s][i] = 400_000 + s * 100_000 + (v % 100_000); }
  }
  return [xs, ...ys];
}

window.benchRedraw = async (points, reps) => {
  const host = document.getElementById('host');
  const d = defaultDashboard('bench');
  const series = ['a', 'b'].flatMap((publisher) => [{ publisher, side: 'reader', field: 'r' }, { publisher, side: 'writer', field: 'w' }]);
  let drawn = () => {};
  const opts = chartOptions('bytes', { series }, { title: 'bench', time: 'time', reader: 'reader', writer: 'writer', zone: 'utc' }, d.chart, { width: 1200, height: 400 });
  opts.hooks = { draw: [() => drawn()] };
  const u = new uPlot(opts, data(points, 1), host);
  const sets = [data(points, 2), data(points, 3)];
  const uplot = [];
  for (let r = 0; r < reps; r++) {
    const done = new Promise((res) => (drawn = res));
    const t0 = performance.now();
    u.setData(sets[r % 2]);
    await done;
    uplot.push(performance.now() - t0);
  }
  // Baseline: the least any canvas chart can do, one polyline per series over the same points.
  const canvas = document.createElement('canvas');
  canvas.width = 1200; canvas.height = 400; host.append(canvas);
  const ctx = canvas.getContext('2d');
  const bare = [];
  for (let r = 0; r < reps; r++) {
    const [xs, ...ys] = sets[r % 2];
    const t0 = performance.now();
    ctx.clearRect(0, 0, 1200, 400);
    const x0 = xs[0], dx = xs[xs.length - 1] - x0;
    for (const y of ys) {
      ctx.beginPath();
      for (let i = 0; i < xs.length; i++) { const px = ((xs[i] - x0) / dx) * 1200, py = 400 - (y[i] / 1_000_000) * 400; i ? ctx.lineTo(px, py) : ctx.moveTo(px, py); }
      ctx.stroke();
    }
    ctx.getImageData(0, 0, 1, 1); // wait for the raster, as uPlot's draw hook does
    bare.push(performance.now() - t0);
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { uplot: med(uplot), bare: med(bare) };
};
`;

async function redraw(points: number, reps: number) {
  const bundle = await build({ stdin: { contents: REDRAW_ENTRY, resolveDir: REPO_ROOT, loader: 'ts' }, bundle: true, format: 'iife', write: false, target: 'es2022', logLevel: 'silent' });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.setContent('<!doctype html><html><body><div id="host"></div></body></html>');
    await page.addStyleTag({ content: readFileSync(join(REPO_ROOT, 'node_modules/uplot/dist/uPlot.min.css'), 'utf8') });
    await page.addScriptTag({ content: bundle.outputFiles[0].text });
    return (await page.evaluate(`window.benchRedraw(${points}, ${reps})`)) as { uplot: number; bare: number };
  } finally {
    await browser.close();
  }
}

async function main() {
  // `-- --only redraw` (or bundle, first, large) runs one measurement.
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
  const want = (name: string) => !only || only === name;
  console.log(`viewer benchmark (headless Chromium, this machine: ${cpus().length} cores, load average ${loadavg().map((l) => fmt(l, 1)).join(' ')})\n`);
  const dist = buildViewer();
  const size = bundleSize(dist);
  if (want('bundle')) console.log(`bundle   JavaScript ${fmt(size.jsKb)} kB gzip (CSS ${fmt(size.cssKb)} kB)   ratio to the original's ${ORIGINAL_JS_GZIP_KB} kB: ${fmt(size.jsKb / ORIGINAL_JS_GZIP_KB, 2)}   target ≤ 60 kB: ${size.jsKb <= 60 ? 'met' : 'MISSED'}`);

  let firstChartMs: number | null = null;
  if (want('first')) firstChartMs = await measureFirstChart(dist);
  if (want('large')) await measureLargeDashboard(dist, firstChartMs);
  if (want('redraw')) {
    const r = await redraw(10_000, 21);
    console.log(`redraw   4 series × 10,000 points: ${fmt(r.uplot)} ms (median of 21)   bare canvas polyline ${fmt(r.bare)} ms   ratio ${fmt(r.uplot / r.bare, 2)}   target < 50 ms: ${r.uplot < 50 ? 'met' : 'MISSED'}`);
  }
}

async function measureFirstChart(dist: string): Promise<number> {
  let firstMs = NaN;
  const pg = await startEmbeddedPostgres();
  try {
    const { config } = await pg.createDatabase('viewer_bench');
    const preview = await startPreview({ port: 0, database: config, seed: { days: 3, liveIntervalMs: 0 }, assetsDir: dist });
    try {
      const t = await firstChart(preview.url, 5);
      firstMs = t.chartMs;
      console.log(`first    chart after ${fmt(t.chartMs, 0)} ms (median of 5; 2 publishers, 1 day, 4 charts)   page load event ${fmt(t.loadMs, 0)} ms   ratio ${fmt(t.chartMs / t.loadMs, 2)}   target < 1000 ms: ${t.chartMs < 1000 ? 'met' : 'MISSED'}`);
    } finally {
      await preview.close();
    }
  } finally {
    await pg.stop();
  }
  return firstMs;
}

const LARGE_PUBLISHERS = Array.from({ length: 20 }, (_, i) => ({ name: `pi-bench-${String(i + 1).padStart(2, '0')}`, bytesRate: 100_000 + i * 50_000 }));

/** 20 publishers, 30 days, one result a minute each (864,000 results), ingested a day at a time through the sink. */
async function seedLarge(pool: Pool, nowMs: number): Promise<number> {
  let n = 0;
  for (let day = 29; day >= 0; day--) {
    const records = syntheticHistory({ nowMs: nowMs - day * 86_400_000, days: 1, publishers: LARGE_PUBLISHERS, seed: day + 1 }).filter((r) => r.timestamp > nowMs - (day + 1) * 86_400_000);
    await ingestRecords(pool, records);
    n += records.length;
  }
  return n;
}

async function measureLargeDashboard(dist: string, smallFirstMs: number | null) {
  const pg = await startEmbeddedPostgres();
  try {
    const { config } = await pg.createDatabase('viewer_bench_large');
    const preview = await startPreview({ port: 0, database: config, seed: { days: 0, liveIntervalMs: 0 }, assetsDir: dist });
    const pool = new Pool(config);
    try {
      const t0 = Date.now();
      const n = await seedLarge(pool, Date.now());
      console.log(`seed     ${n.toLocaleString('en-US')} results (20 publishers × 30 days, one a minute) through the sink in ${fmt((Date.now() - t0) / 1000, 0)} s`);
      const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
      try {
        const publishers = LARGE_PUBLISHERS.map((p) => p.name);
        const store = (window: string) => JSON.stringify({ version: 2, dashboards: [{ name: 'fleet', perftool: { publishers, visible: true, metrics: ['bytes', 'messages', 'errorRate', 'errorCount'] }, live: { window, refresh: 'off' } }] });
        const open = async (window: string) => {
          const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
          await context.addInitScript({ content: `localStorage.setItem('perftool-viewer', ${JSON.stringify(store(window))});` });
          const page = await context.newPage();
          return { context, page };
        };
        // First chart and the redraw of a refresh, 30 days.
        const firsts: number[] = [];
        const redraws: number[] = [];
        for (let i = 0; i < 3; i++) {
          const { context, page } = await open('30d');
          await page.goto(`${preview.url}/?d=fleet`);
          await page.locator('[data-metric="bytes"][data-chart-state="ready"]').waitFor({ timeout: 60_000 });
          firsts.push((await page.evaluate(`performance.getEntriesByName('perftool:first-chart')[0].startTime`)) as number);
          // A refresh redraws every chart from the held rows (nothing new arrives: the cost is the redraw).
          await page.evaluate(`new Promise((r) => setTimeout(r, 300))`);
          const before = (await page.evaluate(`performance.getEntriesByName('perftool:draw').length`)) as number;
          await page.getByLabel('Refresh').selectOption('5s');
          // Polled from here: the page's CSP (no 'unsafe-eval') refuses in-page string predicates.
          for (const deadline = Date.now() + 30_000; ((await page.evaluate(`performance.getEntriesByName('perftool:draw').length`)) as number) <= before; ) {
            if (Date.now() > deadline) throw new Error('no redraw within 30 s of turning refresh on');
            await new Promise((r) => setTimeout(r, 100));
          }
          redraws.push((await page.evaluate(`performance.getEntriesByName('perftool:draw').at(-1).duration`)) as number);
          await context.close();
        }
        const first = median(firsts);
        const ratio = smallFirstMs ? `   ratio to the 2-publisher first chart: ${fmt(first / smallFirstMs, 2)}` : '';
        console.log(`large    20 publishers × 30 days, 4 charts: first chart after ${fmt(first, 0)} ms (median of 3)${ratio}`);
        console.log(`         redraw on refresh (160 series, 1 h buckets) ${fmt(median(redraws), 1)} ms (median of 3)   ratio to its first chart: ${fmt(median(redraws) / first, 2)}`);

        // Raw export, 7 days.
        const { context, page } = await open('7d');
        await page.goto(`${preview.url}/?d=fleet`);
        await page.locator('[data-metric="bytes"][data-chart-state="ready"]').waitFor({ timeout: 60_000 });
        const cdp = await context.newCDPSession(page);
        await cdp.send('Performance.enable');
        const heap = async () => ((await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN) / 1024 / 1024;
        await cdp.send('HeapProfiler.collectGarbage');
        const baseline = await heap();
        let peak = baseline;
        let sampling = true;
        const sampler = (async () => {
          while (sampling) {
            peak = Math.max(peak, await heap());
            await new Promise((r) => setTimeout(r, 50));
          }
        })();
        const t1 = performance.now();
        const [download] = await Promise.all([page.waitForEvent('download', { timeout: 600_000 }), page.getByRole('button', { name: 'Export raw results' }).click()]);
        const path = await download.path();
        const exportMs = performance.now() - t1;
        sampling = false;
        await sampler;
        const rows = readFileSync(path!, 'utf8').split('\r\n').length - 2;
        const mb = readFileSync(path!).length / 1024 / 1024;
        console.log(`export   raw results, 7 days × 20 publishers: ${rows.toLocaleString('en-US')} rows (${fmt(mb)} MB CSV) in ${fmt(exportMs / 1000, 1)} s   tab JS heap peak ${fmt(peak)} MB, before ${fmt(baseline)} MB (ratio ${fmt(peak / baseline, 2)})`);
        await context.close();
      } finally {
        await browser.close();
      }
    } finally {
      await pool.end();
      await preview.close();
    }
  } finally {
    await pg.stop();
  }
}

runBench(
  {
    script: 'bench:viewer',
    description: [
      "Builds the viewer and measures its gzipped bundle against the original viewer's, the time to the first chart",
      "in headless Chromium against the page's load event, and a redraw of 4 × 10,000 points against a bare canvas.",
    ].join('\n'),
    options: [{ name: 'only', value: 'NAME', help: 'run one measurement: bundle, first or redraw' }],
  },
  main,
);
