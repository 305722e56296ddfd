import { readFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { applyMetadata } from '../../lambda/hasura-metadata/apply';
import { VIEWER_COLLECTION, withViewerOperations } from '../../lib/hasura/allow-list';
import { METADATA_FILE, renderMetadata } from '../../lib/hasura/generate-metadata';
import { HASURA_ENVIRONMENT } from '../../lib/hasura-env';
import { ALL_OPERATIONS } from '../../viewer-assets/src/api/operations';

const METADATA = JSON.parse(readFileSync(join(__dirname, '..', '..', 'lib', 'hasura', 'metadata.json'), 'utf8'));
const SECRET = 'test-admin-secret';

/** A small HTTP stand-in for Hasura's metadata API, with scripted answers. */
class FakeHasura {
  server!: Server;
  url = '';
  requests: Array<{ type: string; body: Record<string, unknown> }> = [];
  unavailableFor = 0;
  answer: (type: string) => { status: number; body: unknown } = (type) =>
    type === 'get_inconsistent_metadata' ? { status: 200, body: { is_consistent: true, inconsistent_objects: [] } } : { status: 200, body: { message: 'success' } };

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let data = '';
      req.on('data', (d) => (data += d));
      req.on('end', () => {
        const reply = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (this.unavailableFor > 0) {
          this.unavailableFor--;
          return reply(503, { error: 'starting' });
        }
        if (req.headers['x-hasura-admin-secret'] !== SECRET) return reply(401, { error: 'invalid x-hasura-admin-secret/x-hasura-access-key', code: 'access-denied' });
        const body = JSON.parse(data);
        this.requests.push({ type: body.type, body });
        const a = this.answer(body.type);
        reply(a.status, a.body);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

const retry = (budgetMs = 60_000) => {
  const sleeps: number[] = [];
  let now = 0;
  return { sleeps, opts: { deadline: budgetMs, delayMs: 10_000, now: () => now, sleep: async (ms: number) => { sleeps.push(ms); now += ms; } } };
};

let hasura: FakeHasura;
beforeEach(async () => {
  hasura = new FakeHasura();
  await hasura.start();
});
afterEach(() => hasura.stop());

describe('applyMetadata', () => {
  test('replaces the metadata with the reviewed file, reloads, and checks consistency', async () => {
    const r = retry();
    await expect(applyMetadata({ url: hasura.url, adminSecret: SECRET }, METADATA, r.opts)).resolves.toEqual({ inconsistentObjects: 0 });
    expect(hasura.requests.map((q) => q.type)).toEqual(['replace_metadata', 'reload_metadata', 'get_inconsistent_metadata']);
    expect(hasura.requests[0].body).toEqual({ type: 'replace_metadata', version: 2, args: { allow_inconsistent_metadata: false, metadata: METADATA } });
    expect(r.sleeps).toEqual([]);
  });

  test('waits while Hasura is still starting (503), then applies', async () => {
    hasura.unavailableFor = 3;
    const r = retry();
    await applyMetadata({ url: hasura.url, adminSecret: SECRET }, METADATA, r.opts);
    expect(r.sleeps).toEqual([10_000, 10_000, 10_000]);
    expect(hasura.requests[0].type).toBe('replace_metadata');
  });

  test('retries when nothing listens yet and gives up at the deadline with the reason', async () => {
    const closed = hasura.url;
    await hasura.stop();
    hasura = new FakeHasura();
    await hasura.start(); // a fresh server for afterEach; `closed` now refuses connections
    const r = retry(25_000);
    await expect(applyMetadata({ url: closed, adminSecret: SECRET }, METADATA, r.opts)).rejects.toThrow(/replace_metadata: still failing after 3 attempts.*Hasura unreachable/);
  });

  test('metadata Hasura rejects fails at once with Hasura\'s explanation (no retry)', async () => {
    hasura.answer = (type) =>
      type === 'replace_metadata'
        ? { status: 400, body: { error: 'no such table/view exists in source: "perftool_1min"', code: 'invalid-configuration' } }
        : { status: 200, body: { is_consistent: true } };
    const r = retry();
    await expect(applyMetadata({ url: hasura.url, adminSecret: SECRET }, METADATA, r.opts)).rejects.toThrow(/rejected replace_metadata with 400.*perftool_1min/);
    expect(r.sleeps).toEqual([]);
    expect(hasura.requests).toHaveLength(1);
  });

  test('a wrong admin secret is reported, not retried', async () => {
    await expect(applyMetadata({ url: hasura.url, adminSecret: 'wrong' }, METADATA, retry().opts)).rejects.toThrow(/401.*access-denied/);
  });

  test('inconsistent metadata after the reload fails the deployment listing the objects', async () => {
    hasura.answer = (type) =>
      type === 'get_inconsistent_metadata'
        ? { status: 200, body: { is_consistent: false, inconsistent_objects: [{ type: 'table', name: 'perftool_2min', reason: 'Inconsistent object: no such table' }] } }
        : { status: 200, body: { message: 'success' } };
    await expect(applyMetadata({ url: hasura.url, adminSecret: SECRET }, METADATA, retry().opts)).rejects.toThrow(
      'Hasura metadata is inconsistent after apply: table perftool_2min: Inconsistent object: no such table',
    );
  });
});

describe('lib/hasura/metadata.json (the reviewed API surface)', () => {
  const tables = METADATA.sources[0].tables as Array<{
    table: { name: string };
    select_permissions?: Array<{ role: string; permission: { limit?: number; columns: string[] } }>;
    insert_permissions?: Array<{ role: string }>;
    update_permissions?: Array<{ role: string; permission: { filter: unknown; check: unknown } }>;
    delete_permissions?: unknown[];
  }>;
  const byName = Object.fromEntries(tables.map((t) => [t.table.name, t]));

  test('tracks exactly the SPEC tables and views', () => {
    expect(Object.keys(byName).sort()).toEqual(
      ['perftool', 'perftool_10min', 'perftool_1hour', 'perftool_1min', 'perftool_2min', 'perftool_30sec', 'perftool_publishers', 'perftool_publisher_health', 'perftool_rejections_24h', 'viewer_config'].sort(),
    );
  });

  test('every bucket view is exposed alike: the same columns and row limit for the anonymous role only', () => {
    const views = ['perftool_30sec', 'perftool_1min', 'perftool_2min', 'perftool_10min', 'perftool_1hour'];
    for (const view of views) expect({ view, select: byName[view].select_permissions }).toEqual({ view, select: byName.perftool_10min.select_permissions });
  });

  test('every anonymous select has a row limit and nobody may delete', () => {
    for (const t of tables) {
      for (const p of t.select_permissions ?? []) expect(p.permission.limit).toBeGreaterThan(0);
      expect(t.delete_permissions ?? []).toEqual([]);
    }
  });

  test('only viewer_config is writable, and the default row cannot be updated', () => {
    const writable = tables.filter((t) => t.insert_permissions?.length || t.update_permissions?.length).map((t) => t.table.name);
    expect(writable).toEqual(['viewer_config']);
    const update = byName.viewer_config.update_permissions![0].permission;
    expect(update.filter).toEqual({ name: { _neq: 'default' } });
    expect(update.check).toEqual({ name: { _neq: 'default' } });
  });

  test('the source connects through the environment (no credentials in the file) with a capped pool', () => {
    const conn = METADATA.sources[0].configuration.connection_info;
    expect(conn.database_url).toEqual({ from_env: 'HASURA_GRAPHQL_DATABASE_URL' });
    expect(conn.pool_settings.max_connections).toBeLessThanOrEqual(10);
  });
});

describe('allow-list and root fields: derived from the viewer operations (npx tsx lib/hasura/generate-metadata.ts)', () => {
  test('metadata.json is exactly what the generator makes of the current viewer operations', () => {
    // Fails when viewer-assets/src/api/operations.ts and the metadata drift apart: regenerate, review, commit.
    expect(readFileSync(METADATA_FILE, 'utf8')).toBe(renderMetadata(METADATA, ALL_OPERATIONS));
  });

  test('the only allow-listed collection holds the viewer operations, text for text, for every role', () => {
    expect(METADATA.allowlist).toEqual([{ collection: VIEWER_COLLECTION, scope: { global: true } }]);
    expect(METADATA.query_collections).toHaveLength(1);
    const queries = METADATA.query_collections[0].definition.queries as Array<{ name: string; query: string }>;
    expect(Object.fromEntries(queries.map((q) => [q.name, q.query]))).toEqual(ALL_OPERATIONS);
    expect(HASURA_ENVIRONMENT.HASURA_GRAPHQL_ENABLE_ALLOWLIST).toBe('true');
  });

  test('anonymous select permissions expose only the root fields the viewer queries, and no subscriptions', () => {
    const fields = Object.fromEntries(
      (METADATA.sources[0].tables as Array<{ table: { name: string }; select_permissions: Array<{ permission: Record<string, unknown> }> }>).map((t) => [
        t.table.name,
        [t.select_permissions[0].permission.query_root_fields, t.select_permissions[0].permission.subscription_root_fields],
      ]),
    );
    expect(fields.viewer_config).toEqual([['select', 'select_by_pk'], []]);
    expect(fields.perftool).toEqual([['select'], []]);
    for (const [table, [query, subscription]] of Object.entries(fields)) {
      expect({ table, subscription }).toEqual({ table, subscription: [] });
      expect({ table, aggregate: (query as string[]).includes('select_aggregate') }).toEqual({ table, aggregate: false });
    }
  });

  test('a new viewer operation extends the collection and the root fields it needs; an unknown root field is an error', () => {
    const extended = withViewerOperations(METADATA, {
      ...ALL_OPERATIONS,
      PUBLISHER_COUNT: 'query PublisherCount { perftool_publishers_aggregate { aggregate { count } } }',
      LIVE: 'subscription Live { perftool_publishers { publisher } }',
    });
    const perm = extended.sources[0].tables.find((t) => t.table.name === 'perftool_publishers')!.select_permissions![0].permission;
    expect([perm.query_root_fields, perm.subscription_root_fields]).toEqual([['select', 'select_aggregate'], ['select']]);
    expect(extended.query_collections![0].definition.queries.map((q) => q.name)).toContain('PUBLISHER_COUNT');
    const unused = withViewerOperations(METADATA, { CONFIG_NAMES: ALL_OPERATIONS.CONFIG_NAMES });
    expect(unused.sources[0].tables.find((t) => t.table.name === 'perftool')!.select_permissions![0].permission.query_root_fields).toEqual([]);
    expect(() => withViewerOperations(METADATA, { BAD: '{ perftool_message { msg } }' })).toThrow(/BAD: root field perftool_message/);
  });
});
