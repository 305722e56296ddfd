/**
 * Hasura's allow-list (HASURA_GRAPHQL_ENABLE_ALLOWLIST=true) and the anonymous role's root-field visibility, both
 * derived from the viewer's operations (viewer-assets/src/api/operations.ts, ALL_OPERATIONS).
 *
 * How Hasura v2 compares (server/src-lib/Hasura/RQL/Types/Allowlist.hs, `normalizeQuery`/`allowlistAllowsQuery`):
 * the request's whole executable document, parsed, with every `__typename` field removed, must equal one stored
 * document parsed the same way. So whitespace and commas do not matter; operation and field order, aliases,
 * operation names, variable definitions and directives do. Field arguments and object values are hash maps in
 * Hasura's AST, so their order does not matter. Introspection is refused unless a listed document asks for it.
 * `allowListKey` reproduces that comparison; the preview's stand-in uses it, so it refuses what Hasura refuses.
 */
import { ASTNode, DocumentNode, Kind, OperationTypeNode, parse, print, SelectionNode, ValueNode } from 'graphql';

/** The one query collection the viewer's operations live in (metadata `query_collections` / `allowlist`). */
export const VIEWER_COLLECTION = 'perftool-viewer';
export const ANONYMOUS_ROLE = 'anonymous';

/** Hasura's message and code for a document outside the allow-list (HTTP 200, like its other GraphQL errors). */
export const NOT_ALLOWED = { message: 'query is not allowed', code: 'validation-failed' } as const;

type Canonical = unknown;

function canonicalValue(v: ValueNode): Canonical {
  switch (v.kind) {
    case Kind.VARIABLE:
      return { $var: v.name.value };
    case Kind.INT:
    case Kind.FLOAT:
      return { $num: Number(v.value) };
    case Kind.STRING:
      return { $str: v.value };
    case Kind.BOOLEAN:
      return v.value;
    case Kind.NULL:
      return null;
    case Kind.ENUM:
      return { $enum: v.value };
    case Kind.LIST:
      return v.values.map(canonicalValue);
    case Kind.OBJECT:
      return { $obj: sortedEntries(v.fields.map((f) => [f.name.value, canonicalValue(f.value)])) };
  }
}

