/**
 * The preview's `/v1/graphql`: Hasura-shaped schema (see hasura-schema.ts; production uses Hasura itself) over the
 * project's PostgreSQL tables, with Hasura's request/response shape (HTTP 200 with `errors[].extensions.code`), and
 * Hasura's allow-list from the same metadata (lib/hasura/allow-list.ts): only the viewer's own documents run.
 */
import { DocumentNode, GraphQLError, GraphQLSchema, execute, parse, validate } from 'graphql';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool, PoolClient, types } from 'pg';
import { AllowList, allowListFromMetadata, NOT_ALLOWED } from '../hasura/allow-list';
import { Sql, TableInfo, buildHasuraSchema, permissionsFromMetadata } from './hasura-schema';

export const METADATA_PATH = join(__dirname, '..', 'hasura', 'metadata.json');

/** Column types and primary keys of the given tables, as Hasura reads them from the catalogue. */
export async function readTables(db: Pick<Pool, 'query'>, names: readonly string[]): Promise<Map<string, TableInfo>> {
  const cols = await db.query<{ table_name: string; column_name: string; udt_name: string; is_nullable: string }>(
    `SELECT table_name, column_name, udt_name, is_nullable FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = ANY($1) ORDER BY table_name, ordinal_position`,
    [names],
  );
  const pks = await db.query<{ table_name: string; column_name: string }>(
    `SELECT tc.table_name, kcu.column_name FROM information_schema.table_constraints tc
       JOIN information_schema.key_column_usage kcu USING (constraint_schema, constraint_name, table_name)
      WHERE tc.table_schema = 'public' AND tc.constraint_type = 'PRIMARY KEY' AND tc.table_name = ANY($1)
      ORDER BY kcu.ordinal_position`,
    [names],
  );
  const tables = new Map<string, TableInfo>();
  for (const c of cols.rows) {
    const t = tables.get(c.table_name) ?? { name: c.table_name, columns: [], primaryKey: [] };
    t.columns.push({ name: c.column_name, udtName: c.udt_name, nullable: c.is_nullable === 'YES' });
    tables.set(c.table_name, t);
  }
  for (const k of pks.rows) tables.get(k.table_name)?.primaryKey.push(k.column_name);
  return tables;
}

/** pg type parsers so values leave as Hasura prints them: timestamptz as ISO 8601 with offset, bigint as number. */
const TIMESTAMPTZ_OID = 1184;
const INT8_OID = 20;
export function hasuraTypeParsers() {
  return {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === TIMESTAMPTZ_OID) return (v: string) => toIsoWithOffset(v);
      if (oid === INT8_OID) return (v: string) => Number(v);
      return types.getTypeParser(oid, format);
    },
  };
}

/** "2022-03-28 18:25:55.700123+00" → "2022-03-28T18:25:55.700123+00:00" (the session runs in UTC). */
export function toIsoWithOffset(pgText: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(?::?(\d{2}))?$/.exec(pgText);
  return m ? `${m[1]}T${m[2]}${m[3]}:${m[4] ?? '00'}` : pgText;
}

