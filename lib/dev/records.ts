/**
 * Builders for perftool results and MSK event records, shared by the data-path tests, the benchmarks and the local
 * preview's synthetic history, so all exercise the same shapes the Pi runner and the MSK event source produce.
 */
import type { MSKEvent } from 'aws-lambda';
import type { KafkaRecord } from '../../lambda/sink/decode-record';
import { encodeSinetStream, type SinetStreamVersion } from '../../lambda/shared/sinetstream';

export interface ResultValues {
  name: string;
  /** Publish time in µs since the epoch (SINETStream tstamp). */
  tstampMicros: bigint;
  writerBytesRate: number;
  readerBytesRate: number;
  writerCountRate?: number;
  readerCountRate?: number;
  writerErrors?: number;
  readerErrors?: number;
  threadNumber?: number;
}

/** A perftool result object shaped like vectors/perftool-results.jsonl. */
export function perftoolResult(v: ResultValues): Record<string, unknown> {
  const startMs = Number(v.tstampMicros / 1000n) - 700;
  const side = (bytesRate: number, countRate: number, errors: number) => ({
    thread_number: v.threadNumber ?? 0,
    start_time: startMs / 1000,
    start_time_ms: startMs,
    end_time: (startMs + 650) / 1000,
    end_time_ms: startMs + 650,
    time: 0.65,
    time_ms: 650,
    msg_count_total: 300,
    msg_count_rate: countRate,
    msg_bytes_total: 313200,
    msg_bytes_rate: bytesRate,
    msg_size_min: 1044,
    msg_size_max: 1044,
    msg_size_avg: 1044.0,
    error_count_total: errors,
    error_count_rate: errors / 0.65,
  });
  return {
    writer: side(v.writerBytesRate, v.writerCountRate ?? v.writerBytesRate / 1044, v.writerErrors ?? 0),
    reader: side(v.readerBytesRate, v.readerCountRate ?? v.readerBytesRate / 1044, v.readerErrors ?? 0),
    name: v.name,
  };
}

export interface RecordOptions {
  topic?: string;
  partition?: number;
  /** Kafka record timestamp (ms). */
  timestamp?: number;
}

/** One MSK event record carrying `value` (bytes, base64-encoded as MSK does; null = tombstone). */
export function kafkaRecord(offset: number, value: Buffer | null, o: RecordOptions = {}): KafkaRecord & MSKEvent['records'][string][number] {
  return {
    topic: o.topic ?? 'perftool-sinetstream-result',
    partition: o.partition ?? 0,
    offset,
    timestamp: o.timestamp ?? 1648491955712,
    timestampType: 'CREATE_TIME',
    key: '',
    value: value === null ? (undefined as unknown as string) : value.toString('base64'),
    headers: [],
  };
}

/** A SINETStream-encoded result record, as the Pi runner publishes it. */
export function resultRecord(offset: number, v: ResultValues, version: SinetStreamVersion = 3, o: RecordOptions = {}) {
  return kafkaRecord(offset, encodeSinetStream(JSON.stringify(perftoolResult(v)), v.tstampMicros, { version }), o);
}

/**
 * An MSK event grouping records under "<topic>-<partition>" keys, as the event source mapping does (hostile
 * records, whose fields may be anything, are grouped by whatever they hold).
 */
export function mskEvent(records: readonly (ReturnType<typeof kafkaRecord> | HostileRecord)[]): MSKEvent {
  const grouped: Record<string, unknown[]> = {};
  for (const r of records) (grouped[`${String(r.topic)}-${String(r.partition)}`] ??= []).push(r);
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:ap-northeast-1:123456789012:cluster/perftool/11111111-2222-3333-4444-555555555555-2',
    bootstrapServers: 'b-1.perftool.example:9096',
    records: grouped as MSKEvent['records'],
  };
}

/** A record as an MSK event could carry it, malformed fields included. */
export type HostileRecord = Record<string, unknown>;

/**
 * Bad records of the kinds that once failed or slowed their whole batch: JSON nested 4,500 deep (9 KB), a NUL in
 * the publisher name, a value with trailing garbage after its base64, a numeric value, and two without usable
 * coordinates (no partition; offset "abc").
 */
export const HOSTILE_KINDS = ['deep', 'nul', 'bad-base64', 'numeric-value', 'no-partition', 'bad-offset'] as const;
export type HostileKind = (typeof HOSTILE_KINDS)[number];

export function hostileRecord(kind: HostileKind, offset: number, o: RecordOptions = {}): HostileRecord {
  const tstampMicros = 1_700_000_000_000_000n + BigInt(offset) * 1_000_000n;
  const text = (json: string) => encodeSinetStream(json, tstampMicros);
  const good = resultRecord(offset, { name: 'hostile', tstampMicros, writerBytesRate: 1, readerBytesRate: 1 }, 3, o);
  switch (kind) {
    case 'deep': return { ...kafkaRecord(offset, text(`{"name":"deep","x":${'['.repeat(4500)}${']'.repeat(4500)}}`), o) };
    case 'nul': return { ...kafkaRecord(offset, text('{"name":"nul\\u0000name","writer":{"msg_bytes_rate":1}}'), o) };
    case 'bad-base64': return { ...good, value: `${good.value}!!` };
    case 'numeric-value': return { ...good, value: 12345 };
    case 'no-partition': {
      const { partition: _partition, ...rest } = good;
      return rest;
    }
    case 'bad-offset': return { ...good, offset: 'abc' };
  }
}

/**
 * `size` records at offsets from `firstOffset`: every `hostileEvery`-th one a hostile record (the kinds in turn),
 * the others good results of 20 publishers, each one every 10 s (as bench:ingest's all-good batch), on 3 partitions.
 * Each entry says what it is.
 */
export function mixedRecords(size: number, firstOffset: number, o: RecordOptions & { hostileEvery?: number; seed?: number } = {}) {
  const random = seededRandom(o.seed ?? 1);
  const every = o.hostileEvery ?? 5;
  return Array.from({ length: size }, (_, i) => {
    const offset = firstOffset + i;
    const options = { topic: o.topic, partition: o.partition ?? i % 3 };
    if (i % every === every - 1) {
      // Three hostile records in a row of each kind, so that each kind lands on every partition.
      const kind = HOSTILE_KINDS[Math.floor(i / (every * 3)) % HOSTILE_KINDS.length];
      return { kind, record: hostileRecord(kind, offset, options) };
    }
    return {
      kind: 'good' as const,
      record: resultRecord(offset, {
        name: `pi-${String(i % 20).padStart(2, '0')}`,
        tstampMicros: 1_700_000_000_000_000n + BigInt(Math.floor((firstOffset + i) / 20)) * 10_000_000n + BigInt(Math.floor(random() * 1e6)),
        writerBytesRate: random() * 1e6,
        readerBytesRate: random() * 1e6,
      }, 3, options),
    };
  });
}

/** Deterministic pseudo-random numbers (mulberry32), so tests and benches are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
