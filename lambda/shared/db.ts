/**
 * The one connection rule for db-init, the sink and the local preview:
 * - env DB_SECRET_ARN set → the Secrets Manager secret RDS writes ({host, port, username, password, dbname}),
 *   over TLS verified against the RDS CA. The CA comes from the Lambda runtime's bundle: the function must run
 *   with NODE_EXTRA_CA_CERTS=/var/runtime/ca-cert.pem (Node 20+ runtimes no longer load the Amazon CAs, RDS's
 *   included, unless told to). No `ca` option is passed, because an explicit `ca` would replace that trust store.
 * - otherwise the standard libpq variables PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE.
 */
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { Client, type ClientConfig } from 'pg';
import { z } from 'zod';
import { type AwsCall, getSecretCall } from './aws-calls';

/** What connecting costs in AWS calls (for the AWS_CALLS of db-init and the sink). */
export const DB_SECRET_CALL: AwsCall = getSecretCall({ environment: 'DB_SECRET_ARN' });

/** Fail fast: a Lambda (or a custom resource) waiting on an unreachable database only burns its timeout. */
export const CONNECT_TIMEOUT_MS = 5_000;
/**
 * Limits on a connection's statements, so that a stuck database fails the caller (which can retry) instead of
 * holding it until its own timeout. Applied to the sink's connection; db-init runs without them (a migration may
 * legitimately wait for locks or run long).
 */
export interface StatementLimits {
  /** Server side: longest a statement may run (statement_timeout), and a transaction may sit idle. */
  statementTimeoutMs: number;
  /** Server side: longest a statement may wait for a lock (lock_timeout). */
  lockTimeoutMs: number;
}
/**
 * How much longer than statement_timeout the client waits for an answer: the server's timeout normally fires
 * first; this one covers a server that cannot answer at all (backend paused, network gone).
 */
export const CLIENT_TIMEOUT_MARGIN_MS = 5_000;

/** Secret values are cached across warm invocations; a failed connection forces a fresh read (rotation). */
const SECRET_MAX_AGE_SECONDS = 300;

const rdsSecret = z.object({
  host: z.string().min(1),
  port: z.coerce.number().int().min(1).max(65535).default(5432),
  username: z.string().min(1),
  password: z.string().min(1),
  // RDS omits dbname when the instance was created without one; PostgreSQL's default database then applies.
  dbname: z.string().min(1).default('postgres'),
});

type Env = Record<string, string | undefined>;

let refreshSecretOnNextConnect = false;

/** Resolves connection settings by the rule above. Errors name what is wrong, never a secret value. */
export async function connectionConfig(env: Env = process.env, limits?: StatementLimits): Promise<ClientConfig> {
  const secretArn = env.DB_SECRET_ARN;
  const base: ClientConfig = {
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: env.AWS_LAMBDA_FUNCTION_NAME ?? 'perftool',
    ...(limits && {
      statement_timeout: limits.statementTimeoutMs,
      lock_timeout: limits.lockTimeoutMs,
      // A client that vanished mid-transaction (Lambda timed out) must not keep its locks.
      idle_in_transaction_session_timeout: limits.statementTimeoutMs,
      query_timeout: limits.statementTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS,
    }),
  };
  if (!secretArn) {
    return {
      ...base,
      host: env.PGHOST,
      port: env.PGPORT ? Number(env.PGPORT) : undefined,
      user: env.PGUSER,
      password: env.PGPASSWORD,
      database: env.PGDATABASE,
    };
  }
  const forceFetch = refreshSecretOnNextConnect;
  const value = await getSecret(secretArn, { transform: 'json', maxAge: SECRET_MAX_AGE_SECONDS, forceFetch });
  const parsed = rdsSecret.safeParse(value);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw new Error(`database secret ${secretArn} is not the JSON RDS writes (bad or missing: ${fields})`);
  }
  const s = parsed.data;
  return {
    ...base,
    host: s.host,
    port: s.port,
    user: s.username,
    password: s.password,
    database: s.dbname,
    ssl: { rejectUnauthorized: true },
  };
}

/** Opens a new connection. The caller owns it and must end() it. */
export async function connect(env: Env = process.env, limits?: StatementLimits): Promise<Client> {
  const client = new Client(await connectionConfig(env, limits));
  // An idle connection can die between invocations; without a listener that error would crash the process.
  client.on('error', () => forget(client));
  try {
    await client.connect();
  } catch (err) {
    refreshSecretOnNextConnect = true;
    throw err;
  }
  refreshSecretOnNextConnect = false;
  return client;
}

let shared: Client | undefined;

function forget(client: Client): void {
  if (shared === client) shared = undefined;
}

async function discard(client: Client): Promise<void> {
  forget(client);
  await client.end().catch(() => undefined);
}

/**
 * Runs `work` on the connection kept across warm invocations, (re)connecting as needed (with `limits`, when a
 * connection is opened). If the kept connection turns out to be dead, the work is retried once on a fresh one, so
 * `work` must be idempotent (the sink's batch statement and the migrations are). Any other failure drops the
 * connection and is rethrown.
 */
export async function withSharedClient<T>(work: (client: Client) => Promise<T>, env: Env = process.env, limits?: StatementLimits): Promise<T> {
  const reused = shared !== undefined;
  const client = shared ?? (shared = await connect(env, limits));
  try {
    return await work(client);
  } catch (err) {
    await discard(client);
    if (!reused || !isConnectionError(err)) throw err;
    const fresh = (shared = await connect(env, limits));
    try {
      return await work(fresh);
    } catch (retryErr) {
      await discard(fresh);
      throw retryErr;
    }
  }
}

/** Closes the kept connection (tests, local tools). */
export async function closeSharedClient(): Promise<void> {
  if (shared) await discard(shared);
}

/** Connection-level failures: the server went away or the socket broke, as opposed to a statement error. */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    // SQLSTATE class 08 (connection exception) and 57P01-57P03 (server shutdown / cannot connect now).
    if (code.startsWith('08') || /^57P0[123]$/.test(code)) return true;
    if (['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT'].includes(code)) return true;
  }
  return /Connection terminated|not queryable|Client was closed/i.test(err.message);
}

/** The client gave up waiting for the server (query_timeout): the connection cannot be used any more. */
export function isClientTimeout(err: unknown): boolean {
  return err instanceof Error && err.message === 'Query read timeout';
}
