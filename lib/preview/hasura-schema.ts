/**
 * LOCAL STAND-IN FOR HASURA. Production serves the viewer's GraphQL API with Hasura GraphQL Engine v2; Hasura
 * cannot run here, so the local preview answers `/v1/graphql` with this schema instead.
 *
 * It implements exactly the part of Hasura's generated schema the viewer uses, for the anonymous role of
 * lib/hasura/metadata.json, with Hasura's names, argument shapes and types:
 * - per table with a select permission: `<table>(where: <table>_bool_exp, order_by: [<table>_order_by!], limit: Int)`
 *   and `<table>_by_pk(<pk columns>)` when the table has a primary key;
 * - per insert permission: `insert_<table>_one(object: <table>_insert_input!)`;
 * - per update permission: `update_<table>_by_pk(pk_columns: <table>_pk_columns_input!, _set: <table>_set_input)`;
 * - `<table>_bool_exp` over the permitted columns with `<scalar>_comparison_exp` (`_eq _neq _gt _gte _lt _lte _in`),
 *   `order_by` with `asc`/`desc`; scalars named as Hasura names them (timestamptz, float8, bigint, jsonb, Int, String).
 * Permissions come from the metadata: permitted columns, the row limit (caps `limit`), the root fields a select
 * permission exposes (`query_root_fields`) and the update filter/check.
 * Column types and nullability come from the database, as Hasura derives them.
 * Not implemented (the viewer does not use them): offset, distinct_on, aggregates, subscriptions, _and/_or/_not
 * in client filters, on_conflict, _inc and the other update operators.
 */
import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLError,
  GraphQLFieldConfigMap,
  GraphQLInputFieldConfigMap,
  GraphQLInputObjectType,
  GraphQLInputType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLOutputType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  Kind,
  ValueNode,
  valueFromASTUntyped,
} from 'graphql';

export interface ColumnInfo {
  name: string;
  /** PostgreSQL type name as in information_schema.columns.udt_name (int4, float8, timestamptz, …). */
  udtName: string;
  nullable: boolean;
}

export interface TableInfo {
  name: string;
  columns: ColumnInfo[];
  primaryKey: string[];
}

type BoolExp = Record<string, unknown>;

export interface SelectPermission {
  columns: string[];
  filter: BoolExp;
  limit?: number;
  /** Hasura's root-field visibility: absent or null exposes every select root field, a list only those named. */
  query_root_fields?: string[] | null;
}
export interface InsertPermission {
  columns: string[];
  check: BoolExp;
}
export interface UpdatePermission {
  columns: string[];
  filter: BoolExp;
  check?: BoolExp;
}

export interface TablePermissions {
  table: string;
  select?: SelectPermission;
  insert?: InsertPermission;
  update?: UpdatePermission;
}

export const ROLE = 'anonymous';

interface MetadataTable {
  table: { schema: string; name: string };
  select_permissions?: Array<{ role: string; permission: SelectPermission }>;
  insert_permissions?: Array<{ role: string; permission: InsertPermission }>;
  update_permissions?: Array<{ role: string; permission: UpdatePermission }>;
}

