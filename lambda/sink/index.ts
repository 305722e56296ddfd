/**
 * MSK event source handler: decode → validate → store one batch in one transaction. Every record is stored or
 * rejected with its reason; the handler throws only when the database is unreachable, times out or a write fails,
 * so Lambda retries the batch (the writes are idempotent). A malformed event or a record without valid Kafka
 * coordinates (no row can be keyed by them) is logged and skipped.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DB_SECRET_CALL, type StatementLimits, withSharedClient } from '../shared/db';
import type { AwsCalls } from '../shared/aws-calls';
import { ingestBatch } from './ingest';
import { recordsOf } from './records';

export const AWS_CALLS: AwsCalls = { handler: [DB_SECRET_CALL] };

const logger = new Logger({ serviceName: 'perftool-sink' });

/**
 * Per-statement limits on the sink's connection, well under the function's timeout (2 minutes in
 * lib/constructs/sink.ts): a stuck database fails the batch in about 30 s, and Lambda retries it. The client
 * gives up CLIENT_TIMEOUT_MARGIN_MS after statement_timeout on a server that does not answer at all.
 */
const LIMIT_DEFAULTS = { SINK_STATEMENT_TIMEOUT_MS: 30_000, SINK_LOCK_TIMEOUT_MS: 10_000 };
const MAX_LIMIT_MS = 60_000;

/** The limits from the environment (defaults above); a bad value fails with one line naming it and the rule. */
export function sinkLimits(env: Record<string, string | undefined> = process.env): StatementLimits {
  const read = (key: keyof typeof LIMIT_DEFAULTS): number => {
    const text = env[key];
    if (text === undefined || text === '') return LIMIT_DEFAULTS[key];
    const ms = Number(text);
    if (!Number.isInteger(ms) || ms < 1 || ms > MAX_LIMIT_MS) {
      throw new Error(`${key}=${JSON.stringify(text)}: must be a whole number of milliseconds from 1 to ${MAX_LIMIT_MS}`);
    }
    return ms;
  };
  return { statementTimeoutMs: read('SINK_STATEMENT_TIMEOUT_MS'), lockTimeoutMs: read('SINK_LOCK_TIMEOUT_MS') };
}

/** Records without valid coordinates listed individually in the log line (the rest are counted). */
const UNUSABLE_LOGGED = 20;

export async function handler(event: unknown): Promise<void> {
  const started = performance.now();
  const limits = sinkLimits();
  const parsed = recordsOf(event);
  if (!parsed.ok) {
    logger.error('malformed event ignored', { reason: parsed.reason });
    return;
  }
  const { records, unusable } = parsed;
  if (unusable.length > 0) {
    logger.error('records without valid Kafka coordinates ignored', { unusable: unusable.length, first: unusable.slice(0, UNUSABLE_LOGGED) });
  }
  try {
    const outcome = await withSharedClient((client) => ingestBatch(client, records), process.env, limits);
    // Counts only: payloads and rejection reasons (which may quote payload values) stay in the database.
    logger.info('batch stored', { ...outcome, unusable: unusable.length, duration_ms: Math.round(performance.now() - started) });
  } catch (err) {
    logger.error('batch failed, Lambda will retry it', {
      records: records.length,
      duration_ms: Math.round(performance.now() - started),
      error: { name: (err as Error).name, code: (err as { code?: string }).code, message: (err as Error).message },
    });
    throw err;
  }
}
