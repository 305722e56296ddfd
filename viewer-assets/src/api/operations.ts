/**
 * Every GraphQL operation the viewer sends, as fixed documents: user input only ever travels in variables.
 * Only what Hasura's anonymous role allows (lib/hasura/metadata.json); test/viewer/graphql-standin.test.ts validates
 * each document against the preview's Hasura-shaped schema.
 */
import type { Source } from '../model/source';
import { ALL_FIELDS, mergeRows, ResultRow } from '../model/series';

export const PUBLISHERS = `query Publishers {
  perftool_publishers(order_by: [{publisher: asc}]) { publisher first_seen last_seen result_count }
}`;

/**
 * Results of one publisher in [from, to], newest first (so a row limit cuts the oldest, not the newest). The viewer
 * sends one per publisher, in parallel, so Hasura's row limit applies to each publisher rather than to all of them.
 * Live refresh uses the same document with `from` = that publisher's newest held row minus an overlap. Bucket
 * views also give `result_count`, the weight for merging buckets in the browser (series.ts thinRows).
 */
export function resultsQuery(table: Source['table']): string {
  const fields = [...ALL_FIELDS, ...(table === 'perftool' ? [] : ['result_count'])];
  return `query Results($publisher: String!, $from: timestamptz!, $to: timestamptz!, $limit: Int!) {
  rows: ${table}(
    where: {publisher: {_eq: $publisher}, timestamp: {_gte: $from, _lte: $to}}
    order_by: [{timestamp: desc}]
    limit: $limit
  ) { timestamp publisher ${fields.join(' ')} }
}`;
}

/** Rows asked for per query: Hasura's anonymous row limit for the result tables (metadata.json). */
export const RESULT_ROW_LIMIT = 20000;

export const CONFIG_NAMES = `query ConfigNames {
  viewer_config(order_by: [{name: asc}]) { id name comment }
}`;

export const CONFIG_BY_ID = `query ConfigById($id: Int!) {
  viewer_config_by_pk(id: $id) { id name comment config }
}`;

export const CONFIG_BY_NAME = `query ConfigByName($name: String!) {
  viewer_config(where: {name: {_eq: $name}}) { id name comment config }
}`;

export const INSERT_CONFIG = `mutation InsertConfig($object: viewer_config_insert_input!) {
  insert_viewer_config_one(object: $object) { id name }
}`;

/** Returns null when the row may not be updated (the anonymous role cannot change `default`). */
export const UPDATE_CONFIG = `mutation UpdateConfig($id: Int!, $set: viewer_config_set_input!) {
  update_viewer_config_by_pk(pk_columns: {id: $id}, _set: $set) { id name }
}`;

export const ALL_OPERATIONS: Record<string, string> = {
  PUBLISHERS,
  CONFIG_NAMES,
  CONFIG_BY_ID,
  CONFIG_BY_NAME,
  INSERT_CONFIG,
  UPDATE_CONFIG,
  RESULTS_perftool: resultsQuery('perftool'),
  RESULTS_perftool_30sec: resultsQuery('perftool_30sec'),
  RESULTS_perftool_1min: resultsQuery('perftool_1min'),
  RESULTS_perftool_2min: resultsQuery('perftool_2min'),
  RESULTS_perftool_10min: resultsQuery('perftool_10min'),
  RESULTS_perftool_1hour: resultsQuery('perftool_1hour'),
};

export interface PublisherStats {
  publisher: string;
  first_seen: string | null;
  last_seen: string | null;
  result_count: number | null;
}

export interface ConfigSummary {
  id: number;
  name: string;
  comment: string | null;
}

export interface ConfigRow extends ConfigSummary {
  config: unknown;
}

/**
 * Reads each publisher's results in [fromMs, toMs] from one source, one request per publisher in parallel; rows come
 * back merged, oldest first. `truncated` names the publishers whose read hit the row limit (their oldest rows are cut).
 */
export async function fetchResults(
  client: { request<T>(q: string, v?: Record<string, unknown>): Promise<T> },
  table: Source['table'],
  reads: ReadonlyArray<{ publisher: string; fromMs: number }>,
  toMs: number,
): Promise<{ rows: ResultRow[]; truncated: string[] }> {
  const results = await Promise.all(
    reads.map(({ publisher, fromMs }) =>
      client.request<{ rows: ResultRow[] }>(resultsQuery(table), {
        publisher,
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        limit: RESULT_ROW_LIMIT,
      }),
    ),
  );
  return {
    rows: mergeRows([], results.flatMap((r) => r.rows)),
    truncated: reads.filter((_, i) => results[i].rows.length >= RESULT_ROW_LIMIT).map((r) => r.publisher),
  };
}