/** The anonymous role's permissions per tracked table, read from Hasura metadata (v3 export format). */
export function permissionsFromMetadata(metadata: unknown, role = ROLE): TablePermissions[] {
  const sources = (metadata as { sources?: Array<{ tables?: MetadataTable[] }> }).sources;
  if (!Array.isArray(sources)) throw new Error('Hasura metadata: no "sources" list');
  return sources.flatMap((s) =>
    (s.tables ?? []).map((t) => ({
      table: t.table.name,
      select: t.select_permissions?.find((p) => p.role === role)?.permission,
      insert: t.insert_permissions?.find((p) => p.role === role)?.permission,
      update: t.update_permissions?.find((p) => p.role === role)?.permission,
    })),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Scalars, named and serialised as Hasura does.

const floatScalar = (name: string) =>
  new GraphQLScalarType({
    name,
    serialize: (v) => (v === null ? null : Number(v)),
    parseValue: (v) => {
      if (typeof v !== 'number') throw new GraphQLError(`expected a number for type "${name}"`);
      return v;
    },
    parseLiteral: (ast) => {
      if (ast.kind !== Kind.INT && ast.kind !== Kind.FLOAT) throw new GraphQLError(`expected a number for type "${name}"`);
      return Number(ast.value);
    },
  });

const stringScalar = (name: string, check?: (s: string) => boolean) =>
  new GraphQLScalarType({
    name,
    serialize: (v) => v,
    parseValue: (v) => {
      if (typeof v !== 'string' || (check && !check(v))) throw new GraphQLError(`invalid value for type "${name}"`);
      return v;
    },
    parseLiteral: (ast) => {
      if (ast.kind !== Kind.STRING || (check && !check(ast.value))) throw new GraphQLError(`invalid value for type "${name}"`);
      return ast.value;
    },
  });

const timestamptz = stringScalar('timestamptz', (s) => !Number.isNaN(Date.parse(s)));
const jsonb = new GraphQLScalarType({
  name: 'jsonb',
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: (ast: ValueNode, variables) => valueFromASTUntyped(ast, variables),
});

const SCALARS: Record<string, GraphQLScalarType> = {
  int4: GraphQLInt,
  int2: GraphQLInt,
  text: GraphQLString,
  varchar: GraphQLString,
  bool: GraphQLBoolean,
  float8: floatScalar('float8'),
  float4: floatScalar('float4'),
  numeric: floatScalar('numeric'),
  // Hasura v2 returns bigint as a JSON number unless told to stringify numeric types.
  int8: floatScalar('bigint'),
  timestamptz,
  jsonb,
};

function scalarFor(c: ColumnInfo): GraphQLScalarType {
  const s = SCALARS[c.udtName];
  if (!s) throw new Error(`column ${c.name}: PostgreSQL type ${c.udtName} is not supported by the preview stand-in`);
  return s;
}

const orderBy = new GraphQLEnumType({
  name: 'order_by',
  description: 'column ordering options',
  values: { asc: { value: 'asc' }, desc: { value: 'desc' } },
});

// ---------------------------------------------------------------------------------------------------------------
// SQL generation (pure, parameterised; identifiers come from metadata and the catalogue, never from requests).

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

const OPERATORS: Record<string, string> = { _eq: '=', _neq: '<>', _gt: '>', _gte: '>=', _lt: '<', _lte: '<=' };

export class SqlParams {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/** Hasura boolean expression → SQL condition. Used for request `where` and for permission filters alike. */
export function boolExpToSql(exp: BoolExp | undefined | null, columns: ReadonlySet<string>, params: SqlParams): string {
  if (!exp) return 'TRUE';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(exp)) {
    if (key === '_and' || key === '_or') {
      const list = (value as BoolExp[]).map((e) => `(${boolExpToSql(e, columns, params)})`);
      parts.push(list.length ? list.join(key === '_and' ? ' AND ' : ' OR ') : key === '_and' ? 'TRUE' : 'FALSE');
    } else if (key === '_not') {
      parts.push(`NOT (${boolExpToSql(value as BoolExp, columns, params)})`);
    } else {
      if (!columns.has(key)) throw new GraphQLError(`field '${key}' not found in type: bool_exp`);
      for (const [op, operand] of Object.entries(value as Record<string, unknown>)) {
        if (operand === undefined) continue;
        const col = ident(key);
        if (op === '_in') {
          const list = operand as unknown[];
          parts.push(list.length ? `${col} = ANY(${params.add(list)})` : 'FALSE');
        } else if (OPERATORS[op]) {
          // Hasura treats `_eq: null` as "no condition".
          if (operand !== null) parts.push(`${col} ${OPERATORS[op]} ${params.add(operand)}`);
        } else throw new GraphQLError(`unsupported operator ${op}`);
      }
    }
  }
  return parts.length ? parts.map((p) => `(${p})`).join(' AND ') : 'TRUE';
}

export interface SelectArgs {
  where?: BoolExp | null;
  order_by?: Array<Record<string, 'asc' | 'desc'>> | Record<string, 'asc' | 'desc'> | null;
  limit?: number | null;
}

/** SELECT for a root list field: request filter AND permission filter, ordering, and the row limit cap. */
export function selectSql(table: string, permission: SelectPermission, fields: readonly string[], args: SelectArgs): { text: string; values: unknown[] } {
  const params = new SqlParams();
  const allowed = new Set(permission.columns);
  const where = `(${boolExpToSql(args.where, allowed, params)}) AND (${boolExpToSql(permission.filter, new Set(allowedAll(permission)), params)})`;
  const orderList = args.order_by == null ? [] : Array.isArray(args.order_by) ? args.order_by : [args.order_by];
  const order = orderList.flatMap((o) =>
    Object.entries(o).map(([col, dir]) => {
      if (!allowed.has(col)) throw new GraphQLError(`field '${col}' not found in type: order_by`);
      return `${ident(col)} ${dir === 'desc' ? 'DESC NULLS FIRST' : 'ASC NULLS LAST'}`;
    }),
  );
  if (args.limit != null && args.limit < 0) throw new GraphQLError('unexpected negative value for limit');
  const cap = permission.limit;
  const limit = args.limit == null ? cap : cap == null ? args.limit : Math.min(args.limit, cap);
  const text =
    `SELECT ${selectList(fields)} FROM ${ident(table)} WHERE ${where}` +
    (order.length ? ` ORDER BY ${order.join(', ')}` : '') +
    (limit != null ? ` LIMIT ${params.add(limit)}` : '');
  return { text, values: params.values };
}

/** Permission filters may name any column of the table, not just the permitted ones. */
function allowedAll(p: { columns: string[]; filter: BoolExp }): string[] {
  return [...p.columns, ...Object.keys(p.filter).filter((k) => !k.startsWith('_'))];
}

function selectList(fields: readonly string[]): string {
  return fields.length ? fields.map(ident).join(', ') : '1';
}

// ---------------------------------------------------------------------------------------------------------------

export interface Sql {
  query(text: string, values: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
  /** Runs `work` on one connection inside BEGIN … COMMIT (ROLLBACK when it throws). */
  transaction<T>(work: (tx: Pick<Sql, 'query'>) => Promise<T>): Promise<T>;
}

/** Builds the GraphQL schema; resolvers run parameterised SQL through `sql`. */
export function buildHasuraSchema(permissions: readonly TablePermissions[], tables: ReadonlyMap<string, TableInfo>, sql: Sql): GraphQLSchema {
  const queryFields: GraphQLFieldConfigMap<unknown, unknown> = {};
  const mutationFields: GraphQLFieldConfigMap<unknown, unknown> = {};
  const comparisonTypes = new Map<string, GraphQLInputObjectType>();

  const comparisonFor = (scalar: GraphQLScalarType) => {
    let t = comparisonTypes.get(scalar.name);
    if (!t) {
      const fields: GraphQLInputFieldConfigMap = {};
      for (const op of Object.keys(OPERATORS)) fields[op] = { type: scalar };
      fields._in = { type: new GraphQLList(new GraphQLNonNull(scalar)) };
      t = new GraphQLInputObjectType({
        name: `${scalar.name}_comparison_exp`,
        description: `Boolean expression to compare columns of type "${scalar.name}". All fields are combined with logical 'AND'.`,
        fields,
      });
      comparisonTypes.set(scalar.name, t);
    }
    return t;
  };

  for (const perm of permissions) {
    const info = tables.get(perm.table);
    if (!info) throw new Error(`table ${perm.table} is tracked in the Hasura metadata but does not exist in the database`);
    const column = (name: string) => {
      const c = info.columns.find((x) => x.name === name);
      if (!c) throw new Error(`metadata permits column ${perm.table}.${name}, which does not exist`);
      return c;
    };
    const select = perm.select;
    if (!select) continue; // Without select, Hasura exposes neither the type nor mutations' returning fields.
    const selectable = select.columns.map(column);
    const objectType = new GraphQLObjectType({
      name: perm.table,
      description: `columns and relationships of "${perm.table}"`,
      fields: Object.fromEntries(
        selectable.map((c) => {
          const t: GraphQLOutputType = c.nullable ? scalarFor(c) : new GraphQLNonNull(scalarFor(c));
          return [c.name, { type: t }];
        }),
      ),
    });
    const boolExp: GraphQLInputObjectType = new GraphQLInputObjectType({
      name: `${perm.table}_bool_exp`,
      description: `Boolean expression to filter rows from the table "${perm.table}". All fields are combined with a logical 'AND'.`,
      fields: () => Object.fromEntries(selectable.map((c) => [c.name, { type: comparisonFor(scalarFor(c)) }])),
    });
    const orderByType = new GraphQLInputObjectType({
      name: `${perm.table}_order_by`,
      description: `Ordering options when selecting data from "${perm.table}".`,
      fields: Object.fromEntries(selectable.filter((c) => c.udtName !== 'jsonb').map((c) => [c.name, { type: orderBy }])),
    });
    // Every permitted column is read; graphql-js then returns the ones asked for (aliases and fragments included).
    const fields = select.columns;

    const exposes = (rootField: string) => select.query_root_fields == null || select.query_root_fields.includes(rootField);
    if (exposes('select')) queryFields[perm.table] = {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(objectType))),
      description: `fetch data from the table: "${perm.table}"`,
      args: {
        where: { type: boolExp, description: 'filter the rows returned' },
        order_by: { type: new GraphQLList(new GraphQLNonNull(orderByType)), description: 'sort the rows by one or more columns' },
        limit: { type: GraphQLInt, description: 'limit the number of rows returned' },
      },
      resolve: async (_src, args: SelectArgs) => {
        const q = selectSql(perm.table, select, fields, args);
        return (await sql.query(q.text, q.values)).rows;
      },
    };

    const pkSelectable = info.primaryKey.length > 0 && info.primaryKey.every((k) => select.columns.includes(k));
    const pkArgs = Object.fromEntries(info.primaryKey.map((k) => [k, { type: new GraphQLNonNull(scalarFor(column(k))) }]));
    const pkWhere = (args: Record<string, unknown>) => Object.fromEntries(info.primaryKey.map((k) => [k, { _eq: args[k] }]));
    if (pkSelectable && exposes('select_by_pk')) {
      queryFields[`${perm.table}_by_pk`] = {
        type: objectType,
        description: `fetch data from the table: "${perm.table}" using primary key columns`,
        args: pkArgs,
        resolve: async (_src, args: Record<string, unknown>) => {
          const q = selectSql(perm.table, select, fields, { where: pkWhere(args) });
          return (await sql.query(q.text, q.values)).rows[0] ?? null;
        },
      };
    }

    const allColumns = new Set(info.columns.map((c) => c.name));
    const returning = (cols: readonly string[]) => selectList(cols);

    if (perm.insert) {
      const insert = perm.insert;
      const insertInput = new GraphQLInputObjectType({
        name: `${perm.table}_insert_input`,
        description: `input type for inserting data into table "${perm.table}"`,
        fields: Object.fromEntries(insert.columns.map((n) => [n, { type: scalarFor(column(n)) as GraphQLInputType }])),
      });
      mutationFields[`insert_${perm.table}_one`] = {
        type: objectType,
        description: `insert a single row into the table: "${perm.table}"`,
        args: { object: { type: new GraphQLNonNull(insertInput), description: 'the row to be inserted' } },
        resolve: async (_src, args: { object: Record<string, unknown> }) => {
          const cols = Object.keys(args.object);
          const params = new SqlParams();
          const values = cols.map((c) => params.add(jsonParam(column(c), args.object[c])));
          const check = boolExpToSql(insert.check, allColumns, params);
          const text =
            `WITH ins AS (INSERT INTO ${ident(perm.table)} (${cols.map(ident).join(', ')}) VALUES (${values.join(', ')}) RETURNING *) ` +
            `SELECT (${check}) AS "__check", ${returning(fields)} FROM ins`;
          const row = await runMutation(sql, text, params.values);
          return row;
        },
      };
    }

    if (perm.update && pkSelectable) {
      const update = perm.update;
      const setInput = new GraphQLInputObjectType({
        name: `${perm.table}_set_input`,
        description: `input type for updating data in table "${perm.table}"`,
        fields: Object.fromEntries(update.columns.map((n) => [n, { type: scalarFor(column(n)) as GraphQLInputType }])),
      });
      const pkInput = new GraphQLInputObjectType({
        name: `${perm.table}_pk_columns_input`,
        description: `primary key columns input for table: ${perm.table}`,
        fields: pkArgs,
      });
      mutationFields[`update_${perm.table}_by_pk`] = {
        type: objectType,
        args: { pk_columns: { type: new GraphQLNonNull(pkInput) }, _set: { type: setInput, description: 'sets the columns of the filtered rows to the given values' } },
        resolve: async (_src, args: { pk_columns: Record<string, unknown>; _set?: Record<string, unknown> | null }) => {
          const set = args._set ?? {};
          const params = new SqlParams();
          const assignments = Object.keys(set).map((c) => `${ident(c)} = ${params.add(jsonParam(column(c), set[c]))}`);
          // A row outside the update filter is "not found": Hasura answers null, not an error.
          const where = `(${boolExpToSql(pkWhere(args.pk_columns), allColumns, params)}) AND (${boolExpToSql(update.filter, allColumns, params)})`;
          const check = boolExpToSql(update.check ?? {}, allColumns, params);
          const target = assignments.length ? assignments.join(', ') : `${ident(info.primaryKey[0])} = ${ident(info.primaryKey[0])}`;
          const text = `WITH upd AS (UPDATE ${ident(perm.table)} SET ${target} WHERE ${where} RETURNING *) SELECT (${check}) AS "__check", ${returning(fields)} FROM upd`;
          return runMutation(sql, text, params.values);
        },
      };
    }
  }

  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'query_root', fields: queryFields }),
    mutation: Object.keys(mutationFields).length ? new GraphQLObjectType({ name: 'mutation_root', fields: mutationFields }) : undefined,
  });
}

