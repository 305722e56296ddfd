/**
 * The preview's GraphQL stand-in for Hasura (production uses Hasura itself): Hasura's generated names and
 * shapes for the anonymous role, permissions from lib/hasura/metadata.json, every viewer operation valid, and
 * Hasura's allow-list from the same metadata refusing every other document.
 */
import { GraphQLSchema, parse, printSchema, validate } from 'graphql';
import { readFileSync } from 'node:fs';
import { Pool } from 'pg';
import { applyMigrations } from '../../lambda/db-init/migrate';
import { allowListFromMetadata } from '../../lib/hasura/allow-list';
import {
  createHasuraStandIn,
  createHasuraStandInSchema,
  HasuraStandIn,
  hasuraTypeParsers,
  METADATA_PATH,
  runGraphqlRequest,
  runUnlistedGraphqlRequest,
} from '../../lib/preview/graphql-endpoint';
import { boolExpToSql, selectSql, SqlParams } from '../../lib/preview/hasura-schema';
import { ingestRecords } from '../../lib/preview/seed';
import { syntheticHistory } from '../../lib/preview/synthetic';
import { ALL_OPERATIONS, CONFIG_BY_NAME, INSERT_CONFIG, resultsQuery, UPDATE_CONFIG } from '../../viewer-assets/src/api/operations';
import { SOURCES } from '../../viewer-assets/src/model/source';
import { createTestDatabase, TestDatabase } from '../support/postgres';

let db: TestDatabase;
let pool: Pool;
let schema: GraphQLSchema;
let standIn: HasuraStandIn;
const NOW = Date.UTC(2026, 10, 20, 12, 0);
const metadata = JSON.parse(readFileSync(METADATA_PATH, 'utf8'));

type Answer = { data?: any; errors?: Array<{ message: string; extensions: { code: string; path?: string } }> };
/** As the viewer (anonymous, allow-list enforced). */
const run = async (query: string, variables?: Record<string, unknown>) => runGraphqlRequest(standIn, { query, variables }) as Promise<Answer>;
/** Any document against the schema, as Hasura runs it for its admin: for the schema's own behaviour. */
const runUnlisted = async (query: string, variables?: Record<string, unknown>) => runUnlistedGraphqlRequest(schema, { query, variables }) as Promise<Answer>;

beforeAll(async () => {
  db = await createTestDatabase('standin');
  pool = new Pool({ ...db.config, types: hasuraTypeParsers(), options: '-c TimeZone=UTC' });
  const client = await pool.connect();
  await applyMigrations(client, { defaultPerftoolName: 'perftool-sinetstream-target' });
  client.release();
  await ingestRecords(pool, syntheticHistory({ nowMs: NOW, days: 0.1 }));
  standIn = await createHasuraStandIn(pool);
  schema = standIn.schema;
});

afterAll(async () => {
  await pool.end();
  await db.drop();
});

test('every operation the viewer sends is valid against the schema', () => {
  expect(SOURCES.map((s) => `RESULTS_${s.table}`).filter((name) => !(name in ALL_OPERATIONS))).toEqual([]);
  for (const [name, op] of Object.entries(ALL_OPERATIONS)) {
    expect([name, validate(schema, parse(op)).map((e) => e.message)]).toEqual([name, []]);
  }
});

test("root fields, arguments and types carry Hasura's generated names", () => {
  const sdl = printSchema(schema);
  for (const table of ['perftool', 'perftool_30sec', 'perftool_1min', 'perftool_2min', 'perftool_10min', 'perftool_1hour', 'perftool_publishers', 'viewer_config']) {
    expect(sdl).toContain(`${table}(\n    """filter the rows returned"""\n    where: ${table}_bool_exp`);
    expect(sdl).toContain(`order_by: [${table}_order_by!]`);
  }
  expect(sdl).toMatch(/viewer_config_by_pk\(id: Int!\): viewer_config/);
  expect(sdl).toMatch(/insert_viewer_config_one\(\s*"""the row to be inserted"""\s*object: viewer_config_insert_input!\s*\): viewer_config/);
  expect(sdl).toMatch(/update_viewer_config_by_pk\(\s*pk_columns: viewer_config_pk_columns_input!\s*(""".*?"""\s*)?_set: viewer_config_set_input\s*\): viewer_config/s);
  expect(sdl).toMatch(/input timestamptz_comparison_exp \{[^}]*_eq: timestamptz[^}]*_in: \[timestamptz!\][^}]*\}/s);
  expect(sdl).toMatch(/enum order_by \{[^}]*asc[^}]*desc[^}]*\}/s);
  expect(sdl).toMatch(/type perftool \{[^}]*timestamp: timestamptz![^}]*reader_bytes_rate: float8[^}]*\}/s);
  const viewerConfigType = /type viewer_config \{([^}]*)\}/s.exec(sdl)![1];
  expect(viewerConfigType).toContain('config: jsonb!');
  expect(viewerConfigType).toContain('id: Int!');
  expect(viewerConfigType).toContain('comment: String\n');
});

