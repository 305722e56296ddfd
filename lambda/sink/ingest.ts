/**
 * Writes one batch of Kafka records in one transaction with a fixed number of round trips (BEGIN, COPY of the
 * results into a staging table, one set-based statement, COMMIT; no per-row triggers). The statement stores the
 * new raw messages and, only for those newly stored (so a redelivery counts nothing twice), the `perftool` rows,
 * the time buckets and the publisher summary; plus the rejections.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ClientBase } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { decodeRecord, type KafkaRecord, type RejectedRow, type ResultRow, type ServingValues } from './decode-record';

export interface BatchOutcome {
  /** Records in the batch (repeats of the same Kafka coordinates within the batch count once). */
  records: number;
  /** Results stored by this call. */
  stored: number;
  /** Records rejected by this call (kept in perftool_rejected with the reason). */
  rejected: number;
  /** Records already stored or rejected by an earlier delivery: nothing changed for them. */
  duplicates: number;
}

export interface PreparedBatch {
  results: ResultRow[];
  rejections: RejectedRow[];
}

/**
 * Bucket widths behind perftool_30sec, _1min, _2min, _10min. Each is a multiple of 30 s, so the statement
 * aggregates the batch into 30-second partial sums once and rolls those up into the wider buckets.
 */
export const BUCKET_WIDTHS_SECONDS = [30, 60, 120, 600] as const;

/** The 8 charted metrics: each gets a sum and a non-null count in the buckets. */
const METRICS = [
  'reader_bytes_rate', 'writer_bytes_rate', 'reader_count_rate', 'writer_count_rate',
  'reader_error_rate', 'writer_error_rate', 'reader_error_count', 'writer_error_count',
] as const satisfies readonly (keyof ServingValues)[];
/** Every double precision column of `perftool` sent as a float8 array (the window edges go through to_timestamp). */
const FLOAT_COLUMNS = [...METRICS, 'reader_msg_count', 'writer_msg_count', 'reader_msg_size_avg', 'writer_msg_size_avg'] as const;
const list = (items: readonly string[], sep = ', ') => items.join(sep);

/**
 * Transaction-local staging table the batch's results are COPYed into (created once per connection; its rows
 * vanish at commit or rollback). Column order = the order copyText() writes the fields.
 */
const STAGING_TABLE = 'perftool_ingest_staging';
const STAGED_COLUMNS = [
  ['topic', 'text'], ['kafka_partition', 'integer'], ['kafka_offset', 'bigint'], ['kafka_timestamp', 'timestamptz'],
  ['tstamp', 'timestamptz'], ['format', 'text'], ['msg', 'text'], ['publisher', 'text'],
  ...FLOAT_COLUMNS.map((c) => [c, 'float8'] as const), ['thread_number', 'integer'], ['window_start', 'float8'], ['window_end', 'float8'],
] as const;
const BEGIN_AND_STAGE_SQL = `BEGIN; CREATE TEMP TABLE IF NOT EXISTS ${STAGING_TABLE}
  (${list(STAGED_COLUMNS.map(([c, t]) => `${c} ${t}`))}) ON COMMIT DELETE ROWS`;
const CLEAR_STAGING_SQL = `DELETE FROM ${STAGING_TABLE}`;
const COPY_SQL = `COPY ${STAGING_TABLE} (${list(STAGED_COLUMNS.map(([c]) => c))}) FROM STDIN`;

const REJECTION_PARAMS = ['topic', 'kafka_partition', 'kafka_offset', 'kafka_timestamp', 'reason', 'raw'] as const;
const WIDTHS_PARAM = '$1';
const STAGED_COUNT_PARAM = '$2';
const rejectionParam = (name: (typeof REJECTION_PARAMS)[number]) => `$${REJECTION_PARAMS.indexOf(name) + 3}`;

