import '../support/quiet-logs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { applyMigrations, defaultViewerConfig } from '../../lambda/db-init/migrate';
import { handler } from '../../lambda/db-init/index';
import { MIGRATIONS } from '../../lambda/db-init/migrations.generated';
import { readMigrationFiles, renderMigrationsModule, GENERATED_MODULE_PATH } from '../../lambda/db-init/generate-migrations';
import { BUCKET_METRICS } from '../../lambda/sink/buckets';
import { ingestBatch } from '../../lambda/sink/ingest';
import { resultRecord, seededRandom } from '../../lib/dev/records';
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
      // The health views (004) carry no results: no timestamp or metric columns.
      if (t.table.name.startsWith('perftool') && !['perftool_publishers', 'perftool_publisher_health', 'perftool_rejections_24h'].includes(t.table.name)) {
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

/**
 * Fails unless `view` holds, per publisher starting with `prefix`, one row per `width`-second bucket (date_bin from the
 * epoch) equal to aggregating the raw perftool rows: rates averaged, error counts summed, NULL where no row had one.
 */
async function expectBucketViewEqualsRawRows(c: Client, view: string, width: number, prefix: string): Promise<void> {
  const rates = BUCKET_METRICS.filter((m) => !m.endsWith('_error_count'));
  const counts = BUCKET_METRICS.filter((m) => m.endsWith('_error_count'));
  const reference = await c.query(`
    SELECT date_bin(make_interval(secs => ${width}), "timestamp", timestamptz 'epoch') AS "timestamp", publisher,
           ${[...rates.map((m) => `avg(${m}) AS ${m}`), ...counts.map((m) => `sum(${m}) AS ${m}`)].join(', ')}, count(*)::int AS n
      FROM perftool WHERE starts_with(publisher, $1) GROUP BY 1, 2 ORDER BY 2, 1`, [prefix]);
  const actual = await c.query(`SELECT "timestamp", publisher, ${BUCKET_METRICS.join(', ')}, result_count::int AS n
      FROM ${view} WHERE starts_with(publisher, $1) ORDER BY publisher, "timestamp"`, [prefix]);
  expect(reference.rows.length).toBeGreaterThan(0);
  expect(actual.rows.map((r) => [r.publisher, r.timestamp.toISOString(), r.n])).toEqual(
    reference.rows.map((r) => [r.publisher, r.timestamp.toISOString(), r.n]),
  );
  actual.rows.forEach((row, i) => {
    for (const m of BUCKET_METRICS) {
      const [got, want] = [row[m], reference.rows[i][m]];
      // Sums in another order differ in the last bits; absence must match exactly.
      if (got === null || want === null) expect({ m, got }).toEqual({ m, got: want });
      else expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
    }
  });
}

describe('003_hourly_buckets on a database that already holds results', () => {
  const BEFORE_HOURLY = MIGRATIONS.filter((m) => m.version <= 2);
  const HOUR_US = 3_600_000_000n;
  /** 17 minutes before an hour boundary, so the data below spans partial hours at both ends and whole ones between. */
  const START_US = 1_763_600_400_000_000n - 17n * 60_000_000n;
  /** A whole hour inside the data where one publisher reports no reader values. */
  const QUIET_HOUR = START_US / HOUR_US + 2n;
  let db: TestDatabase;
  let c: Client;
  beforeAll(async () => {
    db = await createTestDatabase('mig3');
    c = await open(db);
    // A zone half an hour off UTC: hourly buckets must start on UTC hours whatever the session's zone.
    await c.query(`SET TimeZone = 'Asia/Kolkata'`);
    const r = await applyMigrations(c, { defaultPerftoolName: 'x', migrations: BEFORE_HOURLY });
    expect(r.schemaVersion).toBe(2);
    // Results stored before the hourly level existed: 5 hours of three publishers at irregular times, some metrics
    // absent, and one publisher-hour with no reader values at all (its hourly rates and counts must be NULL).
    const random = seededRandom(7);
    const rows = Array.from({ length: 900 }, (_, i) => {
      const publisher = `hourly-${i % 3}`;
      const us = START_US + BigInt(Math.floor(random() * 5 * 3600e6));
      const quietHour = publisher === 'hourly-2' && us / HOUR_US === QUIET_HOUR;
      const values = BUCKET_METRICS.map((m) =>
        (quietHour && m.startsWith('reader_')) || random() < 0.15 ? null : m.endsWith('_error_count') ? Math.floor(random() * 4) : random() * 1e6,
      );
      return { ts: new Date(Number(us / 1000n)).toISOString().replace('Z', `${String(us % 1000n).padStart(3, '0')}Z`), publisher, values };
    });
    await c.query(
      `INSERT INTO perftool ("timestamp", publisher, ${BUCKET_METRICS.join(', ')})
       SELECT * FROM unnest($1::timestamptz[], $2::text[], ${BUCKET_METRICS.map((_, i) => `$${i + 3}::float8[]`).join(', ')})`,
      [rows.map((r) => r.ts), rows.map((r) => r.publisher), ...BUCKET_METRICS.map((_, i) => rows.map((r) => r.values[i]))],
    );
    // The buckets a version-2 sink maintained for those results (30 s to 10 min; sink.test.ts shows its rows are
    // exactly these aggregations), built set-based here because today's sink also writes 1-hour rows.
    await c.query(`
      INSERT INTO perftool_rollup
      SELECT w, publisher, date_bin(make_interval(secs => w), "timestamp", timestamptz 'epoch'), count(*),
             ${BUCKET_METRICS.map((m) => `coalesce(sum(${m}), 0), count(${m})`).join(', ')}
        FROM perftool CROSS JOIN unnest(ARRAY[30, 60, 120, 600]) AS w
       GROUP BY 1, 2, 3`);
  });
  afterAll(async () => {
    await c.end();
    await db.drop();
  });

  test('the migration adds perftool_1hour, backfilled: equal to aggregating the raw rows by hour', async () => {
    expect((await c.query(`SELECT to_regclass('public.perftool_1hour') AS v`)).rows[0].v).toBeNull();
    const r = await applyMigrations(c, { defaultPerftoolName: 'x' });
    expect(r).toEqual({ applied: MIGRATIONS.filter((m) => m.version >= 3).map((m) => m.name), schemaVersion: MIGRATIONS.length });
    await expectBucketViewEqualsRawRows(c, 'perftool_1hour', 3600, 'hourly-');
    const quiet = await c.query(`SELECT reader_bytes_rate, reader_error_count FROM perftool_1hour
      WHERE publisher = 'hourly-2' AND "timestamp" = to_timestamp(${QUIET_HOUR * 3600n})`);
    expect(quiet.rows).toEqual([{ reader_bytes_rate: null, reader_error_count: null }]);
  });

  test('perftool_1hour is defined like perftool_10min, at another width', async () => {
    const def = async (view: string) => (await c.query(`SELECT pg_get_viewdef($1::regclass) AS d`, [view])).rows[0].d as string;
    expect(await def('perftool_1hour')).toBe((await def('perftool_10min')).replace('width_seconds = 600)', 'width_seconds = 3600)'));
  });

  test('the sink adds new results to the backfilled hours', async () => {
    const records = Array.from({ length: 60 }, (_, i) =>
      resultRecord(i, { name: `hourly-${i % 3}`, tstampMicros: START_US + BigInt(i) * 5n * 60_000_000n, writerBytesRate: 1000 + i, readerBytesRate: 2000 + i, readerErrors: i % 2 }),
    );
    expect(await ingestBatch(c, records)).toEqual({ records: 60, stored: 60, rejected: 0, duplicates: 0 });
    await expectBucketViewEqualsRawRows(c, 'perftool_1hour', 3600, 'hourly-');
    await expectBucketViewEqualsRawRows(c, 'perftool_10min', 600, 'hourly-');
  });

  test('running the init again changes neither the schema nor the buckets', async () => {
    const state = async () => [await schemaSnapshot(c), (await c.query('SELECT * FROM perftool_rollup ORDER BY 1, 2, 3')).rows];
    const before = await state();
    expect(await applyMigrations(c, { defaultPerftoolName: 'x' })).toEqual({ applied: [], schemaVersion: MIGRATIONS.length });
    expect(await state()).toEqual(before);
  });
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
  const HASURA_SECRET = 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:hasura-db-AbCdEf';
  const SINK_SECRET = 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:sink-db-AbCdEf';
  const roleSecrets = { HasuraSecretArn: HASURA_SECRET, SinkSecretArn: SINK_SECRET };
  const sinkPassword = randomBytes(12).toString('hex');
  const secrets = mockClient(SecretsManagerClient);
  const create = (props: Record<string, unknown>): CloudFormationCustomResourceEvent => ({
    ...base,
    RequestType: 'Create',
    ResourceProperties: { ServiceToken: base.ServiceToken, ...props },
  });
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('init');
    secrets.on(GetSecretValueCommand, { SecretId: HASURA_SECRET }).resolves({ SecretString: JSON.stringify({ username: 'perftool_hasura', password: 'hasura-pw' }) });
    secrets.on(GetSecretValueCommand, { SecretId: SINK_SECRET }).resolves({ SecretString: JSON.stringify({ username: 'perftool_sink', password: sinkPassword }) });
  });
  afterAll(async () => {
    secrets.restore();
    await db.drop();
  });

  const update = (from: string, to: string): CloudFormationCustomResourceEvent => ({
    ...base,
    RequestType: 'Update',
    PhysicalResourceId: 'perftool-results-schema',
    ResourceProperties: { ServiceToken: base.ServiceToken, DefaultPerftoolName: to, ...roleSecrets },
    OldResourceProperties: { ServiceToken: base.ServiceToken, DefaultPerftoolName: from, ...roleSecrets },
  });
  const defaultRow = async () => {
    const c = await open(db);
    const cfg = await c.query(`SELECT comment, config FROM viewer_config WHERE name = 'default'`);
    await c.end();
    return cfg.rows[0];
  };

  test('Create applies the schema with the target topic as the viewer default; an Update follows a new topic', async () => {
    const created = await withEnv(db.env, () => handler(create({ DefaultPerftoolName: 'my-target', ...roleSecrets })));
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

  test('the roles Hasura and the sink connect as get the passwords of their secrets', async () => {
    const sink = new Client({ ...db.config, user: 'perftool_sink', password: sinkPassword });
    await sink.connect();
    try {
      expect((await sink.query('SELECT current_user AS u')).rows[0].u).toBe('perftool_sink');
      await expect(sink.query('CREATE TABLE planted (x int)')).rejects.toMatchObject({ code: '42501' });
    } finally {
      await sink.end();
    }
  });

  test('a missing DefaultPerftoolName, role secret or an unreachable database fails with the reason', async () => {
    await expect(withEnv(db.env, () => handler(create({ ...roleSecrets })))).rejects.toThrow('ResourceProperties.DefaultPerftoolName (the MQTT target topic) is required');
    await expect(withEnv(db.env, () => handler(create({ DefaultPerftoolName: 'x', HasuraSecretArn: HASURA_SECRET })))).rejects.toThrow(
      'ResourceProperties.HasuraSecretArn and SinkSecretArn (the database role secrets) are required',
    );
    await expect(withEnv({ ...db.env, PGPORT: '1' }, () => handler(create({ DefaultPerftoolName: 'x', ...roleSecrets })))).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('005_viewer_config_limits: what anyone may store through the public API is bounded', () => {
  /** The viewer's own check (the rule the viewer engineer shows in words); the database must agree with it. */
  const VIEWER_NAME_RULE = /^[\p{L}\p{N}_ .,:;()\[\]\/+#@&-]{1,100}$/u;
  const viewerAccepts = (name: string) => VIEWER_NAME_RULE.test(name) && name === name.trim();
  let db: TestDatabase;
  let c: Client;
  beforeAll(async () => {
    db = await createTestDatabase('mig4', { utf8: true });
    c = await open(db);
    await applyMigrations(c, { defaultPerftoolName: 'x' });
  });
  afterAll(async () => {
    await c.end();
    await db.drop();
  });

  /** Inserts one row and returns the SQLSTATE and the constraint (or message) that refused it, or 'ok'. */
  async function tryInsert(name: string, comment: string | null = null, config: unknown = {}): Promise<string> {
    try {
      await c.query('INSERT INTO viewer_config (name, comment, config) VALUES ($1, $2, $3)', [name, comment, JSON.stringify(config)]);
      return 'ok';
    } catch (e) {
      const err = e as { code: string; constraint?: string; message: string };
      return `${err.code} ${err.constraint ?? err.message}`;
    }
  }

  test('the name rule agrees with the viewer check on a sample of names, Japanese ones included', async () => {
    const names = [
      'default', '東京ラボ', '実験 2026/11 (Pi #3)', 'テスト-ダッシュボード_v2.1', '𠮷野家', 'ｶﾀｶﾅ', '１２３', 'Ⅻ', '½', 'Ünïcödé',
      'a_b.c,d:e;f(g)[h]/i+j#k@l&m-n', 'x'.repeat(100), 'あ'.repeat(100),
      'x'.repeat(101), 'あ'.repeat(101), '', ' lead', 'trail ', '\u3000全角空白', 'tab\there', 'line\nbreak', '"quoted"', "it's",
      'a<b>', 'back\\slash', 'e\u0301', '📈 chart', 'percent%', 'dollar$', 'caret^', 'pipe|', 'tilde~', 'star*', 'eq=',
    ];
    const { rows } = await c.query<{ name: string; ok: boolean }>('SELECT name, viewer_config_name_ok(name) AS ok FROM unnest($1::text[]) AS name', [names]);
    expect(rows.map((r) => [r.name, r.ok])).toEqual(names.map((n) => [n, viewerAccepts(n)]));
    expect(rows.filter((r) => r.ok).length).toBeGreaterThan(10);
    expect(rows.filter((r) => !r.ok).length).toBeGreaterThan(10);
  });

  test('letters and digits are the same set as JavaScript\'s \\p{L}\\p{N} over the whole Basic Multilingual Plane', async () => {
    const { rows } = await c.query<{ cp: number }>(
      `SELECT cp FROM generate_series(1, 65535) AS cp
        WHERE cp NOT BETWEEN 55296 AND 57343 AND chr(cp) ~ ('^[' || viewer_config_name_chars() || ']$') ORDER BY cp`,
    );
    const expected: number[] = [];
    for (let cp = 1; cp <= 0xffff; cp++) if ((cp < 0xd800 || cp > 0xdfff) && /^[\p{L}\p{N}_ .,:;()\[\]\/+#@&-]$/u.test(String.fromCodePoint(cp))) expected.push(cp);
    expect(rows.map((r) => r.cp)).toEqual(expected);
  });

  test('each refusal names its constraint (the names the viewer maps to words)', async () => {
    expect(await tryInsert('bad"name')).toBe('23514 viewer_config_name_rule');
    expect(await tryInsert(' padded')).toBe('23514 viewer_config_name_rule');
    expect(await tryInsert('x'.repeat(101))).toBe('23514 viewer_config_name_rule');
    expect(await tryInsert('Default')).toBe('23505 viewer_config_name_folded_key');
    expect(await tryInsert('DEFAULT')).toBe('23505 viewer_config_name_folded_key');
    expect(await tryInsert('ok comment', 'あ'.repeat(341))).toBe('ok'); // 1,023 bytes
    expect(await tryInsert('long comment', 'あ'.repeat(342))).toBe('23514 viewer_config_comment_size'); // 1,026 bytes
    // 64 KiB of jsonb text: {"a": "…"} is 9 bytes around the string
    expect(await tryInsert('big ok', null, { a: 'x'.repeat(65536 - 9) })).toBe('ok');
    expect(await tryInsert('too big', null, { a: 'x'.repeat(65536 - 8) })).toBe('23514 viewer_config_config_size');
    expect(await tryInsert('Ok Comment')).toBe('23505 viewer_config_name_folded_key');
    const big = await c.query(`SELECT id FROM viewer_config WHERE name = 'big ok'`);
    await expect(c.query(`UPDATE viewer_config SET config = config || '{"b": 1}' WHERE id = $1`, [big.rows[0].id])).rejects.toMatchObject({ constraint: 'viewer_config_config_size' });
  });

  test('at most 200 rows, even for concurrent inserts; `default` can always be seeded again', async () => {
    await c.query(`DELETE FROM viewer_config WHERE name <> 'default'`);
    await c.query(`INSERT INTO viewer_config (name, config) SELECT 'row ' || i, '{}' FROM generate_series(1, 198) AS i`);
    // Row 200 by either of two connections at once: exactly one wins.
    const others = [await open(db), await open(db)];
    try {
      const results = await Promise.allSettled(others.map((o, i) => o.query(`INSERT INTO viewer_config (name, config) VALUES ($1, '{}')`, [`racer ${i}`])));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toMatchObject({ code: '23514' });
      expect(refused.reason.message).toContain('viewer_config_row_limit');
    } finally {
      await Promise.all(others.map((o) => o.end()));
    }
    expect((await c.query('SELECT count(*)::int AS n FROM viewer_config')).rows[0].n).toBe(200);
    expect(await tryInsert('one more')).toMatch(/^23514 viewer_config_row_limit: /);
    await c.query(`DELETE FROM viewer_config WHERE name = 'default'`);
    await applyMigrations(c, { defaultPerftoolName: 'x' });
    expect((await c.query(`SELECT count(*)::int AS n FROM viewer_config WHERE name = 'default'`)).rows[0].n).toBe(1);
  });
});

test('005_viewer_config_limits applies to a deployment whose saved dashboards break the new rules', async () => {
  const db = await createTestDatabase('mig4old', { utf8: true });
  const c = await open(db);
  try {
    // Everything before the limits migration (found by name: its number may change when branches merge).
    const limits = MIGRATIONS.find((m) => m.name.endsWith('_viewer_config_limits'))!;
    await applyMigrations(c, { defaultPerftoolName: 'x', migrations: MIGRATIONS.filter((m) => m.version < limits.version) });
    const old = [
      ['Default', null, {}],
      ['default ', null, {}],
      ['bad"name', null, {}],
      ['bad_name', null, {}],
      ['   ', null, {}],
      ['東京 ラボ', null, {}],
      ['y'.repeat(150), null, {}],
      ['Y'.repeat(100), null, {}],
      ['huge', 'c'.repeat(2000), { a: 'x'.repeat(70_000) }],
    ] as const;
    for (const [name, comment, config] of old) {
      await c.query('INSERT INTO viewer_config (name, comment, config) VALUES ($1, $2, $3)', [name, comment, JSON.stringify(config)]);
    }
    const r = await applyMigrations(c, { defaultPerftoolName: 'x' });
    expect(r.applied).toEqual(MIGRATIONS.filter((m) => m.version >= limits.version).map((m) => m.name));
    const { rows } = await c.query<{ name: string }>('SELECT name FROM viewer_config ORDER BY id');
    expect(rows.map((x) => x.name)).toEqual([
      'default', // seeded before the others: keeps its name
      'Default (2)',
      'default (3)',
      'bad_name (2)', // a name that already followed the rule keeps it
      'bad_name',
      'dashboard',
      '東京 ラボ',
      `${'y'.repeat(96)} (2)`, // cut to 100, then folded onto the valid 'YYY…' which keeps its name
      'Y'.repeat(100),
      'huge',
    ]);
    // Oversized rows stored before are kept as they were; a change to them must fit.
    const huge = await c.query(`SELECT octet_length(comment) AS comment, octet_length(config::text) AS config FROM viewer_config WHERE name = 'huge'`);
    expect(huge.rows[0]).toEqual({ comment: 2000, config: 70_009 });
    await expect(c.query(`UPDATE viewer_config SET comment = 'short' WHERE name = 'huge'`)).rejects.toMatchObject({ constraint: 'viewer_config_config_size' });
    await c.query(`UPDATE viewer_config SET comment = 'short', config = '{}' WHERE name = 'huge'`);
  } finally {
    await c.end();
    await db.drop();
  }
});
