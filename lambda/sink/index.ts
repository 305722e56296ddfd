/**
 * MSK event source handler: decode → validate → store one batch in one transaction. Throws when the database
 * is unreachable or a write fails, so Lambda retries the batch (the writes are idempotent).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { MSKEvent } from 'aws-lambda';
import { DB_SECRET_CALL, withSharedClient } from '../shared/db';
import type { AwsCalls } from '../shared/aws-calls';
import { ingestBatch } from './ingest';
import { recordsOf } from './records';

export const AWS_CALLS: AwsCalls = { handler: [DB_SECRET_CALL] };

const logger = new Logger({ serviceName: 'perftool-sink' });

export async function handler(event: MSKEvent): Promise<void> {
  const started = performance.now();
  const records = recordsOf(event);
  try {
    const outcome = await withSharedClient((client) => ingestBatch(client, records));
    // Counts only: payloads and rejection reasons (which may quote payload values) stay in the database.
    logger.info('batch stored', { ...outcome, duration_ms: Math.round(performance.now() - started) });
  } catch (err) {
    logger.error('batch failed, Lambda will retry it', {
      records: records.length,
      duration_ms: Math.round(performance.now() - started),
      error: { name: (err as Error).name, code: (err as { code?: string }).code, message: (err as Error).message },
    });
    throw err;
  }
}
