/**
 * The preview's HTTP side: static files with the viewer's CSP, client routes, clear answers to bad requests, and
 * a safe neighbour on a shared machine (no cross-site or rebound-DNS requests, allow-listed GraphQL only, the same
 * security headers everywhere, a busy port reported at once).
 */
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { applyMigrations } from '../../lambda/db-init/migrate';
import { Preview, SECURITY_HEADERS, startPreview, VIEWER_CSP } from '../../lib/preview';
import { privateCacheDir } from '../../lib/preview/build-viewer';
import { assertPortFree, PortInUse } from '../../lib/preview/port';
import { CONFIG_BY_NAME, INSERT_CONFIG } from '../../viewer-assets/src/api/operations';
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

/** A request exactly as given (fetch would fix the path and refuse to set Host). */
function raw(path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const { hostname, port } = new URL(preview.url);
  return new Promise((resolve, reject) => {
    request({ host: hostname, port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    })
      .on('error', reject)
      .end(options.body);
  });
}
const rawGet = (path: string) => raw(path);
const configCount = async () => {
  const c = new Client(db.config);
  await c.connect();
  try {
    return (await c.query('SELECT count(*)::int AS n FROM viewer_config')).rows[0].n as number;
  } finally {
    await c.end();
  }
};

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
  const ok = await post(JSON.stringify({ query: CONFIG_BY_NAME, variables: { name: 'default' } }));
  expect((await json(ok)).data.viewer_config).toEqual([expect.objectContaining({ name: 'default', config: expect.objectContaining({ perftool: { name: 'target-x', visible: true } }) })]);

  const notJson = await post('{nope');
  expect(notJson.status).toBe(400);
  expect((await json(notJson)).errors[0].message).toBe('invalid JSON in the request body');

  const wrongMethod = await get('/v1/graphql');
  expect(wrongMethod.status).toBe(405);

  const huge = await post(JSON.stringify({ query: `{ viewer_config { name } } # ${'x'.repeat(1_100_000)}` }));
  expect(huge.status).toBe(413);
  expect((await json(huge)).errors[0].message).toMatch(/larger than/);
});

test('GraphQL runs only allow-listed documents: introspection, subscriptions and alias floods are refused', async () => {
  const refused = { errors: [{ message: 'query is not allowed', extensions: { path: '$', code: 'validation-failed' } }] };
  const flood = `{ ${Array.from({ length: 700 }, (_, i) => `a${i}: perftool(limit: 20000) { timestamp }`).join(' ')} }`;
  for (const query of ['{ __schema { types { name } } }', 'subscription { perftool { timestamp } }', flood, '{ viewer_config { name config } }']) {
    const r = await post(JSON.stringify({ query }));
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual(refused);
  }
});

test('requests a web page on another site, or a rebound DNS name, could make a browser send are refused', async () => {
  const before = await configCount();
  const insert = JSON.stringify({ query: INSERT_CONFIG, variables: { object: { name: 'planted', config: {} } } });
  const host = new URL(preview.url).host;
  // a "simple" cross-site POST (no preflight): text/plain, from any page
  const plain = await raw('/v1/graphql', { method: 'POST', headers: { host, 'content-type': 'text/plain', origin: 'https://evil.example' }, body: insert });
  expect(plain.status).toBe(403);
  const plainSameOrigin = await raw('/v1/graphql', { method: 'POST', headers: { host, 'content-type': 'text/plain' }, body: insert });
  expect(plainSameOrigin.status).toBe(415);
  const crossOrigin = await raw('/v1/graphql', { method: 'POST', headers: { host, 'content-type': 'application/json', origin: 'http://evil.example' }, body: insert });
  expect(crossOrigin.status).toBe(403);
  // DNS rebinding: the attacker's name resolves to 127.0.0.1, so the browser sends it as Host (and as Origin)
  const rebound = await raw('/v1/graphql', { method: 'POST', headers: { host: `evil.example:${new URL(preview.url).port}`, 'content-type': 'application/json' }, body: insert });
  expect(rebound.status).toBe(403);
  expect((await raw('/', { headers: { host: 'evil.example' } })).status).toBe(403);
  expect(await configCount()).toBe(before);
  // the preview's own page, under each loopback name
  const own = await raw('/v1/graphql', { method: 'POST', headers: { host, 'content-type': 'application/json; charset=utf-8', origin: preview.url }, body: JSON.stringify({ query: CONFIG_BY_NAME, variables: { name: 'default' } }) });
  expect(own.status).toBe(200);
  expect((await raw('/', { headers: { host: `localhost:${new URL(preview.url).port}` } })).status).toBe(200);
});

