/**
 * Settings, server settings (download / upload with overwrite confirmation) and playback in headless Chromium
 * against the local preview. `SCREENSHOTS=1 npx jest test/viewer/browser-settings` also writes docs/screenshots/.
 */
import type { Page } from 'playwright-core';
import { chartReady, dashboard, Fixture, holdFirstResultsRead, openContext, recordRequests, see, shot, startFixture, waitForPage } from './browser-support';

const fieldError = (page: Page, path: string) => page.locator(`[data-field="${path}"] .field-error`);

let f: Fixture;
beforeAll(async () => {
  f = await startFixture(1.2);
});
afterAll(async () => {
  await f?.close();
});

test('settings: validation messages next to the fields; Save only when valid; saved dashboards open', async () => {
  const { page, context, problems } = await openContext(f, { dashboards: [dashboard('default', ['perftool-sinetstream-target'])] });
  await page.goto(`${f.preview.url}/?view=settings&new=1`);
  const save = page.getByRole('button', { name: 'Save', exact: true });
  const name = page.getByLabel('Dashboard name');
  await name.waitFor();
  // Nothing typed yet: no error messages, but the Save bar says what saving needs.
  await see(page.getByTestId('save-reason')).toHaveText('Save needs: Dashboard name, Publishers');
  expect(await fieldError(page, 'name').innerText()).toBe('');
  // Save shows every problem and goes to the first field.
  await save.click();
  await see(fieldError(page, 'name')).toHaveText('Required.');
  await see(fieldError(page, 'perftool.publishers')).toHaveText('Add at least one publisher (or hide the perftool charts).');
  expect(await page.evaluate('document.activeElement === document.querySelector(\'[data-field="name"] input\')')).toBe(true);
  expect(new URL(page.url()).searchParams.get('view')).toBe('settings');

  await name.fill('default');
  await see(fieldError(page, 'name')).toHaveText('Another dashboard already has this name.');
  await name.fill('lab');
  await see(fieldError(page, 'name')).toHaveText('');
  // Publishers from the database are offered; one picked, one typed in.
  await page.getByLabel('pi-lab-01', { exact: true }).check();
  await page.getByLabel('Publisher name').fill('pi-lab-02');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await see(fieldError(page, 'perftool.publishers')).toHaveText('');
  await page.getByLabel('Minimum chart width (px)').fill('100');
  await see(fieldError(page, 'chart.minSize.width')).toHaveText('Enter a number from 200 to 4000.');
  await see(page.getByTestId('save-reason')).toHaveText('Save needs: Minimum chart width (px)');
  await shot(page, 'settings-validation');
  await page.getByLabel('Minimum chart width (px)').fill('400');
  await page.getByLabel('Throughput (bytes/s)').check(); // already on; stays on
  await page.getByLabel('Error count').uncheck();
  expect(await save.isDisabled()).toBe(false);
  await save.click();

  await chartReady(page);
  expect(new URL(page.url()).searchParams.get('d')).toBe('lab');
  expect(await page.locator('[data-metric]').evaluateAll((els) => els.map((e) => e.getAttribute('data-metric')))).toEqual(['bytes', 'messages', 'errorRate']);
  const legend = await page.locator('[data-metric="bytes"] .u-legend').innerText();
  expect(legend).toContain('pi-lab-01 reader');
  expect(legend).toContain('pi-lab-02 writer');

  // Delete asks first; Cancel keeps the dashboard.
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('button', { name: 'Delete' }).click();
  const dialog = page.getByRole('dialog');
  await see(dialog).toContainText('Delete the dashboard “lab”?');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('link', { name: 'Live' }).click();
  await chartReady(page);
  // A bookmark of the original viewer (/viewer/<index>) opens the same dashboard.
  await page.goto(`${f.preview.url}/viewer/1`);
  await chartReady(page);
  expect(new URL(page.url()).searchParams.get('d')).toBe('lab');
  expect(problems).toEqual([]);
  await context.close();
});

