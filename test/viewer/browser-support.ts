/** Browser tests: headless Debian Chromium against the local preview on this run's PostgreSQL. */
import { Browser, BrowserContext, chromium, Locator, Page, Request } from 'playwright-core';
import { join } from 'node:path';
import { Pool } from 'pg';
import { startPreview, Preview } from '../../lib/preview';
import { ingestRecords } from '../../lib/preview/seed';
import { DEFAULT_PUBLISHERS, seededRandom, syntheticResult, toMskRecord } from '../../lib/preview/synthetic';
import type { Dashboard } from '../../viewer-assets/src/model/dashboard';
import { defaultDashboard } from '../../viewer-assets/src/model/dashboard';
import { createTestDatabase, TestDatabase } from '../support/postgres';
import { requireProgram } from '../support/prerequisites';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function launchChromium(): Promise<Browser> {
  requireProgram('/usr/bin/chromium', 'Chromium (the browser tests need it)', 'sudo apt-get install -y chromium');
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

export interface Fixture {
  preview: Preview;
  db: TestDatabase;
  pool: Pool;
  browser: Browser;
  close(): Promise<void>;
}

/** A preview seeded through the real sink with `days` of history (no live generator: tests ingest themselves). */
export async function startFixture(days: number): Promise<Fixture> {
  const db = await createTestDatabase('viewer');
  const preview = await startPreview({ port: 0, database: db.config, seed: { days, liveIntervalMs: 0 } });
  const pool = new Pool(db.config);
  const browser = await launchChromium();
  return {
    preview,
    db,
    pool,
    browser,
    async close() {
      await browser.close();
      await preview.close();
      await pool.end();
      await db.drop();
    },
  };
}

/** A fresh browser profile (empty localStorage), optionally holding dashboards, with CSP violations collected. */
export async function openContext(f: Fixture, options: { dashboards?: Dashboard[]; locale?: string; width?: number; height?: number; timezoneId?: string } = {}): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await f.browser.newContext({ locale: options.locale ?? 'en-US', viewport: { width: options.width ?? 1280, height: options.height ?? 900 }, timezoneId: options.timezoneId ?? 'UTC', acceptDownloads: true });
  if (options.dashboards) {
    const store = JSON.stringify({ version: 2, dashboards: options.dashboards });
    // A script string: this tsconfig has no DOM types, and the code runs in the page anyway.
    await context.addInitScript({ content: `if (!localStorage.getItem('perftool-viewer')) localStorage.setItem('perftool-viewer', ${JSON.stringify(store)});` });
  }
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  return { context, page, problems };
}

export function dashboard(name: string, publishers: string[], patch: (d: Dashboard) => void = () => undefined): Dashboard {
  const d = defaultDashboard(name);
  d.perftool.publishers = publishers;
  d.perftool.name = publishers[0] ?? '';
  patch(d);
  return d;
}

/** Ingests one result through the sink, with a recognisable writer throughput. */
export async function ingestResult(pool: Pool, publisher: string, tMs: number, writerBytesRate: number): Promise<void> {
  const profile = DEFAULT_PUBLISHERS.find((p) => p.name === publisher) ?? { name: publisher, bytesRate: 100_000 };
  const result = syntheticResult(profile, tMs, tMs, seededRandom(7));
  (result.writer as Record<string, number>).msg_bytes_rate = writerBytesRate;
  await ingestRecords(pool, [toMskRecord(result, tMs, tMs * 16 + 15)]);
}

/** The variables of every GraphQL request the page sends, by root field. */
export function recordRequests(page: Page): Array<{ query: string; variables: Record<string, unknown> }> {
  const seen: Array<{ query: string; variables: Record<string, unknown> }> = [];
  page.on('request', (req) => {
    if (!req.url().endsWith('/v1/graphql')) return;
    const body = req.postDataJSON() as { query: string; variables: Record<string, unknown> };
    seen.push({ query: body.query, variables: body.variables ?? {} });
  });
  return seen;
}

export const chartReady = (page: Page, metric = 'bytes') => page.locator(`[data-metric="${metric}"][data-chart-state="ready"]`).waitFor({ timeout: 20_000 });

/** Waits (up to 15 s) for a locator to show something; jest's expect cannot poll the page. */
export function see(locator: Locator) {
  const poll = async (check: () => Promise<boolean>, describe: () => Promise<string>) => {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (await check().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(await describe());
  };
  const text = async () => (await locator.innerText()).trim();
  const got = async () => text().catch(() => '(no element)');
  return {
    toHaveText: (want: string) => poll(async () => (await text()) === want, async () => `expected text "${want}", got "${await got()}"`),
    toContainText: (want: string) => poll(async () => (await text()).includes(want), async () => `expected text containing "${want}", got "${await got()}"`),
    toBeVisible: () => poll(() => locator.isVisible(), async () => 'expected the element to be visible'),
  };
}

/**
 * Waits until a JavaScript expression is true in the page. Polled with `evaluate` from here, because the page's
 * CSP (no 'unsafe-eval') refuses Playwright's in-page string predicates.
 */
export async function waitForPage(page: Page, expression: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${expression}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const SCREENSHOT_DIR = join(__dirname, '..', '..', 'docs', 'screenshots');

/** With SCREENSHOTS=1, saves the page as docs/screenshots/<name>.png (the README shows them). */
export async function shot(page: Page, name: string): Promise<void> {
  if (process.env.SCREENSHOTS === '1') await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
}

/**
 * Holds the page's first `Results` read until `release()`: lets a test change the window (or range) while a read
 * is in flight. `release()` resolves once the held read has landed and the page had time to handle it.
 */
export async function holdFirstResultsRead(page: Page): Promise<{ started: Promise<void>; release(): Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let started!: () => void;
  const startedPromise = new Promise<void>((r) => (started = r));
  let held: Request | null = null;
  await page.route('**/v1/graphql', async (route) => {
    const body = route.request().postDataJSON() as { query?: string } | null;
    if (!held && body?.query?.includes('query Results')) {
      held = route.request();
      started();
      await released;
    }
    await route.continue();
  });
  return {
    started: startedPromise,
    async release() {
      const done = page.waitForEvent('requestfinished', (r) => r === held);
      release();
      await done;
      // Let the page parse and handle the late response before the test looks.
      await page.evaluate('new Promise((r) => setTimeout(r, 500))');
    },
  };
}