test('only what the anonymous role may do is in the schema', () => {
  const sdl = printSchema(schema);
  for (const hidden of ['perftool_message', 'perftool_rejected', 'schema_migrations', 'perftool_rollup', 'delete_', 'insert_perftool', 'received_at']) {
    expect(sdl).not.toContain(hidden);
  }
  // insert may set name/comment/config but not id; update may set comment/config but not name
  expect(sdl).toMatch(/input viewer_config_insert_input \{[^}]*\}/s);
  expect(/input viewer_config_insert_input \{([^}]*)\}/s.exec(sdl)![1]).not.toMatch(/\bid:/);
  expect(/input viewer_config_set_input \{([^}]*)\}/s.exec(sdl)![1]).not.toMatch(/\bname:/);
});

test('results come back as Hasura prints them, filtered and ordered by variables', async () => {
  const vars = (publisher: string) => ({ publisher, from: new Date(NOW - 10 * 60_000).toISOString(), to: new Date(NOW).toISOString(), limit: 100 });
  const hostile = await run(resultsQuery('perftool'), vars("x'); DROP TABLE perftool; --"));
  expect(hostile.errors).toBeUndefined();
  expect(hostile.data.rows).toEqual([]);
  const r = await run(resultsQuery('perftool'), vars('pi-lab-01'));
  expect(r.errors).toBeUndefined();
  const rows = r.data.rows as Array<Record<string, unknown>>;
  expect(rows.length).toBeGreaterThanOrEqual(9);
  expect(rows.every((x) => x.publisher === 'pi-lab-01')).toBe(true);
  expect(rows[0].timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00$/);
  expect(typeof rows[0].reader_bytes_rate).toBe('number');
  const times = rows.map((x) => Date.parse(x.timestamp as string));
  expect(times).toEqual([...times].sort((a, b) => b - a));
});

test("every bucket source's reads carry result_count, the weight for merging buckets in the browser", async () => {
  // From an hour boundary, so every bucket read holds exactly the results read raw.
  const vars = { publisher: 'pi-lab-01', from: new Date(NOW - 2 * 3_600_000).toISOString(), to: new Date(NOW + 3_600_000).toISOString(), limit: 1000 };
  const raw = await run(resultsQuery('perftool'), vars);
  expect(raw.data.rows.length).toBeGreaterThan(60);
  for (const { table } of SOURCES.filter((s) => s.bucketMs > 0)) {
    const r = await run(resultsQuery(table), vars);
    expect({ table, errors: r.errors }).toEqual({ table, errors: undefined });
    const rows = r.data.rows as Array<{ publisher: string; result_count: number }>;
    expect(rows.every((x) => x.publisher === 'pi-lab-01' && typeof x.result_count === 'number' && x.result_count > 0)).toBe(true);
    expect({ table, results: rows.reduce((n, x) => n + x.result_count, 0) }).toEqual({ table, results: raw.data.rows.length });
  }
});

test('bucket views and publisher statistics answer with numbers', async () => {
  const r = await runUnlisted('{ perftool_10min(limit: 2, order_by: {timestamp: desc}) { timestamp publisher reader_error_count } perftool_publishers { publisher result_count } }');
  expect(r.errors).toBeUndefined();
  expect(r.data.perftool_10min).toHaveLength(2);
  expect(r.data.perftool_publishers.every((p: { result_count: unknown }) => typeof p.result_count === 'number')).toBe(true);
});

test("the metadata's row limit caps any requested limit", async () => {
  const capped = { ...metadata, sources: structuredClone(metadata.sources) };
  for (const t of capped.sources[0].tables) for (const p of t.select_permissions ?? []) p.permission.limit = 3;
  const small = await createHasuraStandInSchema(pool, capped);
  const r = (await runUnlistedGraphqlRequest(small, { query: '{ perftool(limit: 1000) { timestamp } a: perftool { timestamp } }' })) as { data: { perftool: unknown[]; a: unknown[] } };
  expect(r.data.perftool).toHaveLength(3);
  expect(r.data.a).toHaveLength(3);
});