test('upload inserts, then asks before overwriting; the default config cannot be overwritten', async () => {
  const { page, context, problems } = await openContext(f, { dashboards: [dashboard('upload-lab', ['pi-lab-01', 'pi-lab-02'], (d) => (d.live.window = '6h'))] });
  const configOf = async (name: string) => (await f.pool.query('SELECT comment, config FROM viewer_config WHERE name = $1', [name])).rows[0];

  await page.goto(`${f.preview.url}/?view=upload&d=upload-lab`);
  await see(page.locator('main')).toContainText('New name: it will be added.');
  await page.getByLabel('Comment').fill('first');
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await see(page.locator('main h1')).toContainText('Settings');
  const inserted = await configOf('upload-lab');
  expect(inserted.comment).toBe('first');
  // Original keys stay readable by the original viewer; ours ride along.
  expect(inserted.config.perftool).toMatchObject({ name: 'pi-lab-01', publishers: ['pi-lab-01', 'pi-lab-02'], visible: true });
  expect(inserted.config.live).toEqual({ window: '6h', refresh: '30s' });
  expect(inserted.config).not.toHaveProperty('name');

  // Second upload of the same name: confirmation; Cancel changes nothing, OK overwrites.
  await page.getByRole('button', { name: 'Upload to server' }).click();
  await see(page.locator('main')).toContainText('Already on the server');
  await page.getByLabel('Comment').fill('second');
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  const dialog = page.getByRole('dialog');
  await see(dialog).toContainText('Overwrite the server settings “upload-lab”?');
  await shot(page, 'upload-confirm');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  expect((await configOf('upload-lab')).comment).toBe('first');
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Overwrite' }).click();
  await see(page.locator('main h1')).toContainText('Settings');
  expect((await configOf('upload-lab')).comment).toBe('second');

  // `default` is protected by the anonymous role's update filter: said up front, and Upload is not offered.
  const before = await configOf('default');
  await page.getByRole('button', { name: 'Upload to server' }).click();
  await page.getByLabel('Name on the server').fill('default');
  await see(page.locator('main')).toContainText('“default” is read-only on the server: choose another name.');
  expect(await page.getByRole('button', { name: 'Upload', exact: true }).isDisabled()).toBe(true);
  expect(await page.getByRole('dialog').count()).toBe(0);
  expect(await configOf('default')).toEqual(before);
  expect(problems).toEqual([]);
  await context.close();
});

test("download: a config written by the original viewer loads; chosen groups, a preview of changes, then Save", async () => {
  // Exactly what the original's upload stored (partial V1: single perftool name, tick/speed playback).
  await f.pool.query('INSERT INTO viewer_config (name, comment, config) VALUES ($1, $2, $3)', [
    'from-original',
    'written by sensor-viewer',
    JSON.stringify({
      perftool: { name: 'pi-lab-02', visible: true },
      player: { from: '2026-11-01 10:00', to: '2026-11-01 12:00', tick: 1200, speed: 10, repeat: false },
      layout: { template: 'vertical' },
      chart: { minSize: { width: 310, height: 250 }, line: { enabled: true, size: 1 }, point: { enabled: true, size: 2 } },
      android: { publisher: '', map: false, lte: false, sensors: [] },
    }),
  ]);
  const { page, context, problems } = await openContext(f, { dashboards: [dashboard('mine', ['pi-lab-01'])] });
  await page.goto(`${f.preview.url}/?view=settings&d=mine`);
  await page.getByRole('button', { name: 'Download from server' }).click();
  await page.getByLabel('Server settings').selectOption({ label: 'from-original' });
  await see(page.locator('main')).toContainText('written by sensor-viewer');
  // Every group that differs is ticked (perftool, playback, layout); chart options equal ours, so not ticked.
  expect(await page.getByLabel('Perftool (publishers, metrics, visible)').isChecked()).toBe(true);
  expect(await page.getByLabel('Playback (range, speed, repeat)').isChecked()).toBe(true);
  expect(await page.getByLabel('Layout').isChecked()).toBe(true);
  expect(await page.getByLabel('Chart options').isChecked()).toBe(false);
  const changes = page.locator('.changes');
  await see(changes).toContainText('perftool.publishers');
  await see(changes).toContainText('["pi-lab-02"]');
  await see(changes).toContainText('layout.template');
  await see(changes).toContainText('"vertical"');
  await shot(page, 'download');
  await page.getByRole('button', { name: 'Apply to the form' }).click();
  await see(page.getByRole('status').filter({ hasText: 'applied to this form' })).toBeVisible();
  expect(await page.getByLabel('pi-lab-02', { exact: true }).isChecked()).toBe(true);
  expect(await page.getByLabel('pi-lab-01', { exact: true }).isChecked()).toBe(false);
  expect(await page.getByLabel('One column', { exact: true }).isChecked()).toBe(true);
  // Nothing is stored until Save.
  expect(await page.evaluate("JSON.parse(localStorage.getItem('perftool-viewer')).dashboards[0].perftool.publishers")).toEqual(['pi-lab-01']);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await chartReady(page);
  expect(await page.evaluate("JSON.parse(localStorage.getItem('perftool-viewer')).dashboards[0].perftool.publishers")).toEqual(['pi-lab-02']);
  expect(problems).toEqual([]);
  await context.close();
});