test('malformed paths answer 400 without internals, and every response carries the same security headers', async () => {
  const bad = await rawGet('/%E0%A4%A');
  expect(bad).toMatchObject({ status: 400, body: 'bad path' });
  const nul = await rawGet('/assets/a%00.js');
  expect(nul.status).toBe(400);
  const host = new URL(preview.url).host;
  const answers = [
    await raw('/'),
    await raw('/assets/app-abc.js'),
    await raw('/assets/missing.js'),
    bad,
    await raw('/v1/graphql'),
    await raw('/v1/graphql', { method: 'POST', headers: { host, 'content-type': 'application/json' }, body: '{nope' }),
    await raw('/v1/graphql', { method: 'POST', headers: { host, 'content-type': 'text/plain' }, body: '{}' }),
    await raw('/', { headers: { host: 'evil.example' } }),
    await raw('/', { method: 'DELETE' }),
  ];
  expect(answers.map((a) => a.status)).toEqual([200, 200, 404, 400, 405, 400, 415, 403, 405]);
  for (const a of answers) {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect({ status: a.status, name, value: a.headers[name] }).toEqual({ status: a.status, name, value });
  }
});

test('a busy port is reported at once in one line that says how to choose another', async () => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const port = (busy.address() as { port: number }).port;
  try {
    const expected = `port ${port} on 127.0.0.1 is already in use; choose another with PORT, e.g. PORT=${port + 1} npm start`;
    await expect(assertPortFree('127.0.0.1', port)).rejects.toThrow(new PortInUse(expected));
    await expect(startPreview({ port, database: db.config, assetsDir: assets })).rejects.toThrow(expected);
  } finally {
    await new Promise<void>((r) => busy.close(() => r()));
  }
  await expect(assertPortFree('127.0.0.1', port)).resolves.toBeUndefined();
});

test("the viewer build cache is a folder only this user can write, and someone else's is refused", () => {
  const parent = mkdtempSync(join(tmpdir(), 'cache-parent-'));
  try {
    const dir = privateCacheDir(parent);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(privateCacheDir(parent)).toBe(dir);
    // planted (or opened up): group/world access means someone else could have put files there
    chmodSync(dir, 0o777);
    expect(() => privateCacheDir(parent)).toThrow(/is not a private directory of this user/);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test("`npm start`'s embedded PostgreSQL superuser has a random password, so other local users cannot log in as it", () => {
  // Under tsx like `npm start` (the package is ESM-only): start it, try the old fixed password, print what happened.
  const script = `
    import { Client } from 'pg';
    import { startEmbeddedPostgres } from './lib/dev/embedded-postgres';
    (async () => {
      const pg = await startEmbeddedPostgres();
      try {
        const { config } = await pg.createDatabase('probe');
        const guess = new Client({ ...config, password: 'bench' });
        const refused = await guess.connect().then(() => 'accepted', (e) => e.code);
        await guess.end().catch(() => undefined);
        console.log(JSON.stringify({ longEnough: String(config.password).length >= 16, refused }));
      } finally {
        await pg.stop();
      }
    })();`;
  const run = spawnSync(process.execPath, [join(__dirname, '..', '..', 'node_modules', 'tsx', 'dist', 'cli.mjs'), '-e', script], { cwd: join(__dirname, '..', '..'), encoding: 'utf8', timeout: 110_000 });
  const result = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}');
  expect(result).toEqual({ longEnough: true, refused: '28P01' });
});