test('viewer_config: insert, duplicate name refused, update allowed except for `default`', async () => {
  const ins = await run(INSERT_CONFIG, { object: { name: 'lab (quoted) #1', comment: null, config: { perftool: { name: 'pi' } } } });
  expect(ins.errors).toBeUndefined();
  const id = ins.data.insert_viewer_config_one.id as number;

  const dup = await run(INSERT_CONFIG, { object: { name: 'lab (quoted) #1', config: {} } });
  expect(dup.errors?.[0].extensions.code).toBe('constraint-violation');

  const upd = await run(UPDATE_CONFIG, { id, set: { comment: 'now', config: { perftool: { name: 'pj' } } } });
  expect(upd.data.update_viewer_config_by_pk).toEqual({ id, name: 'lab (quoted) #1' });
  const back = await run(CONFIG_BY_NAME, { name: 'lab (quoted) #1' });
  expect(back.data.viewer_config[0]).toMatchObject({ comment: 'now', config: { perftool: { name: 'pj' } } });

  const def = (await run(CONFIG_BY_NAME, { name: 'default' })).data.viewer_config[0];
  const denied = await run(UPDATE_CONFIG, { id: def.id, set: { config: { hacked: true } } });
  expect(denied.errors).toBeUndefined();
  expect(denied.data.update_viewer_config_by_pk).toBeNull();
  expect((await run(CONFIG_BY_NAME, { name: 'default' })).data.viewer_config[0].config).toEqual(def.config);
});

test("the database's limits reach the viewer as Hasura words them, naming the constraint", async () => {
  const insert = (name: string, extra: Record<string, unknown> = {}) => run(INSERT_CONFIG, { object: { name, config: {}, ...extra } });
  expect((await insert('bad"name')).errors).toEqual([
    { message: 'Check constraint violation. new row for relation "viewer_config" violates check constraint "viewer_config_name_rule"', extensions: { path: '$.insert_viewer_config_one', code: 'permission-error' } },
  ]);
  expect((await insert('DEFAULT')).errors).toEqual([
    { message: 'Uniqueness violation. duplicate key value violates unique constraint "viewer_config_name_folded_key"', extensions: { path: '$.insert_viewer_config_one', code: 'constraint-violation' } },
  ]);
  expect((await insert('long comment', { comment: 'c'.repeat(1025) })).errors?.[0].message).toContain('"viewer_config_comment_size"');
});

test('requests outside the schema fail with Hasura-style errors', async () => {
  expect((await runUnlisted('{ perftool_message { msg } }')).errors?.[0].extensions.code).toBe('validation-failed');
  expect((await runUnlisted('mutation { delete_viewer_config(where: {}) { affected_rows } }')).errors?.[0].extensions.code).toBe('validation-failed');
  expect((await runUnlisted('{ perftool(offset: 5) { timestamp } }')).errors?.[0].extensions.code).toBe('validation-failed');
  expect((await runGraphqlRequest(standIn, { nope: 1 })).errors?.[0].extensions.code).toBe('parse-failed');
  expect((await runGraphqlRequest(standIn, [{ query: CONFIG_BY_NAME }])).errors?.[0].extensions.code).toBe('parse-failed');
});

