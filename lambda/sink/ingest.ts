/**
 * Writes one batch of Kafka records in one transaction: a single set-based statement (one round trip, no
 * per-row triggers) that stores the new raw messages and, only for those newly stored (so a redelivery counts
 * nothing twice), the `perftool` rows, the time buckets and the publisher summary; plus the rejections.
 */
import type { ClientBase } from 'pg';
import { decodeRecord, type KafkaRecord, type RejectedRow, type ResultRow } from './decode-record';

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

/** perftool column → path in the result JSON (SPEC §3.3; the original's trigger mapping, set-based here). */
const METRIC_PATHS = {
  reader_bytes_rate: '{reader,msg_bytes_rate}',
  writer_bytes_rate: '{writer,msg_bytes_rate}',
  reader_count_rate: '{reader,msg_count_rate}',
  writer_count_rate: '{writer,msg_count_rate}',
  reader_error_rate: '{reader,error_count_rate}',
  writer_error_rate: '{writer,error_count_rate}',
  reader_error_count: '{reader,error_count_total}',
  writer_error_count: '{writer,error_count_total}',
} as const;
const METRICS = Object.keys(METRIC_PATHS) as (keyof typeof METRIC_PATHS)[];
const list = (items: readonly string[], sep = ', ') => items.join(sep);
const number = (path: string) => `(msg #>> '${path}')::float8`;