/** jsonb values go to pg as JSON text (pg would turn a JS array into a PostgreSQL array). */
function jsonParam(c: ColumnInfo, v: unknown): unknown {
  return c.udtName === 'jsonb' && v !== null && v !== undefined ? JSON.stringify(v) : v;
}

/** Runs a mutation in a transaction and rolls back when the permission check fails, as Hasura does. */
async function runMutation(sql: Sql, text: string, values: unknown[]): Promise<Record<string, unknown> | null> {
  try {
    return await sql.transaction(async (tx) => {
      const rows = (await tx.query(text, values)).rows;
      if (rows.some((r) => r.__check !== true)) {
        throw new GraphQLError('check constraint of an insert/update permission has failed', { extensions: { code: 'permission-error' } });
      }
      if (!rows[0]) return null;
      const { __check: _ignored, ...row } = rows[0];
      return row;
    });
  } catch (e) {
    const pg = e as { code?: string; message: string };
    if (pg.code === '23505') throw new GraphQLError(`Uniqueness violation. ${pg.message}`, { extensions: { code: 'constraint-violation' } });
    if (pg.code === '23502') throw new GraphQLError(`Not-NULL violation. ${pg.message}`, { extensions: { code: 'constraint-violation' } });
    // Hasura files a check violation (a CHECK constraint, or a trigger raising check_violation) as a permission error.
    if (pg.code === '23514') throw new GraphQLError(`Check constraint violation. ${pg.message}`, { extensions: { code: 'permission-error' } });
    throw e;
  }
}