describe("Hasura's allow-list, from the same metadata", () => {
  const REFUSED = { errors: [{ message: 'query is not allowed', extensions: { path: '$', code: 'validation-failed' } }] };

  test('every viewer operation is allowed as the viewer sends it, and reformatted or with __typename', async () => {
    for (const [name, op] of Object.entries(ALL_OPERATIONS)) {
      expect([name, standIn.allowList.allows(parse(op))]).toEqual([name, true]);
      const reformatted = op.replace(/\s+/g, '  ').replace(/ \{ /g, ', { ');
      expect([name, standIn.allowList.allows(parse(reformatted))]).toEqual([name, true]);
    }
    const withTypename = CONFIG_BY_NAME.replace('{ id name comment config }', '{ __typename id name comment config }');
    expect((await run(withTypename, { name: 'default' })).data.viewer_config[0].name).toBe('default');
  });

  test('anything else is refused with the error Hasura gives, before it runs', async () => {
    const refused = [
      // introspection (Hasura CE cannot switch it off per role; the allow-list refuses it)
      '{ __schema { types { name } } }',
      'query IntrospectionQuery { __schema { queryType { name } } }',
      '{ __type(name: "viewer_config") { fields { name } } }',
      // a listed document with its fields reordered, an alias added, or a second root field
      CONFIG_BY_NAME.replace('{ id name comment config }', '{ name id comment config }'),
      CONFIG_BY_NAME.replace('viewer_config(', 'x: viewer_config('),
      resultsQuery('perftool').replace(/\}\s*$/, ' b: perftool(limit: $limit) { timestamp } }'),
      // the same operations under another operation name, and the bulk forms Hasura generates besides _by_pk/_one
      CONFIG_BY_NAME.replace('query ConfigByName', 'query Other'),
      'mutation { update_viewer_config(where: {}, _set: {config: {}}) { affected_rows } }',
      'mutation { insert_viewer_config(objects: [{name: "a", config: {}}]) { affected_rows } }',
    ];
    for (const query of refused) expect([query, await run(query, { name: 'default', limit: 1 })]).toEqual([query, REFUSED]);
    const before = (await pool.query('SELECT count(*)::int AS n FROM viewer_config')).rows[0].n;
    expect(await run('mutation { insert_viewer_config_one(object: {name: "x", config: {}}) { id } }')).toEqual(REFUSED);
    expect((await pool.query('SELECT count(*)::int AS n FROM viewer_config')).rows[0].n).toBe(before);
  });

  test('arguments and object fields compare in any order, as in Hasura (hash maps there)', () => {
    const listed = allowListFromMetadata({
      query_collections: [{ name: 'c', definition: { queries: [{ name: 'q', query: 'query Q($p: String!) { t(where: {a: {_eq: $p}, b: {_gt: 1}}, limit: 2) { x y } }' }] } }],
      allowlist: [{ collection: 'c' }],
    });
    expect(listed.allows(parse('query Q($p: String!) { t(limit: 2, where: {b: {_gt: 1}, a: {_eq: $p}}) { x y } }'))).toBe(true);
    expect(listed.allows(parse('query Q($p: String!) { t(limit: 2, where: {b: {_gt: 1}, a: {_eq: $p}}) { y x } }'))).toBe(false);
    expect(listed.allows(parse('query Q($p: String!) { t(where: {a: {_eq: $p}, b: {_gt: 2}}, limit: 2) { x y } }'))).toBe(false);
    expect(listed.allows(parse('query Q($p: String) { t(where: {a: {_eq: $p}, b: {_gt: 1}}, limit: 2) { x y } }'))).toBe(false);
    // a collection outside the allow-list, or scoped to another role, allows nothing for the anonymous role
    const scoped = allowListFromMetadata({
      query_collections: [{ name: 'c', definition: { queries: [{ name: 'q', query: '{ t { x } }' }] } }],
      allowlist: [{ collection: 'c', scope: { global: false, roles: ['editor'] } }],
    });
    expect(scoped.allows(parse('{ t { x } }'))).toBe(false);
    expect(allowListFromMetadata({ query_collections: [{ name: 'c', definition: { queries: [{ name: 'q', query: '{ t { x } }' }] } }] }).size).toBe(0);
  });

  test('root fields the metadata hides are not in the schema', async () => {
    const hidden = structuredClone(metadata);
    const vc = hidden.sources[0].tables.find((t: { table: { name: string } }) => t.table.name === 'viewer_config');
    vc.select_permissions[0].permission.query_root_fields = ['select'];
    const sdl = printSchema(await createHasuraStandInSchema(pool, hidden));
    expect(sdl).not.toMatch(/\n  viewer_config_by_pk\(/);
    expect(sdl).toMatch(/\n  viewer_config\(/);
    expect(printSchema(schema)).toMatch(/\n  viewer_config_by_pk\(/);
  });

  test('a database failure answers "database query error" without its details', async () => {
    const r = await run(resultsQuery('perftool'), { publisher: 'a\u0000b', from: new Date(0).toISOString(), to: new Date(NOW).toISOString(), limit: 1 });
    expect(r.errors).toEqual([{ message: 'database query error', extensions: { path: '$.rows', code: 'unexpected' } }]);
  });
});

test('boolean expressions become parameterised SQL (values never in the text)', () => {
  const params = new SqlParams();
  const sql = boolExpToSql({ publisher: { _in: ["a'b"], _neq: 'c' }, _not: { timestamp: { _lt: 'x' } } }, new Set(['publisher', 'timestamp']), params);
  expect(sql).toBe('("publisher" = ANY($1)) AND ("publisher" <> $2) AND (NOT (("timestamp" < $3)))');
  expect(params.values).toEqual([["a'b"], 'c', 'x']);
  expect(() => boolExpToSql({ secret: { _eq: 1 } }, new Set(['publisher']), new SqlParams())).toThrow(/secret/);
  const q = selectSql('perftool', { columns: ['timestamp'], filter: {}, limit: 10 }, ['timestamp'], { order_by: [{ timestamp: 'desc' }], limit: 50 });
  expect(q.text).toBe('SELECT "timestamp" FROM "perftool" WHERE (TRUE) AND (TRUE) ORDER BY "timestamp" DESC NULLS FIRST LIMIT $1');
  expect(q.values).toEqual([10]);
});
