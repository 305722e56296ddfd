/**
 * The database roles the services connect as, created and kept in shape by db-init (the master user) after every
 * migration run. All grants live here, in one place:
 * - perftool_hasura (Hasura): SELECT on every relation lib/hasura/metadata.json tracks, INSERT/UPDATE on exactly the
 *   columns its insert/update permissions name (viewer_config), owner of Hasura's own catalogue (hdb_catalog);
 *   a statement timeout and a connection limit. A relation a later migration adds is granted by tracking it in the
 *   metadata, nothing else.
 * - perftool_sink (the sink Lambda): SELECT/INSERT/UPDATE on the results tables (every table of the schema except
 *   viewer_config and schema_migrations), temporary tables for its staging; no DDL, no deletes.
 * Neither may create anything in the schema. Passwords come from Secrets Manager and reach PostgreSQL only as
 * SCRAM-SHA-256 verifiers, so no statement (or log line) ever holds one.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { type ClientBase, escapeIdentifier as ident, escapeLiteral as literal } from 'pg';

export const HASURA_ROLE = 'perftool_hasura';
export const SINK_ROLE = 'perftool_sink';

/** Tables only the master (migrations, db-init) writes, never the sink. */
const NOT_FOR_THE_SINK = ['viewer_config', 'schema_migrations'];

/**
 * Hasura's statement timeout: the viewer's longest read (20,000 rows) takes well under a second; anything running
 * for 10 s is a request to cut off, not to wait for (the viewer itself gives up after 15 s).
 */
export const HASURA_STATEMENT_TIMEOUT = '10s';
/**
 * Each Hasura task opens at most 8 connections for the source (metadata.json pool_settings) and 8 for its metadata
 * (HASURA_GRAPHQL_PG_CONNECTIONS); a rolling deployment runs two tasks for a while. 40 leaves a little headroom and
 * keeps Hasura from taking a db.t4g.micro's connections away from the sink and db-init.
 */
export const HASURA_CONNECTION_LIMIT = 40;
/** One connection per concurrent sink invocation; more would only queue on the same rows. */
export const SINK_CONNECTION_LIMIT = 20;

export interface RolePasswords {
  hasura: string;
  sink: string;
}

/** The role names; only tests pass others (roles belong to the whole server, which parallel tests share). */
export interface RoleNames {
  hasura: string;
  sink: string;
}
export const ROLE_NAMES: RoleNames = { hasura: HASURA_ROLE, sink: SINK_ROLE };

/** What Hasura may touch, read from its metadata: the relations it serves and the columns it may write. */
export interface HasuraGrants {
  select: string[];
  insert: Array<{ table: string; columns: string[] }>;
  update: Array<{ table: string; columns: string[] }>;
}

interface MetadataTable {
  table: { schema: string; name: string };
  insert_permissions?: Array<{ permission: { columns: string[] } }>;
  update_permissions?: Array<{ permission: { columns: string[] } }>;
}

export function hasuraGrantsFromMetadata(metadata: unknown): HasuraGrants {
  const tables = ((metadata as { sources: Array<{ tables: MetadataTable[] }> }).sources ?? []).flatMap((s) => s.tables);
  const columnsOf = (perms: Array<{ permission: { columns: string[] } }> | undefined) => [...new Set((perms ?? []).flatMap((p) => p.permission.columns))].sort();
  for (const t of tables) if (t.table.schema !== 'public') throw new Error(`metadata tracks ${t.table.schema}.${t.table.name}: only the public schema is granted`);
  return {
    select: tables.map((t) => t.table.name),
    insert: tables.filter((t) => columnsOf(t.insert_permissions).length).map((t) => ({ table: t.table.name, columns: columnsOf(t.insert_permissions) })),
    update: tables.filter((t) => columnsOf(t.update_permissions).length).map((t) => ({ table: t.table.name, columns: columnsOf(t.update_permissions) })),
  };
}

/**
 * PostgreSQL's SCRAM-SHA-256 verifier for a password (RFC 5802/7677, as libpq's PQencryptPasswordConn makes it):
 * what the server stores, from which the password cannot be recovered.
 */
export function scramSha256Verifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** Creates the role if needed and (re)sets its attributes and password: safe to run any number of times. */
async function ensureLoginRole(client: ClientBase, role: string, password: string, connectionLimit: number): Promise<void> {
  if (!password) throw new Error(`the password secret of ${role} is empty`);
  const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  if (!rowCount) await client.query(`CREATE ROLE ${ident(role)}`);
  await client.query(
    `ALTER ROLE ${ident(role)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT ${connectionLimit} PASSWORD ${literal(scramSha256Verifier(password))}`,
  );
}

