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

/**
 * Health of the dashboard's publishers (perftool_publisher_health, sql/migrations/004) and the records the server
 * rejected in the last 24 h per publisher name read from them (perftool_rejections_24h: counts only, never bytes).
 */
export const PUBLISHER_HEALTH = `query PublisherHealth($publishers: [String!]!) {
  health: perftool_publisher_health(where: {publisher: {_in: $publishers}}, order_by: [{publisher: asc}]) {
    publisher last_seen result_count results_last_hour usual_interval_seconds silent_seconds
  }
  rejected: perftool_rejections_24h(where: {publisher: {_in: $publishers}}) { publisher rejected_count last_rejected_at }
  unattributed: perftool_rejections_24h(where: {attributed: {_eq: false}}) { rejected_count last_rejected_at }
}`;

/** Every stored column of the raw results, for "Export raw results". */
export const RAW_FIELDS = [
  'timestamp', 'publisher', 'thread_number', 'window_start', 'window_end',
  ...ALL_FIELDS,
  'reader_msg_count', 'writer_msg_count', 'reader_msg_size_avg', 'writer_msg_size_avg',
] as const;

/**
 * One page of raw results, oldest first in a total order (time, then columns that tell same-time results apart), so
 * the next page can start at the last time of this one and skip the rows already read (export.ts).
 */
export const RAW_RESULTS = `query RawResults($publisher: String!, $from: timestamptz!, $to: timestamptz!, $limit: Int!) {
  rows: perftool(
    where: {publisher: {_eq: $publisher}, timestamp: {_gte: $from, _lte: $to}}
    order_by: [{timestamp: asc}, {thread_number: asc}, {window_end: asc}, {writer_bytes_rate: asc}, {reader_bytes_rate: asc}]
    limit: $limit
  ) { ${RAW_FIELDS.join(' ')} }
}`;

export const ALL_OPERATIONS: Record<string, string> = {
  PUBLISHERS,
  PUBLISHER_HEALTH,
  RAW_RESULTS,
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

export interface HealthRow {
  publisher: string;
  last_seen: string | null;
  result_count: number | null;
  results_last_hour: number | null;
  usual_interval_seconds: number | null;
  silent_seconds: number | null;
}

export interface RejectedRow {
  publisher?: string | null;
  rejected_count: number;
  last_rejected_at: string | null;
}

export interface HealthData {
  health: HealthRow[];
  rejected: RejectedRow[];
  unattributed: RejectedRow[];
}
