/**
 * Live mode in headless Chromium against the local preview (real PostgreSQL, data through the real sink):
 * first visit, charts, live refresh, buckets for long windows, empty and error states, phone width, Japanese.
 * `SCREENSHOTS=1 npx jest test/viewer/browser-live` also writes docs/screenshots/.
 */
import { ALL_OPERATIONS } from '../../viewer-assets/src/api/operations';
import { chartReady, dashboard, Fixture, holdFirstResultsRead, ingestResult, openContext, recordRequests, see, shot, startFixture, waitForPage } from './browser-support';


let f: Fixture;
beforeAll(async () => {
  f = await startFixture(1.5);
});
afterAll(async () => {
  await f?.close();
});

test("first visit: one click on the server's default config shows the seeded series", async () => {
  const { page, context, problems } = await openContext(f);
  const requests = recordRequests(page);
  await page.goto(f.preview.url);
  const useDefault = page.getByRole('button', { name: 'Use the server’s default settings' });
  await useDefault.waitFor();
  await shot(page, 'welcome');
  await useDefault.click();
  await chartReady(page);
  // Every chosen metric has a chart with the default publisher's reader and writer series.
  for (const metric of ['bytes', 'messages', 'errorRate', 'errorCount']) await chartReady(page, metric);
  const legend = await page.locator('[data-metric="bytes"] .u-legend').innerText();
  expect(legend).toContain('perftool-sinetstream-target reader');
  expect(legend).toContain('perftool-sinetstream-target writer');
  const results = requests.filter((r) => r.query.includes('query Results'));
  expect(results[0].variables.publisher).toBe('perftool-sinetstream-target');
  await see(page.getByTestId('source')).toHaveText('Source: raw results');
  // The dashboard was saved: a reload opens it again, not the welcome screen.
  await page.reload();
  await chartReady(page);
  expect(new URL(page.url()).searchParams.get('d')).toBe('default');
  // Safe GraphQL: every request is one of the fixed documents; user input only travels in variables.
  const documents = new Set(Object.values(ALL_OPERATIONS));
  expect(requests.length).toBeGreaterThan(2);
  expect(requests.filter((r) => !documents.has(r.query))).toEqual([]);
  expect(problems).toEqual([]);
  await context.close();
});

test('live refresh shows a newly ingested result without a reload, reading only what is new', async () => {
  const { page, context, problems } = await openContext(f, { dashboards: [dashboard('lab', ['pi-lab-01'], (d) => (d.live = { window: '1h', refresh: '5s' }))] });
  const requests = recordRequests(page);
  await page.goto(f.preview.url);
  await chartReady(page);
  await page.evaluate('window.marker = 42');
  const firstUpdate = await page.getByTestId('updated').getAttribute('data-time');

  const t = Date.now();
  await ingestResult(f.pool, 'pi-lab-01', t, 7_654_321);
  // The next refresh (5 s) picks it up; hover the newest point and read the exact value in the tooltip.
  await waitForPage(page, `document.querySelector('[data-testid="updated"]').getAttribute('data-time') !== ${JSON.stringify(firstUpdate)}`);
  const over = page.locator('[data-metric="bytes"] .u-over');
  const box = (await over.boundingBox())!;
  await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2);
  await see(page.locator('[data-metric="bytes"] .tooltip')).toContainText('pi-lab-01 writer: 7,654,321 B/s (7.3 MiB/s)');
  expect(await page.evaluate('window.marker')).toBe(42); // same document: no reload

  const reads = requests.filter((r) => r.query.includes('query Results'));
  expect(reads.length).toBeGreaterThanOrEqual(2);
  const windowStart = Date.parse(reads[0].variables.from as string);
  const refreshFrom = Date.parse(reads[1].variables.from as string);
  // The refresh starts near the newest held row, not at the start of the hour.
  expect(refreshFrom - windowStart).toBeGreaterThan(50 * 60_000);
  expect(problems).toEqual([]);
  await context.close();
});

