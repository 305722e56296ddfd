/**
 * The roles Hasura and the sink connect as (lambda/db-init/roles.ts), on a real PostgreSQL: each can do its job
 * through the real code (the viewer's every operation; the sink's ingest) and nothing more.
 */
import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { applyMigrations } from '../../lambda/db-init/migrate';
import { applyRoles, HASURA_CONNECTION_LIMIT, hasuraGrantsFromMetadata, RoleNames } from '../../lambda/db-init/roles';
import { ingestBatch } from '../../lambda/sink/ingest';
import { createHasuraStandIn, hasuraTypeParsers, readMetadata, runGraphqlRequest } from '../../lib/preview/graphql-endpoint';
import { syntheticHistory } from '../../lib/preview/synthetic';
import { ALL_OPERATIONS, CONFIG_BY_NAME, INSERT_CONFIG, resultsQuery, UPDATE_CONFIG } from '../../viewer-assets/src/api/operations';
import { createTestDatabase, TestDatabase } from '../support/postgres';

const NOW = Date.UTC(2026, 10, 20, 12, 0);
// Roles belong to the whole server, which other test files share: names of our own.
const suffix = randomBytes(3).toString('hex');
const ROLES: RoleNames = { hasura: `t_hasura_${suffix}`, sink: `t_sink_${suffix}` };
const PASSWORDS = { hasura: `h-${randomBytes(12).toString('hex')}`, sink: `s-${randomBytes(12).toString('hex')}` };
const metadata = readMetadata();

let db: TestDatabase;
let master: Client;

async function connectAs(user: string, password: string): Promise<Client> {
  const c = new Client({ ...db.config, user, password });
  await c.connect();
  return c;
}

/** The SQLSTATE a statement fails with ('ok' when it runs). */
async function outcome(c: Client, sql: string): Promise<string> {
  try {
    await c.query(sql);
    return 'ok';
  } catch (e) {
    return (e as { code: string }).code;
  }
}

beforeAll(async () => {
  db = await createTestDatabase('roles', { utf8: true });
  master = new Client(db.config);
  await master.connect();
  await applyMigrations(master, { defaultPerftoolName: 'target' });
  // A deployment that ran Hasura as the master user: its catalogue exists, owned by the master.
  await master.query(`CREATE SCHEMA hdb_catalog;
    CREATE TABLE hdb_catalog.hdb_version (id serial PRIMARY KEY, version text);
    CREATE TABLE hdb_catalog.hdb_metadata (id integer PRIMARY KEY, metadata json);
    CREATE VIEW hdb_catalog.hdb_version_view AS SELECT version FROM hdb_catalog.hdb_version;
    CREATE SEQUENCE hdb_catalog.free_sequence;
    CREATE TYPE hdb_catalog.hdb_state AS ENUM ('a', 'b');
    CREATE FUNCTION hdb_catalog.gen_id() RETURNS integer LANGUAGE sql AS 'SELECT 1';`);
  await applyRoles(master, PASSWORDS, metadata, ROLES);
});

afterAll(async () => {
  await master.end();
  await db.drop();
  const c = new Client({ ...db.config, database: 'postgres' });
  await c.connect();
  await c.query(`DROP ROLE IF EXISTS ${ROLES.hasura}`);
  await c.query(`DROP ROLE IF EXISTS ${ROLES.sink}`);
  await c.end();
});

test('the sink role stores results through the real sink code, and may not change the schema or the dashboards', async () => {
  const sink = await connectAs(ROLES.sink, PASSWORDS.sink);
  try {
    const records = syntheticHistory({ nowMs: NOW, days: 0.05 });
    const summary = await ingestBatch(sink, records);
    expect(summary).toBeDefined();
    expect(Number((await master.query('SELECT count(*) AS n FROM perftool')).rows[0].n)).toBeGreaterThan(10);
    expect(await outcome(sink, 'CREATE TABLE public.planted (x int)')).toBe('42501');
    expect(await outcome(sink, 'DROP TABLE perftool')).toBe('42501');
    expect(await outcome(sink, 'DELETE FROM perftool')).toBe('42501');
    expect(await outcome(sink, `INSERT INTO viewer_config (name, config) VALUES ('x', '{}')`)).toBe('42501');
    expect(await outcome(sink, `UPDATE viewer_config SET comment = 'x'`)).toBe('42501');
    expect(await outcome(sink, 'SELECT * FROM schema_migrations')).toBe('42501');
  } finally {
    await sink.end();
  }
});

