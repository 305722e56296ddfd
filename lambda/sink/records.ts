import type { KafkaRecord } from './decode-record';
import { describeValue, isObject, kindOf, quotePreview } from './describe';

/** A record of the event that cannot be stored or rejected: without valid coordinates it has no row to go to. */
export interface UnusableRecord {
  /** Position in the event, counting records in delivery order (a group that is not an array counts as one). */
  index: number;
  reason: string;
}

export type EventRecords =
  | { ok: true; records: KafkaRecord[]; unusable: UnusableRecord[] }
  | { ok: false; reason: string };

/** Kafka's own rule for topic names. */
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const MAX_PARTITION = 2_147_483_647;

/**
 * The records of an MSK event in delivery order, each with valid coordinates (topic, partition, offset): those
 * are what a stored or rejected row is keyed by. `records` is keyed "<topic>-<partition>"; the key is not parsed
 * (topics may contain '-'), each record carries its own topic and partition. Never throws: an event without a
 * records object is not ok, a record without valid coordinates is listed as unusable. The other fields (value,
 * timestamp) are the record's own business (decodeRecord rejects it if they are malformed). Reasons are logged:
 * they quote the coordinate fields (at most PREVIEW_CHARS characters), never a value or a whole record.
 */
export function recordsOf(event: unknown): EventRecords {
  if (!isObject(event)) return { ok: false, reason: `the event is not a JSON object (got ${kindOf(event)})` };
  const groups = event.records;
  if (!isObject(groups)) return { ok: false, reason: `the event's "records" is not an object of record arrays (got ${kindOf(groups)})` };
  const records: KafkaRecord[] = [];
  const unusable: UnusableRecord[] = [];
  let index = 0;
  for (const key of Object.keys(groups)) {
    const group = groups[key];
    if (!Array.isArray(group)) {
      unusable.push({ index: index++, reason: `"records" entry ${quotePreview(key)} is not an array (got ${kindOf(group)})` });
      continue;
    }
    for (const record of group) {
      const problem = coordinatesProblem(record);
      if (problem === null) records.push(record as KafkaRecord);
      else unusable.push({ index, reason: problem });
      index++;
    }
  }
  return { ok: true, records, unusable };
}

function coordinatesProblem(record: unknown): string | null {
  if (!isObject(record)) return `Kafka record is not a JSON object (got ${kindOf(record)})`;
  const { topic, partition, offset } = record;
  if (typeof topic !== 'string' || !TOPIC.test(topic)) {
    return `Kafka topic must be 1-249 letters, digits, ".", "_" or "-" (${describeValue(topic)})`;
  }
  if (!Number.isInteger(partition) || (partition as number) < 0 || (partition as number) > MAX_PARTITION) {
    return `Kafka partition must be an integer from 0 to ${MAX_PARTITION} (${describeValue(partition)})`;
  }
  // Beyond 2^53 a JSON number no longer tells neighbouring offsets apart.
  if (!Number.isSafeInteger(offset) || (offset as number) < 0) {
    return `Kafka offset must be an integer from 0 to ${Number.MAX_SAFE_INTEGER} (${describeValue(offset)})`;
  }
  return null;
}
