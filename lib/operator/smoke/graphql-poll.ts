import { setTimeout as sleep } from 'node:timers/promises';
import { resultsQuery } from '../../../viewer-assets/src/api/operations';

/** The columns the smoke test reads back; all are granted to the anonymous role (lib/hasura/metadata.json). */
export interface StoredResult {
  timestamp: string;
  publisher: string;
  writer_bytes_rate: number;
  reader_bytes_rate: number;
}

/**
 * The viewer's own raw-results document: Hasura's allow-list (lib/hasura/metadata.json) runs only the viewer's
 * operations for anonymous callers, and this way the smoke test also reads the way the viewer reads.
 */
const QUERY = resultsQuery('perftool');

export interface PollOptions {
  graphqlUrl: string;
  publisher: string;
  timeoutMs: number;
  intervalMs?: number;
}

/** A GraphQL-level error (bad query, missing permission): polling again will not help. */
class GraphqlError extends Error {}

async function queryOnce(graphqlUrl: string, publisher: string): Promise<StoredResult | undefined> {
  // Anonymous on purpose: the public endpoint must answer without any admin secret.
  const res = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // Newest first, one row, over all time.
    body: JSON.stringify({ query: QUERY, variables: { publisher, from: new Date(0).toISOString(), to: new Date(Date.now() + 86_400_000).toISOString(), limit: 1 } }),
    signal: AbortSignal.timeout(15000),
  });
  const text = await res.text();
  let body: { data?: { rows?: StoredResult[] }; errors?: { message: string }[] } | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (body?.errors?.length) throw new GraphqlError(`GraphQL error: ${body.errors.map((e) => e.message).join('; ')}`);
  if (!res.ok || !body?.data) throw new Error(`HTTP ${res.status} from ${graphqlUrl}: ${text.slice(0, 120).replace(/\s+/g, ' ')}`);
  return body.data.rows?.[0];
}

/**
 * Polls the public GraphQL endpoint until the publisher's result is there. Transport and HTTP errors are retried
 * (the sink batches, CloudFront or Hasura may be starting); GraphQL errors end the wait at once.
 */
export async function waitForResult(opts: PollOptions): Promise<{ row: StoredResult; attempts: number }> {
  const deadline = Date.now() + opts.timeoutMs;
  let attempts = 0;
  let lastProblem = 'no answer yet';
  for (;;) {
    attempts++;
    try {
      const row = await queryOnce(opts.graphqlUrl, opts.publisher);
      if (row) return { row, attempts };
      lastProblem = 'the result is not stored yet';
    } catch (err) {
      if (err instanceof GraphqlError) throw err;
      lastProblem = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() + (opts.intervalMs ?? 2000) > deadline) {
      throw new Error(`"${opts.publisher}" did not appear within ${opts.timeoutMs / 1000} s after ${attempts} queries (last: ${lastProblem})`);
    }
    await sleep(opts.intervalMs ?? 2000);
  }
}