// The results arrive through COPY into the staging table (far cheaper for PostgreSQL than unnesting large
// array parameters, which spilled to temp files). The statement reads the table directly: only the narrow
// serving columns are materialized, never the megabytes of JSON text.
// The serving values were read from the JSON decodeRecord parsed anyway and travel as float8 text (JavaScript's
// shortest round-trip form, so exact); PostgreSQL only checks and stores the JSON text.
// Only rows newly inserted into perftool_message (joined back on their coordinates) reach perftool, the buckets
// and the publisher summary, so a redelivery counts nothing twice.
// ORDER BY in the upserts: concurrent batches (other partitions) lock shared bucket and publisher rows in key
// order, so they queue instead of deadlocking.
const INGEST_SQL = `
WITH fresh AS (
  INSERT INTO perftool_message (topic, kafka_partition, kafka_offset, kafka_timestamp, tstamp, format, msg)
  SELECT topic, kafka_partition, kafka_offset, kafka_timestamp, tstamp, format, msg::json FROM ${STAGING_TABLE}
  ON CONFLICT (topic, kafka_partition, kafka_offset) DO NOTHING
  RETURNING topic, kafka_partition, kafka_offset
),
-- Usually every row is new: then the values are read straight from the staged rows (the counts are InitPlans
-- run once; a one-time filter skips the other branch). Only a batch with earlier-delivered records pays the join.
batch AS (
  SELECT topic, kafka_partition, kafka_offset, tstamp AS ts, publisher, ${list(FLOAT_COLUMNS)},
         thread_number, window_start, window_end
    FROM ${STAGING_TABLE}
),
results AS (
  SELECT * FROM batch WHERE (SELECT count(*) FROM fresh) = ${STAGED_COUNT_PARAM}::integer
  UNION ALL
  SELECT batch.* FROM batch JOIN fresh USING (topic, kafka_partition, kafka_offset)
   WHERE (SELECT count(*) FROM fresh) < ${STAGED_COUNT_PARAM}::integer
),
serving AS (
  INSERT INTO perftool ("timestamp", publisher, ${list(FLOAT_COLUMNS)}, thread_number, window_start, window_end)
  SELECT ts, publisher, ${list(FLOAT_COLUMNS)}, thread_number, to_timestamp(window_start), to_timestamp(window_end)
    FROM results
),
partial AS (
  SELECT publisher, date_bin('30 seconds', ts, timestamptz 'epoch') AS bucket, count(*)::integer AS result_count,
         ${list(METRICS.map((m) => `sum(${m}) AS ${m}_sum, count(${m})::integer AS ${m}_n`), ',\n         ')}
    FROM results GROUP BY 1, 2
),
buckets AS (
  INSERT INTO perftool_rollup AS r (width_seconds, publisher, bucket, result_count,
                                    ${list(METRICS.flatMap((m) => [`${m}_sum`, `${m}_n`]))})
  SELECT w.width_seconds, p.publisher, date_bin(make_interval(secs => w.width_seconds), p.bucket, timestamptz 'epoch'),
         sum(p.result_count),
         ${list(METRICS.map((m) => `coalesce(sum(p.${m}_sum), 0), sum(p.${m}_n)`), ',\n         ')}
    FROM partial p CROSS JOIN unnest(${WIDTHS_PARAM}::integer[]) AS w(width_seconds)
   GROUP BY 1, 2, 3
   ORDER BY 1, 2, 3
  ON CONFLICT (width_seconds, publisher, bucket) DO UPDATE SET
     result_count = r.result_count + excluded.result_count,
     ${list(METRICS.flatMap((m) => [`${m}_sum = r.${m}_sum + excluded.${m}_sum`, `${m}_n = r.${m}_n + excluded.${m}_n`]), ',\n     ')}
),
publishers AS (
  INSERT INTO perftool_publishers AS p (publisher, first_seen, last_seen, result_count)
  SELECT publisher, min(ts), max(ts), count(*) FROM results GROUP BY publisher ORDER BY publisher
  ON CONFLICT (publisher) DO UPDATE SET
     first_seen = least(p.first_seen, excluded.first_seen),
     last_seen = greatest(p.last_seen, excluded.last_seen),
     result_count = p.result_count + excluded.result_count
),
rejected AS (
  INSERT INTO perftool_rejected (topic, kafka_partition, kafka_offset, kafka_timestamp, reason, raw)
  SELECT * FROM unnest(${rejectionParam('topic')}::text[], ${rejectionParam('kafka_partition')}::integer[],
                       ${rejectionParam('kafka_offset')}::bigint[], ${rejectionParam('kafka_timestamp')}::timestamptz[],
                       ${rejectionParam('reason')}::text[], ${rejectionParam('raw')}::bytea[])
  ON CONFLICT (topic, kafka_partition, kafka_offset) DO NOTHING
  RETURNING 1
)
SELECT (SELECT count(*) FROM fresh)::integer AS stored, (SELECT count(*) FROM rejected)::integer AS rejected`;

