/** A minimal GraphQL-over-HTTP client for the same-origin `/v1/graphql` (Hasura in production). */

/**
 * What went wrong, with the facts the UI needs to say it in the user's language (`message` is the English text;
 * a GraphQL error's text comes from the server and is passed on as it is).
 */
export type GraphqlProblem =
  | { kind: 'timeout'; endpoint: string; seconds: number }
  | { kind: 'unreachable'; endpoint: string; detail: string }
  | { kind: 'http'; endpoint: string; status: number }
  | { kind: 'notJson'; endpoint: string; status: number }
  | { kind: 'graphql'; message: string };

export class GraphqlError extends Error {
  constructor(
    message: string,
    readonly problem: GraphqlProblem,
  ) {
    super(message);
    this.name = 'GraphqlError';
  }

  get kind(): 'network' | 'http' | 'graphql' {
    const k = this.problem.kind;
    return k === 'timeout' || k === 'unreachable' ? 'network' : k === 'graphql' ? 'graphql' : 'http';
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
        if (abort.signal.aborted) throw new GraphqlError(`no answer from ${endpoint} in ${timeoutMs / 1000} s`, { kind: 'timeout', endpoint, seconds: timeoutMs / 1000 });
        throw new GraphqlError(`cannot reach ${endpoint}: ${(e as Error).message}`, { kind: 'unreachable', endpoint, detail: (e as Error).message });
      } finally {
        clearTimeout(timer);
      }
      let body: { data?: T; errors?: Array<{ message: string }> } | undefined;
      try {
        body = (await res.json()) as typeof body;
      } catch {
        throw new GraphqlError(`${endpoint} answered HTTP ${res.status} without JSON`, { kind: 'notJson', endpoint, status: res.status });
      }
      if (body?.errors?.length) {
        const message = body.errors.map((e) => e.message).join('; ');
        throw new GraphqlError(message, { kind: 'graphql', message });
      }
      if (!res.ok || !body || body.data === undefined) throw new GraphqlError(`${endpoint} answered HTTP ${res.status}`, { kind: 'http', endpoint, status: res.status });
      return body.data;
    },
  };
}
