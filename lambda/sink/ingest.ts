/**
 * Writes one batch of Kafka records in one transaction: a single set-based statement (one round trip, no
 * per-row triggers) that stores new raw messages, and only for those newly stored (so a redelivery counts
 * nothing twice) the `perftool` rows, the time buckets and the publisher summary; plus the rejections.
 */
import type { ClientBase } from 'pg';
import { decodeRecord, type KafkaRecord, type RejectedRow, type ResultRow } from './decode-record';

export interface BatchOutcome {
  /** Records in the batch (after dropping repeats of the same coordinates within the batch). */
  records: number;
  /** Results stored by this call. */
  stored: number;
  /** Records rejected by this call (stored in perftool_rejected with the reason). */
  rejected: number;
  /** Records already stored or rejected by an earlier delivery: nothing changed for them. */
  duplicates: number;
}

/** Bucket widths behind perftool_30sec, _1min, _2min, _10min (seconds). */
export const BUCKET_WIDTHS_SECONDS = [30, 60, 120, 600] as const;

const METRICS = [
  'reader_bytes_rate', 'writer_bytes_rate', 'reader_count_rate', 'writer_count_rate',
  'reader_error_rate', 'writer_error_rate', 'reader_error_count', 'writer_error_count',
] as const;

const rollupInsertColumns = METRICS.flatMap((m) => [`${m}_sum`, `${m}_n`]).join(', ');
const rollupSelectExpressions = METRICS.map((m) => `coalesce(sum(f.${m}), 0), count(f.${m})`).join(',\n           ');
const rollupMerge = METRICS.flatMap((m) => [`${m}_sum = r.${m}_sum + excluded.${m}_sum`, `${m}_n = r.${m}_n + excluded.${m}_n`]).join(',\n        ');

// ORDER BY in the upserts: concurrent batches (other partitions) lock shared bucket/publisher rows in key
// order, so they wait for each other instead of deadlocking.
const INGEST_SQL = `
WITH input AS (
  SELECT * FROM unnest(
    $1::text[], $2::integer[], $3::bigint[], $4::timestamptz[], $5::timestamptz[], $6::text[], $7::jsonb[], $8::text[],
    $9::float8[], $10::float8[], $11::float8[], $12::float8[], $13::float8[], $14::float8[], $15::float8[], $16::float8[],
    $17::integer[], $18::float8[], $19::float8[], $20::float8[], $21::float8[], $22::timestamptz[], $23::timestamptz[]
  ) AS t(topic, kafka_partition, kafka_offset, kafka_timestamp, ts, format, msg, publisher,
         ${METRICS.join(', ')},
         thread_number, reader_msg_count, writer_msg_count, reader_msg_size_avg, writer_msg_size_avg, window_start, window_end)
),
stored AS (
  INSERT INTO perftool_message (topic, kafka_partition, kafka_offset, kafka_timestamp, tstamp, format, msg)
  SELECT topic, kafka_partition, kafka_offset, kafka_timestamp, ts, format, msg FROM input
  ON CONFLICT (topic, kafka_partition, kafka_offset) DO NOTHING
  RETURNING topic, kafka_partition, kafka_offset
),
fresh AS (
  SELECT input.* FROM input JOIN stored USING (topic, kafka_partition, kafka_offset)
),
serving AS (
  INSERT INTO perftool ("timestamp", publisher, ${METRICS.join(', ')},
                        thread_number, reader_msg_count, writer_msg_count, reader_msg_size_avg, writer_msg_size_avg,
                        window_start, window_end)
  SELECT ts, publisher, ${METRICS.join(', ')},
         thread_number, reader_msg_count, writer_msg_count, reader_msg_size_avg, writer_msg_size_avg,
         window_start, window_end
    FROM fresh
),
buckets AS (
  INSERT INTO perftool_rollup AS r (width_seconds, publisher, bucket, result_count, ${rollupInsertColumns})
    SELECT w.width_seconds, f.publisher,
           date_bin(make_interval(secs => w.width_seconds), f.ts, timestamptz '1970-01-01 00:00:00+00'),
           count(*),
           ${rollupSelectExpressions}
      FROM fresh f CROSS JOIN unnest($24::integer[]) AS w(width_seconds)
     GROUP BY 1, 2, 3
     ORDER BY 1, 2, 3
  ON CONFLICT (width_seconds, publisher, bucket) DO UPDATE SET
        result_count = r.result_count + excluded.result_count,
        ${rollupMerge}
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
  SELECT * FROM unnest($25::text[], $26::integer[], $27::bigint[], $28::timestamptz[], $29::text[], $30::bytea[])
  ON CONFLICT (topic, kafka_partition, kafka_offset) DO NOTHING
  RETURNING 1
)
SELECT (SELECT count(*) FROM stored)::integer AS stored, (SELECT count(*) FROM rejected)::integer AS rejected`;

/** Splits a batch into result rows and rejections; repeated coordinates within the batch count once. */
export function prepareBatch(records: readonly KafkaRecord[]): { results: ResultRow[]; rejections: RejectedRow[] } {
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

/** Stores one batch atomically: on any error nothing of it is stored and the error propagates (Lambda retries). */
export async function ingestBatch(client: ClientBase, records: readonly KafkaRecord[]): Promise<BatchOutcome> {
  const { results: r, rejections: x } = prepareBatch(records);
  const total = r.length + x.length;
  if (total === 0) return { records: 0, stored: 0, rejected: 0, duplicates: 0 };
  const col = <T>(pick: (row: ResultRow) => T) => r.map(pick);
  const rej = <T>(pick: (row: RejectedRow) => T) => x.map(pick);
  const { rows } = await client.query<{ stored: number; rejected: number }>(INGEST_SQL, [
    col((o) => o.topic), col((o) => o.partition), col((o) => o.offset), col((o) => o.kafkaTimestamp),
    col((o) => o.timestamp), col((o) => o.format), col((o) => o.msg), col((o) => o.publisher),
    col((o) => o.readerBytesRate), col((o) => o.writerBytesRate), col((o) => o.readerCountRate), col((o) => o.writerCountRate),
    col((o) => o.readerErrorRate), col((o) => o.writerErrorRate), col((o) => o.readerErrorCount), col((o) => o.writerErrorCount),
    col((o) => o.threadNumber), col((o) => o.readerMsgCount), col((o) => o.writerMsgCount),
    col((o) => o.readerMsgSizeAvg), col((o) => o.writerMsgSizeAvg), col((o) => o.windowStart), col((o) => o.windowEnd),
    BUCKET_WIDTHS_SECONDS,
    rej((o) => o.topic), rej((o) => o.partition), rej((o) => o.offset), rej((o) => o.kafkaTimestamp),
    rej((o) => o.reason), rej((o) => o.raw),
  ]);
  const { stored, rejected } = rows[0];
  return { records: total, stored, rejected, duplicates: total - stored - rejected };
}
