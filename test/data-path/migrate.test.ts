import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { applyMigrations, defaultViewerConfig } from '../../lambda/db-init/migrate';
import { handler } from '../../lambda/db-init/index';
import { MIGRATIONS } from '../../lambda/db-init/migrations.generated';
import { readMigrationFiles, renderMigrationsModule, GENERATED_MODULE_PATH } from '../../lambda/db-init/generate-migrations';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { withEnv } from './helpers';

const CONTRACT_METRICS = [
  'reader_bytes_rate', 'writer_bytes_rate', 'reader_count_rate', 'writer_count_rate',
  'reader_error_rate', 'writer_error_rate', 'reader_error_count', 'writer_error_count',
];

async function open(db: TestDatabase): Promise<Client> {
  const c = new Client(db.config);
  await c.connect();
  return c;
}

/** Everything that makes up the schema, as text, to compare two states. */
async function schemaSnapshot(c: Client): Promise<string> {
  const cols = await c.query(`SELECT table_name, column_name, data_type, is_nullable, column_default
    FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`);
  const idx = await c.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`);
  const views = await c.query(`SELECT viewname, definition FROM pg_views WHERE schemaname = 'public' ORDER BY viewname`);
  const cons = await c.query(`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace ORDER BY conname`);
  return JSON.stringify([cols.rows, idx.rows, views.rows, cons.rows]);
}

async function columnTypes(c: Client, table: string): Promise<Record<string, string>> {
  const r = await c.query(`SELECT column_name, data_type FROM information_schema.columns
    WHERE table_schema = 'public' AND table_name = $1`, [table]);
  return Object.fromEntries(r.rows.map((row) => [row.column_name, row.data_type]));
}

describe('applyMigrations on a real PostgreSQL', () => {
  let db: TestDatabase;
  let c: Client;
  beforeAll(async () => {
    db = await createTestDatabase('mig');
    c = await open(db);
  });
  afterAll(async () => {
    await c.end();
    await db.drop();
  });

  test('a fresh database gets every migration and the default viewer_config', async () => {
    const r = await applyMigrations(c, { defaultPerftoolName: 'perftool-sinetstream-target' });
    expect(r.applied).toEqual(MIGRATIONS.map((m) => m.name));
    expect(r.schemaVersion).toBe(MIGRATIONS.length);
    const versions = await c.query('SELECT version, name FROM schema_migrations ORDER BY version');
    expect(versions.rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    const cfg = await c.query(`SELECT comment, config FROM viewer_config WHERE name = 'default'`);
    expect(cfg.rows).toEqual([{ comment: null, config: defaultViewerConfig('perftool-sinetstream-target') }]);
    expect(cfg.rows[0].config.perftool).toEqual({ name: 'perftool-sinetstream-target', visible: true });
    expect(cfg.rows[0].config.android.sensors).toEqual([]);
  });

  test('every column Hasura exposes (lib/hasura/metadata.json) exists with the contract type', async () => {
    const metadata = JSON.parse(readFileSync(join(__dirname, '..', '..', 'lib', 'hasura', 'metadata.json'), 'utf8'));
    const tables = metadata.sources[0].tables as { table: { name: string }; select_permissions: { permission: { columns: string[] } }[] }[];
    expect(tables.length).toBeGreaterThan(0);
    for (const t of tables) {
      const types = await columnTypes(c, t.table.name);
      for (const col of t.select_permissions[0].permission.columns) {
        expect({ table: t.table.name, column: col, present: col in types }).toEqual({ table: t.table.name, column: col, present: true });
      }
      if (t.table.name.startsWith('perftool') && t.table.name !== 'perftool_publishers') {
        expect(types.timestamp).toBe('timestamp with time zone');
        for (const m of CONTRACT_METRICS) expect(`${m}:${types[m]}`).toBe(`${m}:double precision`);
      }
    }
    expect(await columnTypes(c, 'viewer_config')).toEqual({ id: 'integer', name: 'text', comment: 'text', config: 'jsonb' });
  });

  test('running the init again changes nothing and keeps an operator-edited default', async () => {
    const before = await schemaSnapshot(c);
    const edited = { perftool: { name: 'operator-choice', visible: false } };
    await c.query(`UPDATE viewer_config SET config = $1, comment = 'edited' WHERE name = 'default'`, [edited]);
    const again = await applyMigrations(c, { defaultPerftoolName: 'another-topic' });
    expect(again.applied).toEqual([]);
    expect(await schemaSnapshot(c)).toBe(before);
    const cfg = await c.query(`SELECT comment, config FROM viewer_config WHERE name = 'default'`);
    expect(cfg.rows).toEqual([{ comment: 'edited', config: edited }]);
  });

  test('without the timescaledb extension the schema stays plain PostgreSQL', async () => {
    const ext = await c.query(`SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'timescaledb'`);
    expect(ext.rows[0].n).toBe(0);
    const applied = await c.query(`SELECT count(*)::int AS n FROM schema_migrations WHERE name = '002_timescaledb'`);
    expect(applied.rows[0].n).toBe(1);
  });

  test('an edited, already applied migration is refused with the reason', async () => {
    const tampered = MIGRATIONS.map((m, i) => (i === 0 ? { ...m, sql: `${m.sql}\n-- edited` } : m));
    await expect(applyMigrations(c, { defaultPerftoolName: 'x', migrations: tampered })).rejects.toThrow(
      /migration 001_results_schema differs from the one applied/,
    );
  });

  test('a failing migration leaves no trace and names itself', async () => {
    const broken = [...MIGRATIONS, { version: MIGRATIONS.length + 1, name: '999_broken', sql: 'CREATE TABLE half_done (x int); SELECT no_such_function();' }];
    await expect(applyMigrations(c, { defaultPerftoolName: 'x', migrations: broken })).rejects.toThrow(/migration 999_broken failed: function no_such_function\(\) does not exist/);
    const t = await c.query(`SELECT to_regclass('public.half_done') AS t`);
    expect(t.rows[0].t).toBeNull();
    const v = await c.query('SELECT max(version) AS v FROM schema_migrations');
    expect(v.rows[0].v).toBe(MIGRATIONS.length);
    // The advisory lock was released: a normal run still completes.
    await expect(applyMigrations(c, { defaultPerftoolName: 'x' })).resolves.toEqual({ applied: [], schemaVersion: MIGRATIONS.length });
  });

  test('an empty default perftool name is refused', async () => {
    await expect(applyMigrations(c, { defaultPerftoolName: ' ' })).rejects.toThrow(/defaultPerftoolName/);
  });
});

test('two concurrent inits on an empty database apply each migration once', async () => {
  const db = await createTestDatabase('migc');
  const [a, b] = [await open(db), await open(db)];
  try {
    const results = await Promise.all([
      applyMigrations(a, { defaultPerftoolName: 'topic-a' }),
      applyMigrations(b, { defaultPerftoolName: 'topic-b' }),
    ]);
    expect(results.map((r) => r.applied.length).sort()).toEqual([0, MIGRATIONS.length]);
    const n = await a.query('SELECT count(*)::int AS n FROM schema_migrations');
    expect(n.rows[0].n).toBe(MIGRATIONS.length);
    const cfg = await a.query(`SELECT count(*)::int AS n FROM viewer_config WHERE name = 'default'`);
    expect(cfg.rows[0].n).toBe(1);
  } finally {
    await a.end();
    await b.end();
    await db.drop();
  }
});

test('the Lambda ships exactly the .sql migrations (regenerate: npx tsx lambda/db-init/generate-migrations.ts)', () => {
  const files = readMigrationFiles();
  expect(MIGRATIONS).toEqual(files);
  expect(readFileSync(GENERATED_MODULE_PATH, 'utf8')).toBe(renderMigrationsModule(files));
});

describe('db-init custom resource handler', () => {
  const base = {
    ServiceToken: 'arn:aws:lambda:ap-northeast-1:123456789012:function:provider',
    ResponseURL: 'https://example.invalid/response',
    StackId: 'arn:aws:cloudformation:ap-northeast-1:123456789012:stack/perftool/1',
    RequestId: 'req-1',
    LogicalResourceId: 'ResultsSchema',
    ResourceType: 'Custom::ResultsSchema',
  };
  const create = (props: Record<string, unknown>): CloudFormationCustomResourceEvent => ({
    ...base,
    RequestType: 'Create',
    ResourceProperties: { ServiceToken: base.ServiceToken, ...props },
  });
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('init');
  });
  afterAll(async () => {
    await db.drop();
  });

  const update = (from: string, to: string): CloudFormationCustomResourceEvent => ({
    ...base,
    RequestType: 'Update',
    PhysicalResourceId: 'perftool-results-schema',
    ResourceProperties: { ServiceToken: base.ServiceToken, DefaultPerftoolName: to },
    OldResourceProperties: { ServiceToken: base.ServiceToken, DefaultPerftoolName: from },
  });
  const defaultRow = async () => {
    const c = await open(db);
    const cfg = await c.query(`SELECT comment, config FROM viewer_config WHERE name = 'default'`);
    await c.end();
    return cfg.rows[0];
  };

  test('Create applies the schema with the target topic as the viewer default; an Update follows a new topic', async () => {
    const created = await withEnv(db.env, () => handler(create({ DefaultPerftoolName: 'my-target' })));
    expect(created).toEqual({ PhysicalResourceId: 'perftool-results-schema', Data: { SchemaVersion: String(MIGRATIONS.length) } });
    expect((await defaultRow()).config).toEqual(defaultViewerConfig('my-target'));
    expect(await withEnv(db.env, () => handler(update('my-target', 'new-target')))).toEqual(created);
    expect((await defaultRow()).config).toEqual(defaultViewerConfig('new-target'));
  });

  test('an Update never rewrites a default an operator has edited', async () => {
    const c = await open(db);
    await c.query(`UPDATE viewer_config SET comment = 'ours' WHERE name = 'default'`);
    await c.end();
    await withEnv(db.env, () => handler(update('new-target', 'third-target')));
    expect(await defaultRow()).toEqual({ comment: 'ours', config: defaultViewerConfig('new-target') });
  });

  test('Delete leaves the data alone', async () => {
    const del: CloudFormationCustomResourceEvent = { ...base, RequestType: 'Delete', PhysicalResourceId: 'perftool-results-schema', ResourceProperties: { ServiceToken: base.ServiceToken } };
    await expect(withEnv({ ...db.env, PGPORT: '1' }, () => handler(del))).resolves.toEqual({ PhysicalResourceId: 'perftool-results-schema' });
    const c = await open(db);
    const t = await c.query(`SELECT to_regclass('public.perftool') IS NOT NULL AS present`);
    await c.end();
    expect(t.rows[0].present).toBe(true);
  });

  test('a missing DefaultPerftoolName or an unreachable database fails with the reason', async () => {
    await expect(withEnv(db.env, () => handler(create({})))).rejects.toThrow('ResourceProperties.DefaultPerftoolName (the MQTT target topic) is required');
    await expect(withEnv({ ...db.env, PGPORT: '1' }, () => handler(create({ DefaultPerftoolName: 'x' })))).rejects.toThrow(/ECONNREFUSED/);
  });
});