export function poolSql(pool: Pool): Sql {
  return {
    query: (text, values) => pool.query(text, values),
    async transaction(work) {
      const client: PoolClient = await pool.connect();
      try {
        await client.query('BEGIN');
        const out = await work({ query: (text, values) => client.query(text, values) });
        await client.query('COMMIT');
        return out;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
  };
}

export const readMetadata = (): unknown => JSON.parse(readFileSync(METADATA_PATH, 'utf8'));

/** Builds the schema for the anonymous role from metadata.json and the database catalogue. */
export async function createHasuraStandInSchema(pool: Pool, metadata: unknown = readMetadata()): Promise<GraphQLSchema> {
  const permissions = permissionsFromMetadata(metadata);
  const tables = await readTables(pool, permissions.map((p) => p.table));
  return buildHasuraSchema(permissions, tables, poolSql(pool));
}

/** What the anonymous role meets at `/v1/graphql`: its schema and the allow-list, both from the metadata. */
export interface HasuraStandIn {
  schema: GraphQLSchema;
  allowList: AllowList;
}

export async function createHasuraStandIn(pool: Pool, metadata: unknown = readMetadata()): Promise<HasuraStandIn> {
  return { schema: await createHasuraStandInSchema(pool, metadata), allowList: allowListFromMetadata(metadata) };
}

export interface GraphqlResponse {
  data?: unknown;
  errors?: Array<{ message: string; extensions: { path: string; code: string } }>;
}

const hasuraError = (message: string, code: string) => ({ errors: [{ message, extensions: { path: '$', code } }] });

/**
 * One GraphQL-over-HTTP request body → Hasura-style response body, as the anonymous role: a document outside the
 * allow-list (introspection included) is refused before anything else, with Hasura's error.
 */
export async function runGraphqlRequest(standIn: HasuraStandIn, body: unknown): Promise<GraphqlResponse> {
  const parsed = parseRequest(body);
  if (!('document' in parsed)) return parsed;
  if (!standIn.allowList.allows(parsed.document)) return hasuraError(NOT_ALLOWED.message, NOT_ALLOWED.code);
  return executeParsed(standIn.schema, parsed);
}

/** The same without the allow-list (what Hasura does for its admin): for tests of the schema itself. */
export async function runUnlistedGraphqlRequest(schema: GraphQLSchema, body: unknown): Promise<GraphqlResponse> {
  const parsed = parseRequest(body);
  return 'document' in parsed ? executeParsed(schema, parsed) : parsed;
}

interface ParsedRequest {
  document: DocumentNode;
  variables?: Record<string, unknown>;
  operationName?: string;
}

function parseRequest(body: unknown): ParsedRequest | GraphqlResponse {
  const req = body as { query?: unknown; variables?: unknown; operationName?: unknown } | null;
  if (!req || typeof req !== 'object' || Array.isArray(req) || typeof req.query !== 'string') return hasuraError('the key "query" was not present', 'parse-failed');
  if (req.variables != null && (typeof req.variables !== 'object' || Array.isArray(req.variables))) return hasuraError('"variables" must be an object', 'parse-failed');
  if (req.operationName != null && typeof req.operationName !== 'string') return hasuraError('"operationName" must be a string', 'parse-failed');
  try {
    return {
      document: parse(req.query),
      variables: (req.variables ?? undefined) as Record<string, unknown> | undefined,
      operationName: (req.operationName ?? undefined) as string | undefined,
    };
  } catch (e) {
    return hasuraError((e as Error).message, 'validation-failed');
  }
}

async function executeParsed(schema: GraphQLSchema, { document, variables, operationName }: ParsedRequest): Promise<GraphqlResponse> {
  const problems = validate(schema, document);
  if (problems.length) return hasuraError(problems.map((p) => p.message).join('; '), 'validation-failed');
  if (document.definitions.some((d) => d.kind === 'OperationDefinition' && d.operation === 'subscription')) {
    return hasuraError('subscriptions are not served by the local preview', 'not-supported');
  }
  const result = await execute({ schema, document, variableValues: variables, operationName });
  if (result.errors?.length) {
    // Hasura answers a failed request with errors and no partial data; a database failure it did not expect is
    // "database query error" without details (those go to its log, here to nobody).
    return {
      errors: result.errors.map((e: GraphQLError) => {
        const internal = e.originalError !== undefined && !(e.originalError instanceof GraphQLError);
        return {
          message: internal ? 'database query error' : e.message,
          extensions: { path: '$' + (e.path ? '.' + e.path.join('.') : ''), code: internal ? 'unexpected' : String(e.extensions?.code ?? 'validation-failed') },
        };
      }),
    };
  }
  return { data: result.data };
}
