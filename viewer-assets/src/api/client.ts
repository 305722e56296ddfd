/** A minimal GraphQL-over-HTTP client for the same-origin `/v1/graphql` (Hasura in production). */

export class GraphqlError extends Error {
  constructor(
    message: string,
    readonly kind: 'network' | 'http' | 'graphql',
  ) {
    super(message);
    this.name = 'GraphqlError';
  }
}

export type Fetch = (input: string, init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}>;

export interface GraphqlClient {
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

export function createClient(endpoint: string, fetchImpl: Fetch, timeoutMs = 15_000): GraphqlClient {
  return {
    async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), timeoutMs);
      let res: Awaited<ReturnType<Fetch>>;
      try {
        res = await fetchImpl(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query, variables }),
          signal: abort.signal,
        });
      } catch (e) {
        throw new GraphqlError(abort.signal.aborted ? `no answer from ${endpoint} in ${timeoutMs / 1000} s` : `cannot reach ${endpoint}: ${(e as Error).message}`, 'network');
      } finally {
        clearTimeout(timer);
      }
      let body: { data?: T; errors?: Array<{ message: string }> } | undefined;
      try {
        body = (await res.json()) as typeof body;
      } catch {
        throw new GraphqlError(`${endpoint} answered HTTP ${res.status} without JSON`, 'http');
      }
      if (body?.errors?.length) throw new GraphqlError(body.errors.map((e) => e.message).join('; '), 'graphql');
      if (!res.ok || !body || body.data === undefined) throw new GraphqlError(`${endpoint} answered HTTP ${res.status}`, 'http');
      return body.data;
    },
  };
}
