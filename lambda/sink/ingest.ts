/**
 * Writes one batch of Kafka records in one transaction with a fixed number of round trips and no per-row
 * triggers or statements:
 *   1. the batch's coordinates already stored or rejected by an earlier delivery are looked up (an index range
 *      per partition) and left out, so a redelivery changes nothing;
 *   2. COPY into perftool_message, fed while the records are being decoded, so the sink's decoding overlaps the
 *      database's work;
 *   3. COPY into perftool, fed while the sink sums the results into bucket rows;
 *   4. the stored span (first and last result) of the batch's publishers is read, which tells new buckets from
 *      ones that may be stored already (buckets.ts, mayBeStored);
 *   5. COPY of the bucket rows into a staging table, each marked new or may-be-stored;
 *   6. one statement inserts the new buckets, upserts the others and the publisher summary, and stores the
 *      rejections (redone upserting every bucket if a bucket taken for new was stored meanwhile).
 * All COPYs use the binary format (copy-binary.ts).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ClientBase } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { BatchSummary, mayBeStored, type PublisherRow, type StoredSpan } from './buckets';
import {
  BUCKET_STAGING_COLUMNS, CopyBinaryWriter, MESSAGE_COLUMNS, ROLLUP_COLUMNS, SERVING_COLUMNS, writeBucketRow, writeMessageRow,
  writeServingRow,
} from './copy-binary';
import { isClientTimeout } from '../shared/db';
import { decodeRecord, type DecodedRecord, type KafkaRecord, type RejectedRow, type ResultRow, type ServingRow } from './decode-record';

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

interface PreparedBatch {
  results: ResultRow[];
  rejections: RejectedRow[];
}

/** Records decoded per COPY chunk: small enough to keep the database busy while the next chunk is decoded. */
const RECORDS_PER_CHUNK = 250;

const list = (items: readonly string[]) => items.join(', ');
const COPY_MESSAGES_SQL = `COPY perftool_message (${list(MESSAGE_COLUMNS)}) FROM STDIN (FORMAT binary)`;
const COPY_SERVING_SQL = `COPY perftool (${list(SERVING_COLUMNS)}) FROM STDIN (FORMAT binary)`;

/**
 * Per-connection staging table for the batch's bucket rows: COPY fills it, the merge statement reads it, the commit
 * empties it. Created outside any transaction, so a rolled-back batch cannot take it away.
 */
const BUCKET_STAGING_TABLE = 'perftool_rollup_staging';
const CREATE_BUCKET_STAGING_SQL = `CREATE TEMP TABLE IF NOT EXISTS ${BUCKET_STAGING_TABLE}
  (LIKE perftool_rollup, may_be_stored boolean NOT NULL) ON COMMIT DELETE ROWS`;
const COPY_BUCKETS_SQL = `COPY ${BUCKET_STAGING_TABLE} (${list(BUCKET_STAGING_COLUMNS)}) FROM STDIN (FORMAT binary)`;
const withBucketStaging = new WeakSet<ClientBase>();

/**
 * Coordinates of the batch already in perftool_message or perftool_rejected: one index range scan per
 * (topic, partition) over the batch's offsets (OFFSET 0 keeps each lookup a parameterized index scan).
 */
const STORED_COORDINATES_SQL = `
SELECT r.topic, r.kafka_partition, s.kafka_offset
  FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::bigint[]) AS r(topic, kafka_partition, low, high)
 CROSS JOIN LATERAL (
   SELECT kafka_offset FROM perftool_message m
    WHERE m.topic = r.topic AND m.kafka_partition = r.kafka_partition AND m.kafka_offset BETWEEN r.low AND r.high
   UNION ALL
   SELECT kafka_offset FROM perftool_rejected j
    WHERE j.topic = r.topic AND j.kafka_partition = r.kafka_partition AND j.kafka_offset BETWEEN r.low AND r.high
   OFFSET 0) AS s`;

/**
 * The stored span of the given publishers, in whole ms rounded down (extract gives exact numerics on PostgreSQL
 * 14+), which tells new buckets from ones that may be stored (mayBeStored).
 */
const STORED_SPANS_SQL = `
SELECT publisher, floor(extract(epoch FROM first_seen) * 1000)::float8 AS first_ms,
       floor(extract(epoch FROM last_seen) * 1000)::float8 AS last_ms
  FROM perftool_publishers WHERE publisher = ANY($1::text[])`;