/** The statements that grant (and take back) what each role may do; run after the migrations, in one transaction. */
export function grantStatements(
  hasura: HasuraGrants,
  sinkTables: readonly string[],
  hasuraSequences: readonly string[],
  database: string,
  roles: RoleNames = ROLE_NAMES,
): string[] {
  const h = ident(roles.hasura);
  const s = ident(roles.sink);
  return [
    // Nobody but the owner creates objects in the schema (PostgreSQL < 15 lets every role do so by default).
    'REVOKE CREATE ON SCHEMA public FROM PUBLIC',
    `GRANT CONNECT ON DATABASE ${ident(database)} TO ${h}, ${s}`,
    `GRANT TEMPORARY ON DATABASE ${ident(database)} TO ${s}`,
    `GRANT USAGE ON SCHEMA public TO ${h}, ${s}`,
    // Start from nothing on every run, so a permission removed from the metadata is taken back too.
    `REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${h}, ${s}`,
    `REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${h}, ${s}`,
    ...hasura.select.map((t) => `GRANT SELECT ON ${ident(t)} TO ${h}`),
    ...hasura.insert.map(({ table, columns }) => `GRANT INSERT (${columns.map(ident).join(', ')}) ON ${ident(table)} TO ${h}`),
    // The serial ids of the rows it inserts.
    ...hasuraSequences.map((seq) => `GRANT USAGE ON SEQUENCE ${seq} TO ${h}`),
    ...hasura.update.map(({ table, columns }) => `GRANT UPDATE (${columns.map(ident).join(', ')}) ON ${ident(table)} TO ${h}`),
    ...sinkTables.map((t) => `GRANT SELECT, INSERT, UPDATE ON ${ident(t)} TO ${s}`),
    `ALTER ROLE ${h} SET statement_timeout = ${literal(HASURA_STATEMENT_TIMEOUT)}`,
    `ALTER ROLE ${h} SET idle_in_transaction_session_timeout = '60s'`,
  ];
}

/**
 * Hasura keeps its metadata in the schema hdb_catalog of this database and migrates it on upgrades, so it owns that
 * schema and everything in it. A deployment that ran Hasura as the master user has the schema already, owned by the
 * master: ownership moves over (which needs membership in the new owner's role). pgcrypto, which Hasura's catalogue
 * uses and would try to create, is created here because creating an extension needs more than Hasura's role has.
 */
const hasuraCatalogSql = (role: string) => `
DO $$
DECLARE
  o record;
BEGIN
  EXECUTE format('GRANT %I TO %I', ${literal(role)}, current_user);
  CREATE EXTENSION IF NOT EXISTS pgcrypto;
  CREATE SCHEMA IF NOT EXISTS hdb_catalog;
  ALTER SCHEMA hdb_catalog OWNER TO ${ident(role)};
  FOR o IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
            WHERE c.relnamespace = 'hdb_catalog'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
              AND c.relowner <> ${literal(role)}::regrole LOOP
    EXECUTE format('ALTER %s %s OWNER TO ${ident(role)}',
      CASE o.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, o.name);
  END LOOP;
  -- Sequences a column owns moved with their table; the others move here.
  FOR o IN SELECT c.oid::regclass AS name FROM pg_class c
            WHERE c.relnamespace = 'hdb_catalog'::regnamespace AND c.relkind = 'S' AND c.relowner <> ${literal(role)}::regrole
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')) LOOP
    EXECUTE format('ALTER SEQUENCE %s OWNER TO ${ident(role)}', o.name);
  END LOOP;
  FOR o IN SELECT p.oid::regprocedure AS name, p.prokind FROM pg_proc p
            WHERE p.pronamespace = 'hdb_catalog'::regnamespace AND p.proowner <> ${literal(role)}::regrole LOOP
    EXECUTE format('ALTER %s %s OWNER TO ${ident(role)}', CASE o.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END, o.name);
  END LOOP;
  FOR o IN SELECT t.oid::regtype AS name, t.typtype FROM pg_type t
            WHERE t.typnamespace = 'hdb_catalog'::regnamespace AND t.typtype IN ('e', 'd', 'r') AND t.typowner <> ${literal(role)}::regrole LOOP
    EXECUTE format('ALTER %s %s OWNER TO ${ident(role)}', CASE o.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, o.name);
  END LOOP;
END $$`;

/** Creates/updates both roles, Hasura's catalogue and every grant. Runs in one transaction. */
export async function applyRoles(client: ClientBase, passwords: RolePasswords, metadata: unknown, roles: RoleNames = ROLE_NAMES): Promise<void> {
  const grants = hasuraGrantsFromMetadata(metadata);
  await client.query('BEGIN');
  try {
    await ensureLoginRole(client, roles.hasura, passwords.hasura, HASURA_CONNECTION_LIMIT);
    await ensureLoginRole(client, roles.sink, passwords.sink, SINK_CONNECTION_LIMIT);
    const sinkTables = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND NOT (table_name = ANY($1)) ORDER BY table_name`,
      [NOT_FOR_THE_SINK],
    );
    const sequences = await client.query<{ seq: string }>(
      `SELECT DISTINCT s.oid::regclass::text AS seq FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
        WHERE d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
          AND d.refobjid = ANY (SELECT to_regclass(quote_ident(t)) FROM unnest($1::text[]) AS t) ORDER BY 1`,
      [grants.insert.map((i) => i.table)],
    );
    const database = (await client.query<{ d: string }>('SELECT current_database() AS d')).rows[0].d;
    const statements = grantStatements(
      grants,
      sinkTables.rows.map((r) => r.table_name),
      sequences.rows.map((r) => r.seq),
      database,
      roles,
    );
    for (const sql of statements) await client.query(sql);
    await client.query(hasuraCatalogSql(roles.hasura));
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new Error(`database roles: ${(err as Error).message}`, { cause: err });
  }
}