test('playback: load a range, step through results, play and pause, scrub', async () => {
  const to = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
  const from = to - 3_600_000;
  const { page, context, problems } = await openContext(f, { dashboards: [dashboard('lab', ['pi-lab-01'])] });
  const requests = recordRequests(page);
  await page.goto(`${f.preview.url}/?view=play&d=lab&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`);
  await chartReady(page);
  const position = page.getByTestId('position');
  const pos = async () => Number(await position.getAttribute('data-time'));
  expect(await pos()).toBe(from);
  // One read for the whole range, raw results for an hour.
  const reads = requests.filter((r) => r.query.includes('query Results'));
  expect(reads).toHaveLength(1);
  expect(reads[0].query).toContain('rows: perftool(');

  await page.getByRole('button', { name: 'Next result' }).click();
  const first = await pos();
  expect(first).toBeGreaterThan(from);
  expect(first).toBeLessThan(from + 2 * 60_000);
  await page.getByRole('button', { name: 'Next result' }).click();
  const second = await pos();
  expect(second - first).toBeGreaterThan(30_000); // one result a minute
  await page.getByRole('button', { name: 'Previous result' }).click();
  expect(await pos()).toBe(first);

  await page.getByLabel('Speed').selectOption('600');
  await page.getByRole('button', { name: 'Play' }).click();
  await waitForPage(page, `Number(document.querySelector('[data-testid="position"]').dataset.time) > ${first + 5 * 60_000}`);
  await page.getByRole('button', { name: 'Pause' }).click();
  const paused = await pos();
  await page.waitForTimeout(300);
  expect(await pos()).toBe(paused);
  await shot(page, 'playback');

  await page.getByLabel('Position').fill('500'); // scrub to the middle
  expect(Math.abs((await pos()) - (from + to) / 2)).toBeLessThan(10_000);
  expect(problems).toEqual([]);
  await context.close();
});

test('playback: a second "Load range" while the first read is in flight wins', async () => {
  const to = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
  const from = to - 3_600_000;
  const { page, context, problems } = await openContext(f, { dashboards: [dashboard('lab', ['pi-lab-01'])] });
  const hold = await holdFirstResultsRead(page);
  await page.goto(`${f.preview.url}/?view=play&d=lab&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`);
  await hold.started;
  // A 2-hour range (the browser runs in UTC, so datetime-local is UTC).
  await page.getByLabel('From', { exact: true }).fill(new Date(from - 3_600_000).toISOString().slice(0, 16));
  await page.getByRole('button', { name: 'Load range' }).click();
  const range = `document.querySelector('[data-metric="bytes"]').dataset.xRange`;
  const want = `${(from - 3_600_000) / 1000},${to / 1000}`;
  await waitForPage(page, `document.querySelector('[data-metric="bytes"][data-chart-state="ready"]') && ${range} === ${JSON.stringify(want)}`);
  await hold.release();
  expect(await page.evaluate(range)).toBe(want);
  expect(Number(await page.getByTestId('position').getAttribute('data-time'))).toBe(from - 3_600_000);
  expect(problems).toEqual([]);
  await context.close();
});