const METRIC_COLUMNS = ROLLUP_COLUMNS.slice(4);
const PUBLISHER_PARAMS = ['publisher', 'first_seen', 'last_seen', 'result_count'];
const PUBLISHER_TYPES = ['text', 'timestamptz', 'timestamptz', 'bigint'];
const REJECTION_PARAMS = ['topic', 'kafka_partition', 'kafka_offset', 'kafka_timestamp', 'reason', 'raw'];
const REJECTION_TYPES = ['text', 'integer', 'bigint', 'timestamptz', 'text', 'bytea'];
/** `unnest($n::type[], …)` over consecutive parameters starting at `first`. */
const unnestOf = (types: string[], first: number) => `unnest(${list(types.map((t, i) => `$${first + i}::${t}[]`))})`;

const UPSERT_BUCKETS = `ON CONFLICT (width_seconds, publisher, bucket) DO UPDATE SET
     result_count = r.result_count + excluded.result_count,
     ${list(METRIC_COLUMNS.map((c) => `${c} = r.${c} + excluded.${c}`))}`;

/**
 * The statement merging the staged buckets and the publisher summary and storing the rejections. `splitNew`: buckets
 * staged as new are plainly inserted and only the others upserted (a plain insert skips the upsert's extra index
 * probe); otherwise every bucket is upserted.
 *
 * Concurrent batches (other partitions) and deadlocks: each insert takes its bucket rows in key order (they were
 * COPYed in that order, BatchSummary.bucketRows(), and are read back so). Two batches that share a bucket share its
 * publisher, and PostgreSQL (16 and 17, as measured; the order of WITH sub-statements is not documented) runs the
 * publisher upsert, which sorts its rows, before the bucket inserts: the later batch waits at the publisher row
 * until the first commits. Should a deadlock happen all the same, it only fails the batch, which Lambda retries.
 */
const mergeSql = (splitNew: boolean) => `
WITH ${splitNew ? `new_buckets AS (
  INSERT INTO perftool_rollup (${list(ROLLUP_COLUMNS)})
  SELECT ${list(ROLLUP_COLUMNS)} FROM ${BUCKET_STAGING_TABLE} WHERE NOT may_be_stored
),
` : ''}buckets AS (
  INSERT INTO perftool_rollup AS r (${list(ROLLUP_COLUMNS)})
  SELECT ${list(ROLLUP_COLUMNS)} FROM ${BUCKET_STAGING_TABLE}${splitNew ? ' WHERE may_be_stored' : ''}
  ${UPSERT_BUCKETS}
),
publishers AS (
  INSERT INTO perftool_publishers AS p (${list(PUBLISHER_PARAMS)})
  SELECT * FROM ${unnestOf(PUBLISHER_TYPES, 1)} AS s(${list(PUBLISHER_PARAMS)})
   ORDER BY 1
  ON CONFLICT (publisher) DO UPDATE SET
     first_seen = least(p.first_seen, excluded.first_seen),
     last_seen = greatest(p.last_seen, excluded.last_seen),
     result_count = p.result_count + excluded.result_count
),
rejected AS (
  INSERT INTO perftool_rejected (${list(REJECTION_PARAMS)})
  SELECT * FROM ${unnestOf(REJECTION_TYPES, 1 + PUBLISHER_PARAMS.length)}
  ON CONFLICT (topic, kafka_partition, kafka_offset) DO NOTHING
  RETURNING 1
)
SELECT count(*)::integer AS rejected FROM rejected`;
const MERGE_SPLIT_NEW_SQL = mergeSql(true);
const MERGE_UPSERT_ALL_SQL = mergeSql(false);

