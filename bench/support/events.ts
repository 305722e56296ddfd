import type { KafkaRecord } from '../../lambda/sink/decode-record';
import { recordsOf } from '../../lambda/sink/records';

/** The records of an MSK event the handler would ingest (those with valid coordinates), as the handler reads them. */
export function usableRecords(event: unknown): KafkaRecord[] {
  const parsed = recordsOf(event);
  if (!parsed.ok) throw new Error(`malformed benchmark event: ${parsed.reason}`);
  return parsed.records;
}
