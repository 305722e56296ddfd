import type { MSKEvent } from 'aws-lambda';
import type { KafkaRecord } from './decode-record';

/**
 * The records of an MSK event in delivery order. `records` is keyed "<topic>-<partition>"; the key is not parsed
 * (topics may contain '-'), each record carries its own topic and partition.
 */
export function recordsOf(event: Pick<MSKEvent, 'records'>): KafkaRecord[] {
  return Object.values(event.records ?? {}).flat();
}
