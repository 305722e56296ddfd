import { RetryOptions, withRetries } from '../custom-resource/retry';

export interface HasuraTarget {
  /** Base URL of Hasura, e.g. http://internal-alb (no trailing slash). */
  url: string;
  adminSecret: string;
  fetch?: typeof fetch;
}

/** A Hasura answer the caller cannot fix by waiting (bad metadata, wrong secret): fails the deployment at once. */
export class HasuraRejected extends Error {}
/** Hasura not reachable or not ready yet (service still starting, 5xx): worth retrying. */
export class HasuraUnavailable extends Error {}

async function metadataCall(target: HasuraTarget, body: unknown): Promise<unknown> {
  const doFetch = target.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(`${target.url}/v1/metadata`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hasura-admin-secret': target.adminSecret },
      body: JSON.stringify(body),
    });
  } catch (err) {
    throw new HasuraUnavailable(`Hasura unreachable: ${err instanceof Error ? err.message : String(err)}`);
  }
  const text = await res.text();
  if (res.status >= 500 || res.status === 404) throw new HasuraUnavailable(`Hasura answered ${res.status}: ${text.slice(0, 500)}`);
  if (!res.ok) throw new HasuraRejected(`Hasura rejected ${(body as { type: string }).type} with ${res.status}: ${text.slice(0, 2000)}`);
  return text ? JSON.parse(text) : {};
}

export interface ApplyResult {
  inconsistentObjects: number;
}

/**
 * replace_metadata with the reviewed metadata (inconsistent metadata is refused), then reload and confirm Hasura
 * sees it as consistent. Retries only while Hasura is unreachable or starting.
 */
export async function applyMetadata(target: HasuraTarget, metadata: unknown, retry: Omit<RetryOptions, 'isRetriable'>): Promise<ApplyResult> {
  const call = (what: string, body: unknown) => withRetries(what, () => metadataCall(target, body), { ...retry, isRetriable: (e) => e instanceof HasuraUnavailable });
  await call('replace_metadata', { type: 'replace_metadata', version: 2, args: { allow_inconsistent_metadata: false, metadata } });
  await call('reload_metadata', { type: 'reload_metadata', args: { reload_sources: true } });
  const status = (await call('get_inconsistent_metadata', { type: 'get_inconsistent_metadata', args: {} })) as {
    is_consistent?: boolean;
    inconsistent_objects?: Array<{ reason?: string; type?: string; name?: string }>;
  };
  if (status.is_consistent === false) {
    const reasons = (status.inconsistent_objects ?? []).map((o) => `${o.type ?? '?'} ${o.name ?? ''}: ${o.reason ?? ''}`.trim());
    throw new HasuraRejected(`Hasura metadata is inconsistent after apply: ${reasons.join('; ')}`);
  }
  return { inconsistentObjects: status.inconsistent_objects?.length ?? 0 };
}