// One statement = one transaction and one round trip. Parameters are array literals built here (node-pg's
// generic array escaping was the slowest part of a batch); the message texts travel as one string split on
// U+001E, a character valid JSON text cannot contain, so megabytes of JSON need no escaping. The metric columns
// are read from the stored jsonb (#>> gives NULL for a missing or null value); decodeRecord has already checked
// that each is a JSON number, so a cast fails only on a value PostgreSQL itself refuses (handled below).
// ORDER BY in the upserts: concurrent batches (other partitions) lock shared bucket and publisher rows in key
// order, so they queue instead of deadlocking.
const INGEST_SQL = `
WITH fresh AS (
  INSERT INTO perftool_message (topic, kafka_partition, kafka_offset, kafka_timestamp, tstamp, format, msg)
  SELECT topic, kafka_partition, kafka_offset, kafka_timestamp, tstamp, format, msg::jsonb
    FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::timestamptz[], $5::timestamptz[], $6::text[],
                string_to_array($7::text, chr(30)))
         AS t(topic, kafka_partition, kafka_offset, kafka_timestamp, tstamp, format, msg)
  ON CONFLICT (topic, kafka_partition, kafka_offset) DO NOTHING
  -- Only rows inserted now come back; the values are taken from the stored jsonb right here, so the
  -- megabytes of JSON never pass through the CTE.
  RETURNING tstamp AS ts, msg ->> 'name' AS publisher,
         ${list(METRICS.map((m) => `${number(METRIC_PATHS[m])} AS ${m}`), ',\n         ')},
         coalesce(${number('{writer,thread_number}')}, ${number('{reader,thread_number}')})::integer AS thread_number,
         ${number('{reader,msg_count_total}')} AS reader_msg_count,
         ${number('{writer,msg_count_total}')} AS writer_msg_count,
         ${number('{reader,msg_size_avg}')} AS reader_msg_size_avg,
         ${number('{writer,msg_size_avg}')} AS writer_msg_size_avg,
         to_timestamp(coalesce(${number('{writer,start_time_ms}')} / 1000, ${number('{writer,start_time}')})) AS window_start,
         to_timestamp(coalesce(${number('{writer,end_time_ms}')} / 1000, ${number('{writer,end_time}')})) AS window_end
),
serving AS (
  INSERT INTO perftool ("timestamp", publisher, ${list(METRICS)}, thread_number, reader_msg_count, writer_msg_count,
                        reader_msg_size_avg, writer_msg_size_avg, window_start, window_end)
  SELECT ts, publisher, ${list(METRICS)}, thread_number, reader_msg_count, writer_msg_count,
         reader_msg_size_avg, writer_msg_size_avg, window_start, window_end
    FROM fresh
),
partial AS (
  SELECT publisher, date_bin('30 seconds', ts, timestamptz 'epoch') AS bucket, count(*)::integer AS result_count,
         ${list(METRICS.map((m) => `sum(${m}) AS ${m}_sum, count(${m})::integer AS ${m}_n`), ',\n         ')}
    FROM fresh GROUP BY 1, 2
),
buckets AS (
  INSERT INTO perftool_rollup AS r (width_seconds, publisher, bucket, result_count,
                                    ${list(METRICS.flatMap((m) => [`${m}_sum`, `${m}_n`]))})
  SELECT w.width_seconds, p.publisher, date_bin(make_interval(secs => w.width_seconds), p.bucket, timestamptz 'epoch'),
         sum(p.result_count),
         ${list(METRICS.map((m) => `coalesce(sum(p.${m}_sum), 0), sum(p.${m}_n)`), ',\n         ')}
    FROM partial p CROSS JOIN unnest($8::integer[]) AS w(width_seconds)
   GROUP BY 1, 2, 3
   ORDER BY 1, 2, 3
  ON CONFLICT (width_seconds, publisher, bucket) DO UPDATE SET
     result_count = r.result_count + excluded.result_count,
     ${list(METRICS.flatMap((m) => [`${m}_sum = r.${m}_sum + excluded.${m}_sum`, `${m}_n = r.${m}_n + excluded.${m}_n`]), ',\n     ')}
),
publishers AS (
  INSERT INTO perftool_publishers AS p (publisher, first_seen, last_seen, result_count)
  SELECT publisher, min(ts), max(ts), count(*) FROM fresh GROUP BY publisher ORDER BY publisher
  ON CONFLICT (publisher) DO UPDATE SET
     first_seen = least(p.first_seen, excluded.first_seen),
     last_seen = greatest(p.last_seen, excluded.last_seen),
     result_count = p.result_count + excluded.result_count
),
rejected AS (
  INSERT INTO perftool_rejected (topic, kafka_partition, kafka_offset, kafka_timestamp, reason, raw)
  SELECT * FROM unnest($9::text[], $10::integer[], $11::bigint[], $12::timestamptz[], $13::text[], $14::bytea[])
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
    counts = await writeBatch(client, batch);
  } catch (err) {
    if (!isRefusedValue(err)) throw err;
    counts = await writeIsolatingRefusedValues(client, batch);
  }
  return { records: total, ...counts, duplicates: total - counts.stored - counts.rejected };
}

async function writeBatch(client: ClientBase, batch: PreparedBatch): Promise<{ stored: number; rejected: number }> {
  const { rows } = await client.query<{ stored: number; rejected: number }>(batchStatement(batch));
  return rows[0];
}

/** The batch statement with its parameters (exported for the ingest profile in bench/). */
export function batchStatement({ results: r, rejections: x }: PreparedBatch): { name: string; text: string; values: string[] } {
  const col = (pick: (row: ResultRow) => string | number | null) => pgArray(r.map(pick));
  const rej = (pick: (row: RejectedRow) => string | number | null) => pgArray(x.map(pick));
  // Named: the connection kept across warm invocations parses and plans this large statement once.
  return { name: 'perftool-ingest-batch', text: INGEST_SQL, values: [
    col((o) => o.topic), col((o) => o.partition), col((o) => o.offset), col((o) => o.kafkaTimestamp),
    col((o) => o.timestamp), col((o) => o.format), r.map((o) => o.msg).join(RECORD_SEPARATOR),
    pgArray(BUCKET_WIDTHS_SECONDS),
    rej((o) => o.topic), rej((o) => o.partition), rej((o) => o.offset), rej((o) => o.kafkaTimestamp),
    rej((o) => o.reason), rej((o) => (o.raw ? `\\x${o.raw.toString('hex')}` : null)),
  ] };
}

/** U+001E: never part of valid JSON text (control characters must be escaped inside strings). */
const RECORD_SEPARATOR = '\x1e';

/** A PostgreSQL array literal; numbers are written in JavaScript's shortest round-trip form. */
export function pgArray(values: readonly (string | number | null)[]): string {
  const element = (v: string | number | null) =>
    v === null ? 'NULL' : typeof v === 'number' ? String(v) : `"${/["\\]/.test(v) ? v.replace(/["\\]/g, '\\$&') : v}"`;
  return `{${values.map(element).join(',')}}`;
}

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
  await client.query('BEGIN');
  try {
    await attempt(batch.results);
    const { rejected } = await writeBatch(client, { results: [], rejections: [...batch.rejections, ...refused] });
    await client.query('COMMIT');
    return { stored, rejected };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