/** Splits a batch into result rows and rejections; repeated coordinates within the batch count once. */
export function prepareBatch(records: readonly KafkaRecord[]): PreparedBatch {
  const seen = new Set<string>();
  const results: ResultRow[] = [];
  const rejections: RejectedRow[] = [];
  for (const record of records) {
    const key = `${record.partition}:${record.offset}:${record.topic}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const decoded = decodeRecord(record);
    if (decoded.kind === 'result') results.push(decoded.row);
    else rejections.push(decoded.row);
  }
  return { results, rejections };
}

/**
 * Stores one batch atomically and returns what happened. Any error propagates with nothing of the batch stored
 * (Lambda then retries it), except a value PostgreSQL itself refuses (e.g. a JSON string with \u0000): that
 * record alone is rejected with PostgreSQL's reason, so one bad record cannot block its partition forever.
 */
export async function ingestBatch(client: ClientBase, records: readonly KafkaRecord[]): Promise<BatchOutcome> {
  const batch = prepareBatch(records);
  const total = batch.results.length + batch.rejections.length;
  if (total === 0) return { records: 0, stored: 0, rejected: 0, duplicates: 0 };
  let counts: { stored: number; rejected: number };
  try {
    counts = await inTransaction(client, () => writeBatch(client, batch));
  } catch (err) {
    if (!isRefusedValue(err)) throw err;
    counts = await writeIsolatingRefusedValues(client, batch);
  }
  return { records: total, ...counts, duplicates: total - counts.stored - counts.rejected };
}

/** Runs `work` in one transaction with the staging table ready; rolls back and rethrows on any error. */
async function inTransaction<T>(client: ClientBase, work: () => Promise<T>): Promise<T> {
  await beginAndStage(client);
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * Inside a transaction with an empty staging table: COPY the results into it, then one statement writes
 * everything. The staged rows stay until commit (or the caller clears them).
 */
async function writeBatch(client: ClientBase, batch: PreparedBatch): Promise<{ stored: number; rejected: number }> {
  await stageResults(client, batch.results);
  const { rows } = await client.query<{ stored: number; rejected: number }>(batchStatement(batch));
  return rows[0];
}

/** Opens the batch's transaction with an empty staging table (exported for the ingest profile in bench/). */
export async function beginAndStage(client: ClientBase): Promise<void> {
  await client.query(BEGIN_AND_STAGE_SQL);
}

/** COPYs the results into the staging table (exported for the ingest profile in bench/). */
export async function stageResults(client: ClientBase, results: readonly ResultRow[]): Promise<void> {
  if (results.length > 0) await pipeline(Readable.from(copyText(results)), client.query(copyFrom(COPY_SQL)));
}

/**
 * The statement that writes a batch whose results are already staged, with its parameters (the bucket widths
 * and the rejections; exported for the ingest profile in bench/).
 */
export function batchStatement({ results, rejections: x }: PreparedBatch): { name: string; text: string; values: string[] } {
  const rej = (pick: (row: RejectedRow) => string | number | null) => pgArray(x.map(pick));
  const rejectionValues: Record<(typeof REJECTION_PARAMS)[number], string> = {
    topic: rej((o) => o.topic), kafka_partition: rej((o) => o.partition), kafka_offset: rej((o) => o.offset),
    kafka_timestamp: rej((o) => o.kafkaTimestamp), reason: rej((o) => o.reason),
    raw: rej((o) => (o.raw ? `\\x${o.raw.toString('hex')}` : null)),
  };
  // Named: the connection kept across warm invocations parses and plans this large statement once.
  return { name: 'perftool-ingest-batch', text: INGEST_SQL, values: [
    pgArray(BUCKET_WIDTHS_SECONDS), String(results.length), ...REJECTION_PARAMS.map((p) => rejectionValues[p]),
  ] };
}

/** The results as COPY text-format data (fields in STAGED_COLUMNS order), in chunks of rows. */
export function* copyText(results: readonly ResultRow[], rowsPerChunk = 1000): Generator<string> {
  for (let start = 0; start < results.length; start += rowsPerChunk) {
    let chunk = '';
    for (const o of results.slice(start, start + rowsPerChunk)) {
      const s = o.serving;
      chunk += `${copyField(o.topic)}\t${o.partition}\t${o.offset}\t${copyField(o.kafkaTimestamp)}\t${copyField(o.timestamp)}\t${
        o.format}\t${copyField(o.msg)}\t${copyField(o.publisher)}`;
      for (const c of FLOAT_COLUMNS) chunk += `\t${copyField(s[c])}`;
      chunk += `\t${copyField(s.thread_number)}\t${copyField(s.window_start)}\t${copyField(s.window_end)}\n`;
    }
    yield chunk;
  }
}

/**
 * One COPY text-format field: \N for NULL; backslash, tab, newline and carriage return escaped (the only
 * characters the format treats specially). Numbers in JavaScript's shortest round-trip form.
 */
export function copyField(value: string | number | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  return COPY_SPECIAL.test(value) ? value.replace(COPY_SPECIALS, (c) => COPY_ESCAPES[c]) : value;
}
const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIALS = /[\\\t\n\r]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A PostgreSQL array literal; numbers are written in JavaScript's shortest round-trip form. */
export function pgArray(values: readonly (string | number | null)[]): string {
  let literal = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) literal += ',';
    if (v === null) literal += 'NULL';
    else if (typeof v === 'number') literal += v;
    else literal += `"${NEEDS_ESCAPE.test(v) ? v.replace(ESCAPED, '\\$&') : v}"`;
  }
  return `${literal}}`;
}
const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;

/** SQLSTATE class 22 (data exception): PostgreSQL refused a value itself, e.g. a JSON \u0000 or a lone surrogate. */
function isRefusedValue(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('22');
}

/**
 * Slow path, only after a refused value: still one transaction, but the results are written in halves under
 * savepoints until each refused record is found and moved to the rejections.
 */
async function writeIsolatingRefusedValues(client: ClientBase, batch: PreparedBatch): Promise<{ stored: number; rejected: number }> {
  const refused: RejectedRow[] = [];
  let stored = 0;
  const attempt = async (results: ResultRow[]): Promise<void> => {
    if (results.length === 0) return;
    await client.query('SAVEPOINT isolate');
    try {
      stored += (await writeBatch(client, { results, rejections: [] })).stored;
      await client.query(CLEAR_STAGING_SQL);
      await client.query('RELEASE SAVEPOINT isolate');
    } catch (err) {
      await client.query('ROLLBACK TO SAVEPOINT isolate');
      if (!isRefusedValue(err)) throw err;
      if (results.length === 1) {
        const r = results[0];
        refused.push({ topic: r.topic, partition: r.partition, offset: r.offset, kafkaTimestamp: r.kafkaTimestamp,
          reason: `PostgreSQL refused the message: ${(err as Error).message}`, raw: Buffer.from(r.valueBase64, 'base64') });
        return;
      }
      const half = Math.ceil(results.length / 2);
      await attempt(results.slice(0, half));
      await attempt(results.slice(half));
    }
  };
  return inTransaction(client, async () => {
    await attempt(batch.results);
    const { rejected } = await writeBatch(client, { results: [], rejections: [...batch.rejections, ...refused] });
    return { stored, rejected };
  });
}
