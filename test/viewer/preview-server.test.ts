/** The preview's HTTP side: static files with the viewer's CSP, client routes, and clear answers to bad requests. */
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { applyMigrations } from '../../lambda/db-init/migrate';
import { Preview, startPreview, VIEWER_CSP } from '../../lib/preview';
import { createTestDatabase, TestDatabase } from '../support/postgres';

let db: TestDatabase;
let preview: Preview;
let assets: string;

beforeAll(async () => {
  db = await createTestDatabase('previewhttp');
  const c = new Client(db.config);
  await c.connect();
  await applyMigrations(c, { defaultPerftoolName: 'target-x' });
  await c.end();
  // A stand-in build keeps this test independent of Vite.
  assets = mkdtempSync(join(tmpdir(), 'preview-assets-'));
  mkdirSync(join(assets, 'assets'));
  writeFileSync(join(assets, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(assets, 'assets', 'app-abc.js'), 'console.log(1)');
  preview = await startPreview({ port: 0, database: db.config, assetsDir: assets });
});

afterAll(async () => {
  await preview?.close();
  await db.drop();
  rmSync(assets, { recursive: true, force: true });
});

function rawGet(path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(preview.url);
  return new Promise((resolve, reject) => {
    request({ host: hostname, port, path }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

/** Hasura-style response body. */
const json = async (r: Response) => (await r.json()) as { data?: any; errors: Array<{ message: string; extensions: { code: string } }> };

const get = (path: string) => fetch(`${preview.url}${path}`);
const post = (body: string) => fetch(`${preview.url}/v1/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

test('the app and its assets are served with the CSP the viewer is built for', async () => {
  const index = await get('/');
  expect(index.status).toBe(200);
  expect(index.headers.get('content-security-policy')).toBe(VIEWER_CSP);
  expect(VIEWER_CSP).toContain("script-src 'self'");
  expect(VIEWER_CSP).toContain("style-src 'self';");
  expect(await index.text()).toContain('<title>app</title>');
  const js = await get('/assets/app-abc.js');
  expect(js.headers.get('content-type')).toMatch(/javascript/);
  expect(js.headers.get('cache-control')).toContain('immutable');
});

test('client routes get the app; missing files and escapes do not', async () => {
  expect(await (await get('/viewer/0')).text()).toContain('<title>app</title>');
  expect((await get('/assets/missing.js')).status).toBe(404);
  // Sent verbatim (fetch would resolve the dots itself): an encoded escape from the assets directory.
  const escape = await rawGet('/assets/..%2F..%2Fpackage.json');
  expect([400, 404]).toContain(escape.status);
  expect(escape.body).not.toContain('perftool-server-cdk');
});

test('GraphQL: the seeded default config is readable; bad requests get clear errors', async () => {
  const ok = await post(JSON.stringify({ query: '{ viewer_config { name config } }' }));
  expect((await json(ok)).data.viewer_config).toEqual([{ name: 'default', config: expect.objectContaining({ perftool: { name: 'target-x', visible: true } }) }]);

  const notJson = await post('{nope');
  expect(notJson.status).toBe(400);
  expect((await json(notJson)).errors[0].message).toMatch(/invalid request body/);

  const wrongMethod = await get('/v1/graphql');
  expect(wrongMethod.status).toBe(405);

  const subscription = await post(JSON.stringify({ query: 'subscription { perftool { timestamp } }' }));
  expect((await json(subscription)).errors[0].extensions.code).toBe('not-supported');

  const huge = await post(JSON.stringify({ query: `{ viewer_config { name } } # ${'x'.repeat(1_100_000)}` }));
  expect(huge.status).toBe(413);
  expect((await json(huge)).errors[0].message).toMatch(/larger than/);
});