test('the Hasura role runs every viewer operation, and nothing the metadata does not grant', async () => {
  const pool = new Pool({ ...db.config, user: ROLES.hasura, password: PASSWORDS.hasura, types: hasuraTypeParsers(), options: '-c TimeZone=UTC' });
  try {
    const standIn = await createHasuraStandIn(pool, metadata);
    const run = (query: string, variables: Record<string, unknown>) => runGraphqlRequest(standIn, { query, variables });
    const window = { publisher: 'pi-lab-01', from: new Date(NOW - 3_600_000).toISOString(), to: new Date(NOW).toISOString(), limit: 100 };
    for (const table of ['perftool', 'perftool_30sec', 'perftool_1min', 'perftool_2min', 'perftool_10min', 'perftool_1hour'] as const) {
      expect({ table, r: await run(resultsQuery(table), window) }).toEqual({ table, r: { data: { rows: expect.any(Array) } } });
    }
    expect((await run(ALL_OPERATIONS.PUBLISHERS, {})).errors).toBeUndefined();
    expect((await run(ALL_OPERATIONS.CONFIG_NAMES, {})).errors).toBeUndefined();
    const ins = await run(INSERT_CONFIG, { object: { name: '東京ラボ', comment: 'c', config: { a: 1 } } });
    expect(ins.errors).toBeUndefined();
    const id = (ins.data as { insert_viewer_config_one: { id: number } }).insert_viewer_config_one.id;
    expect((await run(UPDATE_CONFIG, { id, set: { comment: 'd' } })).errors).toBeUndefined();
    expect((await run(ALL_OPERATIONS.CONFIG_BY_ID, { id })).errors).toBeUndefined();
    expect(((await run(CONFIG_BY_NAME, { name: '東京ラボ' })).data as { viewer_config: Array<{ comment: string }> }).viewer_config[0].comment).toBe('d');

    const hasura = await pool.connect();
    try {
      const denied = [
        'SELECT * FROM perftool_message',
        'SELECT * FROM perftool_rejected',
        'SELECT * FROM perftool_rollup',
        `INSERT INTO perftool ("timestamp", publisher) VALUES (now(), 'x')`,
        `UPDATE viewer_config SET name = 'renamed'`,
        `INSERT INTO viewer_config (id, name, config) VALUES (999, 'forced id', '{}')`,
        'DELETE FROM viewer_config',
        'CREATE TABLE public.planted (x int)',
        'CREATE EXTENSION IF NOT EXISTS pg_trgm',
      ];
      for (const sql of denied) expect({ sql, code: await outcome(hasura as unknown as Client, sql) }).toEqual({ sql, code: '42501' });
      expect((await hasura.query('SHOW statement_timeout')).rows[0].statement_timeout).toBe('10s');
      // Its own catalogue: everything the master had made is Hasura's now, and it may add to it.
      expect(await outcome(hasura as unknown as Client, 'CREATE TABLE hdb_catalog.hdb_new (x int)')).toBe('ok');
      expect(await outcome(hasura as unknown as Client, 'ALTER TABLE hdb_catalog.hdb_version ADD COLUMN upgraded boolean')).toBe('ok');
    } finally {
      hasura.release();
    }
  } finally {
    await pool.end();
  }
  const owners = await master.query<{ kind: string; owner: string }>(`
    SELECT relkind::text AS kind, pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relnamespace = 'hdb_catalog'::regnamespace
    UNION ALL SELECT 'function', pg_get_userbyid(proowner) FROM pg_proc WHERE pronamespace = 'hdb_catalog'::regnamespace
    UNION ALL SELECT 'type', pg_get_userbyid(typowner) FROM pg_type WHERE typnamespace = 'hdb_catalog'::regnamespace AND typtype = 'e'
    UNION ALL SELECT 'schema', pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'hdb_catalog'`);
  expect(owners.rows.length).toBeGreaterThanOrEqual(8);
  expect(owners.rows.filter((r) => r.owner !== ROLES.hasura)).toEqual([]);
  const limits = await master.query(`SELECT rolname, rolconnlimit, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1`, [ROLES.hasura]);
  expect(limits.rows[0]).toMatchObject({ rolconnlimit: HASURA_CONNECTION_LIMIT, rolsuper: false, rolcreaterole: false, rolcreatedb: false });
});

test('running again is harmless, takes a new password, and stores only a SCRAM verifier', async () => {
  const next = { hasura: `h2-${randomBytes(12).toString('hex')}`, sink: PASSWORDS.sink };
  await applyRoles(master, next, metadata, ROLES);
  await expect(connectAs(ROLES.hasura, PASSWORDS.hasura)).rejects.toMatchObject({ code: '28P01' });
  const c = await connectAs(ROLES.hasura, next.hasura);
  await c.end();
  const stored = await master.query(`SELECT rolpassword FROM pg_authid WHERE rolname = $1`, [ROLES.hasura]);
  expect(stored.rows[0].rolpassword).toMatch(/^SCRAM-SHA-256\$4096:/);
  expect(stored.rows[0].rolpassword).not.toContain(next.hasura);
  await applyRoles(master, PASSWORDS, metadata, ROLES);
});

test('grants follow the metadata: what it tracks is readable, the columns its permissions name are writable', () => {
  const grants = hasuraGrantsFromMetadata(metadata);
  expect(grants.select).toEqual(expect.arrayContaining(['perftool', 'perftool_1hour', 'perftool_publishers', 'viewer_config']));
  expect(grants.insert).toEqual([{ table: 'viewer_config', columns: ['comment', 'config', 'name'] }]);
  expect(grants.update).toEqual([{ table: 'viewer_config', columns: ['comment', 'config'] }]);
  expect(() => hasuraGrantsFromMetadata({ sources: [{ tables: [{ table: { schema: 'other', name: 't' } }] }] })).toThrow(/only the public schema/);
});