function sortedEntries(entries: Array<[string, Canonical]>): Array<[string, Canonical]> {
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function canonicalDirectives(node: { directives?: readonly { name: { value: string }; arguments?: readonly { name: { value: string }; value: ValueNode }[] }[] }): Canonical {
  return (node.directives ?? []).map((d) => [d.name.value, sortedEntries((d.arguments ?? []).map((a) => [a.name.value, canonicalValue(a.value)]))]);
}

function canonicalSelections(selections: readonly SelectionNode[]): Canonical[] {
  return selections.flatMap((s): Canonical[] => {
    if (s.kind === Kind.FIELD) {
      if (s.name.value === '__typename') return [];
      return [
        {
          alias: s.alias?.value ?? null,
          name: s.name.value,
          args: sortedEntries((s.arguments ?? []).map((a) => [a.name.value, canonicalValue(a.value)])),
          directives: canonicalDirectives(s),
          selections: canonicalSelections(s.selectionSet?.selections ?? []),
        },
      ];
    }
    if (s.kind === Kind.FRAGMENT_SPREAD) return [{ spread: s.name.value, directives: canonicalDirectives(s) }];
    return [{ on: s.typeCondition?.name.value ?? null, directives: canonicalDirectives(s), selections: canonicalSelections(s.selectionSet.selections) }];
  });
}

/** The comparison key of a document: equal keys ⇔ Hasura's allow-list treats the documents as the same. */
export function allowListKey(document: DocumentNode): string {
  return JSON.stringify(
    document.definitions.map((d): Canonical => {
      if (d.kind === Kind.OPERATION_DEFINITION) {
        return {
          operation: d.operation,
          name: d.name?.value ?? null,
          variables: (d.variableDefinitions ?? []).map((v) => [v.variable.name.value, print(v.type), v.defaultValue ? canonicalValue(v.defaultValue) : null, canonicalDirectives(v)]),
          directives: canonicalDirectives(d),
          selections: canonicalSelections(d.selectionSet.selections),
        };
      }
      if (d.kind === Kind.FRAGMENT_DEFINITION) {
        return { fragment: d.name.value, on: d.typeCondition.name.value, directives: canonicalDirectives(d), selections: canonicalSelections(d.selectionSet.selections) };
      }
      return { unsupported: (d as ASTNode).kind };
    }),
  );
}

export interface AllowList {
  allows(document: DocumentNode): boolean;
  readonly size: number;
}

interface QueryCollection {
  name: string;
  definition: { queries: Array<{ name: string; query: string }> };
}
interface AllowListEntry {
  collection: string;
  scope?: { global: boolean; roles?: string[] };
}

/** The allow-list a role gets from Hasura metadata (global collections, plus those scoped to the role). */
export function allowListFromMetadata(metadata: unknown, role = ANONYMOUS_ROLE): AllowList {
  const m = metadata as { query_collections?: QueryCollection[]; allowlist?: AllowListEntry[] };
  const collections = new Map((m.query_collections ?? []).map((c) => [c.name, c]));
  const keys = new Set<string>();
  for (const entry of m.allowlist ?? []) {
    const scope = entry.scope ?? { global: true };
    if (!scope.global && !(scope.roles ?? []).includes(role)) continue;
    for (const q of collections.get(entry.collection)?.definition.queries ?? []) keys.add(allowListKey(parse(q.query)));
  }
  return { allows: (document) => keys.has(allowListKey(document)), size: keys.size };
}

// ---------------------------------------------------------------------------------------------------------------
// Metadata derived from the viewer's operations.

type QueryRootField = 'select' | 'select_by_pk' | 'select_aggregate';
type SubscriptionRootField = QueryRootField | 'select_stream';
const ROOT_FIELD_ORDER: SubscriptionRootField[] = ['select', 'select_by_pk', 'select_aggregate', 'select_stream'];
const ROOT_FIELD_SUFFIX: Array<[string, SubscriptionRootField]> = [
  ['_by_pk', 'select_by_pk'],
  ['_aggregate', 'select_aggregate'],
  ['_stream', 'select_stream'],
];

interface MetadataTable {
  table: { schema: string; name: string };
  select_permissions?: Array<{ role: string; permission: Record<string, unknown> }>;
}
interface MetadataDocument {
  sources: Array<{ tables: MetadataTable[] }>;
  query_collections?: QueryCollection[];
  allowlist?: AllowListEntry[];
  [key: string]: unknown;
}

/** Which select root fields (Hasura's names) of which table the operations use, per operation type. */
export function rootFieldsUsed(operations: Record<string, string>, tables: readonly string[]): Map<string, { query: Set<string>; subscription: Set<string> }> {
  const used = new Map(tables.map((t) => [t, { query: new Set<string>(), subscription: new Set<string>() }]));
  for (const [name, text] of Object.entries(operations)) {
    for (const def of parse(text).definitions) {
      if (def.kind !== Kind.OPERATION_DEFINITION || def.operation === OperationTypeNode.MUTATION) continue;
      for (const sel of def.selectionSet.selections) {
        if (sel.kind !== Kind.FIELD || sel.name.value === '__typename') continue;
        const field = sel.name.value;
        const match = used.has(field)
          ? ([field, 'select'] as const)
          : ROOT_FIELD_SUFFIX.map(([suffix, kind]) => (field.endsWith(suffix) ? ([field.slice(0, -suffix.length), kind] as const) : undefined)).find((m) => m && used.has(m[0]));
        if (!match) throw new Error(`viewer operation ${name}: root field ${field} is not a select root field of a table the anonymous role may read`);
        const [table, kind] = match;
        if (def.operation === OperationTypeNode.QUERY && kind === 'select_stream') throw new Error(`viewer operation ${name}: ${field} exists only for subscriptions`);
        used.get(table)![def.operation === OperationTypeNode.QUERY ? 'query' : 'subscription'].add(kind);
      }
    }
  }
  return used;
}

/**
 * The metadata with the viewer's operations as its only allow-listed collection, and each anonymous select
 * permission limited to the root fields those operations use (none for a table they only reach through a
 * mutation's returned row). Everything else in the metadata is kept as it is.
 */
export function withViewerOperations(metadata: unknown, operations: Record<string, string>): MetadataDocument {
  const out = structuredClone(metadata) as MetadataDocument;
  const anonymousSelects = out.sources.flatMap((s) =>
    s.tables.flatMap((t) => (t.select_permissions ?? []).filter((p) => p.role === ANONYMOUS_ROLE).map((p) => ({ table: t.table.name, permission: p.permission }))),
  );
  const used = rootFieldsUsed(
    operations,
    anonymousSelects.map((s) => s.table),
  );
  for (const { table, permission } of anonymousSelects) {
    const u = used.get(table)!;
    permission.query_root_fields = ROOT_FIELD_ORDER.filter((f) => u.query.has(f));
    permission.subscription_root_fields = ROOT_FIELD_ORDER.filter((f) => u.subscription.has(f));
  }
  out.query_collections = [
    { name: VIEWER_COLLECTION, definition: { queries: Object.entries(operations).map(([name, query]) => ({ name, query })) } },
  ];
  out.allowlist = [{ collection: VIEWER_COLLECTION, scope: { global: true } }];
  return out;
}