/** Keeps the first of repeated Kafka coordinates within a batch. */
function uniqueRecords(records: readonly KafkaRecord[]): KafkaRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => {
    const key = coordinateKey(r.topic, r.partition, r.offset);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
const coordinateKey = (topic: string, partition: number, offset: number | string) => `${partition}:${offset}:${topic}`;

/** Splits a batch into result rows and rejections; repeated coordinates within the batch count once. */
export function prepareBatch(records: readonly KafkaRecord[]): PreparedBatch {
  const rejections: RejectedRow[] = [];
  const results = Array.from(decodeInChunks(uniqueRecords(records), rejections)).flat();
  return { results, rejections };
}

/**
 * Decodes records lazily, a chunk at a time, yielding each chunk's results and appending rejections to
 * `rejections`: the caller streams a chunk to the database before the next one is decoded, and need not keep it.
 */
function* decodeInChunks(records: readonly KafkaRecord[], rejections: RejectedRow[]): Generator<ResultRow[]> {
  for (let start = 0; start < records.length; start += RECORDS_PER_CHUNK) {
    const results: ResultRow[] = [];
    for (let i = start; i < Math.min(start + RECORDS_PER_CHUNK, records.length); i++) {
      const decoded = decodeOrReject(records[i]);
      if (decoded.kind === 'result') results.push(decoded.row);
      else rejections.push(decoded.row);
    }
    yield results;
  }
}

/**
 * decodeRecord, which is written never to throw. Should it all the same (a bug), the record is rejected with the
 * error and its value as received, rather than the batch failing on every redelivery.
 */
function decodeOrReject(record: KafkaRecord): DecodedRecord {
  try {
    return decodeRecord(record);
  } catch (err) {
    const { topic, partition, offset, value } = record;
    return { kind: 'rejected', row: { topic, partition, offset, kafkaTimestamp: null,
      reason: `the sink failed to decode this record (${String((err as Error)?.message ?? err).slice(0, 200)})`,
      raw: typeof value === 'string' ? Buffer.from(value, 'utf8') : null } };
  }
}

/**
 * Stores one batch atomically and returns what happened. Any error propagates with nothing of the batch stored
 * (Lambda then retries it), except a value PostgreSQL itself refuses that decodeRecord did not foresee: that record
 * alone is rejected with PostgreSQL's reason, so one bad record cannot block its partition.
 */
export async function ingestBatch(client: ClientBase, records: readonly KafkaRecord[], phases?: PhaseTimes): Promise<BatchOutcome> {
  const unique = uniqueRecords(records);
  if (unique.length === 0) return { records: 0, stored: 0, rejected: 0, duplicates: 0 };
  const lap = stopwatch(phases);
  let counts: { stored: number; rejected: number };
  try {
    counts = await inTransaction(client, async () => {
      const fresh = await withoutStored(client, unique);
      lap('begin + stored lookup');
      const rejections: RejectedRow[] = [];
      return writeBatch(client, decodeInChunks(fresh, rejections), rejections, lap);
    });
    lap('commit');
  } catch (err) {
    if (!isRefusedValue(err)) throw err;
    counts = await writeIsolatingRefusedValues(client, unique);
  }
  return { records: unique.length, ...counts, duplicates: unique.length - counts.stored - counts.rejected };
}

/** Milliseconds per phase of ingestBatch's usual path, for the ingest profile in bench/. */
export type PhaseTimes = Record<string, number>;

/** Records the time since the previous lap under a name (nothing when not profiling). */
function stopwatch(phases: PhaseTimes | undefined): (name: string) => void {
  let last = performance.now();
  return (name) => {
    if (phases === undefined) return;
    const now = performance.now();
    phases[name] = now - last;
    last = now;
  };
}

/** Runs `work` in one transaction (with the bucket staging table ready); rolls back and rethrows on any error. */
async function inTransaction<T>(client: ClientBase, work: () => Promise<T>): Promise<T> {
  if (!withBucketStaging.has(client)) {
    await client.query(CREATE_BUCKET_STAGING_SQL);
    withBucketStaging.add(client);
  }
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    // After a client-side timeout the connection is given up (its server may never answer): closing it rolls back.
    if (!isClientTimeout(err)) await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** The records whose coordinates are neither stored nor rejected yet. */
async function withoutStored(client: ClientBase, records: readonly KafkaRecord[]): Promise<KafkaRecord[]> {
  const ranges = new Map<string, { topic: string; partition: number; low: number; high: number }>();
  for (const { topic, partition, offset } of records) {
    const key = `${partition}:${topic}`;
    const range = ranges.get(key);
    if (range === undefined) ranges.set(key, { topic, partition, low: offset, high: offset });
    else [range.low, range.high] = [Math.min(range.low, offset), Math.max(range.high, offset)];
  }
  const r = [...ranges.values()];
  const { rows } = await client.query<{ topic: string; kafka_partition: number; kafka_offset: string }>({
    name: 'perftool-ingest-stored', text: STORED_COORDINATES_SQL,
    values: [r.map((x) => x.topic), r.map((x) => x.partition), r.map((x) => x.low), r.map((x) => x.high)],
  });
  if (rows.length === 0) return [...records];
  const stored = new Set(rows.map((s) => coordinateKey(s.topic, s.kafka_partition, s.kafka_offset)));
  return records.filter((x) => !stored.has(coordinateKey(x.topic, x.partition, x.offset)));
}

/** What each of `publishers` has stored so far (see mayBeStored). */
async function storedSpans(client: ClientBase, publishers: readonly string[]): Promise<Map<string, StoredSpan>> {
  const { rows } = await client.query<{ publisher: string; first_ms: number; last_ms: number }>({
    name: 'perftool-ingest-spans', text: STORED_SPANS_SQL, values: [publishers],
  });
  return new Map(rows.map((r) => [r.publisher, { firstMs: r.first_ms, lastMs: r.last_ms }]));
}

/**
 * Inside a transaction: streams the results to perftool_message as `chunks` yields them (while decoding, or
 * given), then the perftool rows, the buckets and publisher summary, and `rejections` (complete once `chunks` is
 * exhausted).
 */
async function writeBatch(
  client: ClientBase, chunks: Iterable<ResultRow[]>, rejections: readonly RejectedRow[], lap: (name: string) => void,
): Promise<{ stored: number; rejected: number }> {
  const results = await copyMessages(client, chunks);
  lap('decode + COPY perftool_message');
  const summary = new BatchSummary();
  await copyServing(client, results, summary);
  lap('COPY perftool (bucket sums made meanwhile)');
  return { stored: summary.results, rejected: await mergeBatch(client, summary, rejections, lap) };
}

/**
 * COPYs the results to perftool_message as `chunks` yields them, so the database stores one chunk while the next is
 * decoded. Returns what the perftool rows and buckets need: a few small objects per result, where the whole row
 * (with the message text) would keep the garbage collector copying megabytes.
 */
async function copyMessages(client: ClientBase, chunks: Iterable<ResultRow[]>): Promise<ServingRow[]> {
  const messages = new CopyBinaryWriter();
  const results: ServingRow[] = [];
  function* messageData() {
    for (const chunk of chunks) {
      for (const r of chunk) {
        writeMessageRow(messages, r);
        results.push({ timestamp: r.timestamp, publisher: r.publisher, serving: r.serving });
      }
      const data = messages.take();
      if (data.length > 0) yield data;
    }
    yield messages.finish();
  }
  await copyIn(client, COPY_MESSAGES_SQL, messageData());
  return results;
}

/** COPYs the perftool rows, adding each to `summary` (if given) while the database stores the previous chunk. */
async function copyServing(client: ClientBase, results: readonly ServingRow[], summary?: BatchSummary): Promise<void> {
  if (results.length === 0) return;
  function* servingData() {
    const serving = new CopyBinaryWriter();
    for (let start = 0; start < results.length; start += RECORDS_PER_CHUNK) {
      for (let i = start; i < Math.min(start + RECORDS_PER_CHUNK, results.length); i++) {
        writeServingRow(serving, results[i]);
        summary?.add(results[i]);
      }
      yield serving.take();
    }
    yield serving.finish();
  }
  await copyIn(client, COPY_SERVING_SQL, servingData());
}

/**
 * Stages the bucket rows of `summary` (each marked new or may-be-stored by the publishers' stored spans) and runs
 * the merge with the publisher rows and `rejections`. Returns the number of rejections stored.
 */
async function mergeBatch(
  client: ClientBase, summary: BatchSummary, rejections: readonly RejectedRow[], lap: (name: string) => void,
): Promise<number> {
  const publishers = summary.publisherRows();
  let anyNew = false;
  if (publishers.length > 0) {
    const spans = await storedSpans(client, publishers.map((p) => p.publisher));
    const buckets = new CopyBinaryWriter();
    for (const row of summary.bucketRows()) {
      const isNew = !mayBeStored(row, spans.get(row.publisher));
      anyNew ||= isNew;
      writeBucketRow(buckets, row, !isNew);
    }
    await copyIn(client, COPY_BUCKETS_SQL, [buckets.finish()]);
    lap('stored spans + COPY bucket rows');
  }
  const rejected = await merge(client, publishers, rejections, anyNew);
  lap('merge buckets, publishers, rejections');
  return rejected;
}

/**
 * Runs the merge; with `anyNew`, new buckets are plainly inserted. A bucket staged as new but stored meanwhile (by
 * a batch of the same publishers committed after the spans were read) makes that fail as a unique violation: the
 * merge is then redone upserting every bucket, under a savepoint so the rest of the batch stands. (The savepoint
 * is left to the transaction's end: it costs nothing there and saves a round trip.)
 */
async function merge(
  client: ClientBase, publishers: readonly PublisherRow[], rejections: readonly RejectedRow[], anyNew: boolean,
): Promise<number> {
  const run = async (splitNew: boolean) =>
    (await client.query<{ rejected: number }>(mergeStatement(splitNew, publishers, rejections))).rows[0].rejected;
  if (!anyNew) return run(false);
  await client.query('SAVEPOINT merge');
  try {
    return await run(true);
  } catch (err) {
    if ((err as { code?: unknown })?.code !== UNIQUE_VIOLATION) throw err;
    await client.query('ROLLBACK TO SAVEPOINT merge');
    return run(false);
  }
}
const UNIQUE_VIOLATION = '23505';

/** Feeds `data` to a COPY FROM STDIN; highWaterMark 1: each chunk is produced only when the previous one is sent. */
async function copyIn(client: ClientBase, sql: string, data: Iterable<Buffer>): Promise<void> {
  await pipeline(Readable.from(data, { highWaterMark: 1 }), client.query(copyFrom(sql)));
}

/** The merge statement (mergeSql) with the batch's publishers and rejections. */
function mergeStatement(splitNew: boolean, publishers: readonly PublisherRow[], x: readonly RejectedRow[]): { name: string; text: string; values: string[] } {
  const publisherValues = [
    pgArray(publishers.map((p) => p.publisher)), pgArray(publishers.map((p) => p.firstSeen)),
    pgArray(publishers.map((p) => p.lastSeen)), pgArray(publishers.map((p) => p.resultCount)),
  ];
  const rejectionValues = [
    pgArray(x.map((o) => o.topic)), pgArray(x.map((o) => o.partition)), pgArray(x.map((o) => o.offset)),
    // A reason may quote the input (JSON.parse's messages do), and a text column cannot hold U+0000.
    pgArray(x.map((o) => o.kafkaTimestamp)), pgArray(x.map((o) => o.reason.replaceAll('\0', '\\u0000'))),
    pgArray(x.map((o) => (o.raw ? `\\x${o.raw.toString('hex')}` : null))),
  ];
  // Named: the connection kept across warm invocations parses and plans this statement once.
  return splitNew
    ? { name: 'perftool-ingest-merge', text: MERGE_SPLIT_NEW_SQL, values: [...publisherValues, ...rejectionValues] }
    : { name: 'perftool-ingest-merge-upsert', text: MERGE_UPSERT_ALL_SQL, values: [...publisherValues, ...rejectionValues] };
}

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

/**
 * PostgreSQL refused a value itself: SQLSTATE class 22 (data exception, e.g. a \u0000 in a publisher name) or 54
 * (a limit, e.g. JSON nested deeper than its parser's stack). Not class 53 (out of disk or memory): that is the
 * database's trouble, not the record's, and the batch must be retried.
 */
function isRefusedValue(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('54'));
}

/** Results per first attempt of the isolation path: a refused value costs the bisection of its chunk, not of the batch. */
const ISOLATION_CHUNK = 100;

/**
 * Slow path, only after a value PostgreSQL refused though the checks in decodeRecord passed it: still one
 * transaction, but the messages and perftool rows (where such values go) are written a chunk at a time under a
 * savepoint, and a refused chunk in halves until each refused record is found and moved to the rejections. The
 * buckets, publishers and rejections are merged once at the end, as on the usual path. Cost: one attempt per
 * chunk plus about 2·log2(ISOLATION_CHUNK) small ones per refused record.
 */
async function writeIsolatingRefusedValues(client: ClientBase, records: readonly KafkaRecord[]): Promise<{ stored: number; rejected: number }> {
  return inTransaction(client, async () => {
    const { results, rejections } = prepareBatch(await withoutStored(client, records));
    const summary = new BatchSummary();
    const attempt = async (rows: ResultRow[]): Promise<void> => {
      await client.query('SAVEPOINT isolate');
      try {
        const serving = await copyMessages(client, [rows]);
        await copyServing(client, serving);
        await client.query('RELEASE SAVEPOINT isolate');
        for (const r of serving) summary.add(r);
      } catch (err) {
        if (!isRefusedValue(err)) throw err;
        await client.query('ROLLBACK TO SAVEPOINT isolate');
        if (rows.length === 1) {
          const r = rows[0];
          rejections.push({ topic: r.topic, partition: r.partition, offset: r.offset, kafkaTimestamp: r.kafkaTimestamp,
            reason: `PostgreSQL refused the message: ${(err as Error).message}`, raw: Buffer.from(r.valueBase64, 'base64') });
          return;
        }
        const half = Math.ceil(rows.length / 2);
        await attempt(rows.slice(0, half));
        await attempt(rows.slice(half));
      }
    };
    for (let start = 0; start < results.length; start += ISOLATION_CHUNK) await attempt(results.slice(start, start + ISOLATION_CHUNK));
    return { stored: summary.results, rejected: await mergeBatch(client, summary, rejections, stopwatch(undefined)) };
  });
}