test('drag across a chart to zoom; Reset zoom restores the window', async () => {
  const { page, context } = await openContext(f, { dashboards: [dashboard('lab', ['pi-lab-01'], (d) => (d.live = { window: '1h', refresh: 'off' }))] });
  await page.goto(f.preview.url);
  await chartReady(page);
  const panel = page.locator('[data-metric="bytes"]');
  const range = async () => (await panel.getAttribute('data-x-range'))!.split(',').map(Number);
  const [min, max] = await range();
  expect(max - min).toBeCloseTo(3600, 0);
  const box = (await page.locator('[data-metric="bytes"] .u-over').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  // About a tenth of the hour, inside the window.
  await waitForPage(page, `(([a, b]) => b - a < 600)(document.querySelector('[data-metric="bytes"]').dataset.xRange.split(',').map(Number))`);
  const [zMin, zMax] = await range();
  expect(zMin).toBeGreaterThan(min);
  expect(zMax).toBeLessThan(max);
  expect(zMax - zMin).toBeGreaterThan(200);
  await page.getByRole('button', { name: 'Reset zoom' }).click();
  await waitForPage(page, `document.querySelector('[data-metric="bytes"]').dataset.xRange === ${JSON.stringify(`${min},${max}`)}`);
  await context.close();
});

test('reader and writer differ in colour and dash, also in the legend; the tooltip shows the colours and stays in the window', async () => {
  // One column in a narrow window: the charts reach its right-hand edge.
  const lab = dashboard('lab', ['pi-lab-01', 'pi-lab-02'], (d) => {
    d.live = { window: '1h', refresh: 'off' };
    d.layout.template = 'vertical';
  });
  const { page, context, problems } = await openContext(f, { dashboards: [lab], width: 700 });
  await page.goto(f.preview.url);
  await chartReady(page);
  // The health panel fills in after the charts; hover once the page has its final layout.
  await page.locator('[data-testid="health"] li').nth(1).waitFor();
  const markers = (await page.evaluate(
    `[...document.querySelectorAll('[data-metric="bytes"] .u-legend .u-series')].map((row) => { const c = getComputedStyle(row.querySelector('.u-marker')); return { label: row.querySelector('.u-label').textContent, color: c.borderTopColor, style: c.borderTopStyle }; })`,
  )) as Array<{ label: string; color: string; style: string }>;
  expect(markers.map((m) => `${m.label} ${m.style}`)).toEqual(['pi-lab-01 reader solid', 'pi-lab-01 writer dashed', 'pi-lab-02 reader solid', 'pi-lab-02 writer dashed']);
  expect(new Set(markers.map((m) => m.color)).size).toBe(4);

  // Hover the right edge of the throughput chart (the widest values): the tooltip opens to the left of the cursor.
  const over = (await page.locator('[data-metric="bytes"] .u-over').boundingBox())!;
  await page.mouse.move(over.x + over.width - 2, over.y + over.height / 3);
  const tooltip = page.locator('.tooltip:not([hidden])');
  await tooltip.waitFor();
  const tip = (await tooltip.boundingBox())!;
  expect(tip.x).toBeGreaterThanOrEqual(0);
  expect(tip.x + tip.width).toBeLessThanOrEqual(700);
  expect(tip.x + tip.width).toBeLessThan(over.x + over.width); // flipped to the left of the cursor
  const swatches = (await page.evaluate(
    `[...document.querySelectorAll('.tooltip:not([hidden]) .swatch')].map((s) => ({ label: s.parentElement.textContent.split(':')[0], color: getComputedStyle(s).borderTopColor, fill: getComputedStyle(s).backgroundColor }))`,
  )) as Array<{ label: string; color: string; fill: string }>;
  // The series with a value at the cursor (the publishers report at different seconds), in the legend's colours;
  // readers filled, writers dashed outlines.
  expect(swatches.length).toBeGreaterThanOrEqual(2);
  for (const s of swatches) {
    expect(s.color).toBe(markers.find((m) => m.label === s.label)?.color);
    expect(s.fill === s.color).toBe(s.label.endsWith('reader'));
  }
  await shot(page, 'tooltip');
  // Near the bottom of the plot the tooltip opens above the cursor and stays inside the plot.
  await page.mouse.move(over.x + over.width / 2, over.y + over.height - 3);
  await page.waitForFunction(`(document.querySelector('.tooltip:not([hidden])')?.getBoundingClientRect().bottom ?? Infinity) < ${over.y + over.height - 3}`);
  const low = (await tooltip.boundingBox())!;
  expect(low.y).toBeGreaterThanOrEqual(over.y);
  expect(low.y + low.height).toBeLessThanOrEqual(over.y + over.height);
  expect(problems).toEqual([]);
  await context.close();
});

test('long windows switch to bucketed data: 10 min buckets for 2 days, 1 h buckets for 30 days', async () => {
  // No refresh: the reads counted below are exactly those of the window changes.
  const { page, context } = await openContext(f, { dashboards: [dashboard('lab', ['pi-lab-01', 'pi-lab-02'], (d) => (d.live = { window: '1h', refresh: 'off' }))] });
  const requests = recordRequests(page);
  await page.goto(`${f.preview.url}/?d=lab&w=1h`);
  await chartReady(page);
  const resultReads = () => requests.filter((r) => r.query.includes('query Results'));
  for (const [window, label, table] of [['2d', '10 min', 'perftool_10min'], ['30d', '1 h', 'perftool_1hour']]) {
    const before = resultReads().length;
    await page.getByLabel('Window').selectOption(window);
    await see(page.getByTestId('source')).toHaveText(`Source: ${label} buckets`);
    await chartReady(page);
    // One read per publisher (Hasura's row limit then applies to each), both from the start of the window.
    const reads = resultReads().slice(before);
    expect(reads.map((r) => r.query.includes(`${table}(`))).toEqual([true, true]);
    expect(reads.map((r) => r.variables.publisher).sort()).toEqual(['pi-lab-01', 'pi-lab-02']);
    expect(reads[0].variables.from).toBe(reads[1].variables.from);
    // The window is in the URL, so the link can be shared.
    expect(new URL(page.url()).searchParams.get('w')).toBe(window);
  }
  await context.close();
});

test('a window change while a read is in flight reads the new window; the late old read is not drawn', async () => {
  const { page, context, problems } = await openContext(f, { dashboards: [dashboard('lab', ['pi-lab-01'], (d) => (d.live = { window: '1h', refresh: 'off' }))] });
  const hold = await holdFirstResultsRead(page);
  await page.goto(f.preview.url);
  await hold.started; // the 1 h read is in flight
  await page.getByLabel('Window').selectOption('6h');
  const xSpan = `(() => { const [a, b] = document.querySelector('[data-metric="bytes"]').dataset.xRange.split(',').map(Number); return b - a; })()`;
  await waitForPage(page, `document.querySelector('[data-metric="bytes"][data-chart-state="ready"]') && ${xSpan} === 6 * 3600`);
  await hold.release(); // the old 1 h read lands now
  expect(await page.evaluate(xSpan)).toBe(6 * 3600);
  expect(await page.locator('[data-metric="bytes"]').getAttribute('data-chart-state')).toBe('ready');
  expect(problems).toEqual([]);
  await context.close();
});

test('a publisher without data in the window shows the empty state', async () => {
  const { page, context } = await openContext(f, { dashboards: [dashboard('quiet', ['pi-campus-03'])] });
  await page.goto(f.preview.url);
  await page.locator('[data-metric="bytes"][data-chart-state="empty"]').waitFor();
  await see(page.locator('[data-metric="bytes"] .chart-status')).toHaveText('No results for pi-campus-03 in this window.');
  await context.close();
});

test('with the perftool charts switched off, the dashboard says so and reads nothing', async () => {
  const { page, context } = await openContext(f, { dashboards: [dashboard('off', ['pi-lab-01'], (d) => (d.perftool.visible = false))] });
  const requests = recordRequests(page);
  await page.goto(f.preview.url);
  await see(page.locator('main')).toContainText('The perftool charts are switched off');
  expect(await page.locator('[data-metric]').count()).toBe(0);
  expect(requests.filter((r) => r.query.includes('query Results'))).toEqual([]);
  await context.close();
});

test('a GraphQL failure shows the error state, and Retry recovers', async () => {
  const { page, context } = await openContext(f, { dashboards: [dashboard('lab', ['pi-lab-01'])] });
  await page.route('**/v1/graphql', (route) => route.fulfill({ status: 502, contentType: 'text/plain', body: 'Bad gateway' }));
  await page.goto(f.preview.url);
  await page.locator('[data-metric="bytes"][data-chart-state="error"]').waitFor();
  await see(page.locator('[data-metric="bytes"] .chart-status')).toContainText('Could not load results');
  await shot(page, 'error');
  await page.unroute('**/v1/graphql');
  await page.locator('[data-metric="bytes"]').getByRole('button', { name: 'Retry' }).click();
  await chartReady(page);
  await context.close();
});

test('phone width in Japanese, switchable to English; a shared link opens without a saved dashboard', async () => {
  const { page, context, problems } = await openContext(f, { locale: 'ja-JP', width: 390 });
  await page.goto(`${f.preview.url}/?d=shared&p=pi-lab-01,pi-lab-02&w=6h`);
  await chartReady(page);
  await see(page.getByRole('link', { name: 'ライブ' })).toBeVisible();
  await see(page.locator('main')).toContainText('ダッシュボード「shared」はこのブラウザに保存されていません');
  const legend = await page.locator('[data-metric="bytes"] .u-legend').innerText();
  expect(legend).toContain('pi-lab-02 送信側');
  expect(legend).toContain('pi-lab-01 受信側');
  // Nothing wider than the phone.
  expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
  await page.getByLabel('言語').selectOption('en');
  await see(page.getByRole('link', { name: 'Live' })).toBeVisible();
  expect(problems).toEqual([]);
  await context.close();
});

