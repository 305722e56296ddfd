import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { CLIENT_TIMEOUT_MARGIN_MS, CONNECT_TIMEOUT_MS, connect, connectionConfig, isConnectionError } from '../../lambda/shared/db';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { withEnv } from './helpers';

const secrets = mockClient(SecretsManagerClient);
let db: TestDatabase;
let arnCounter = 0;
/** A fresh ARN per test: Powertools caches secret values per name. */
const newArn = () => `arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:perftool-db-${++arnCounter}-AbCdEf`;

beforeAll(async () => {
  db = await createTestDatabase('conn');
});
afterAll(async () => {
  await db.drop();
});
beforeEach(() => secrets.reset());

describe('without DB_SECRET_ARN: the libpq variables', () => {
  test('resolve to the PG* values, without TLS, with a short connect timeout', async () => {
    const cfg = await connectionConfig({ ...db.env });
    expect(cfg).toMatchObject({
      host: db.env.PGHOST, port: Number(db.env.PGPORT), user: db.env.PGUSER, password: db.env.PGPASSWORD,
      database: db.env.PGDATABASE, connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    expect(cfg.ssl).toBeUndefined();
    expect(secrets.calls()).toHaveLength(0);
  });

  test('connect a real client', async () => {
    const client = await connect({ ...db.env });
    const r = await client.query('SELECT current_database() AS name');
    await client.end();
    expect(r.rows[0].name).toBe(db.name);
  });
});

test('statement limits apply to a connection only when asked for (the sink), not to db-init\'s', async () => {
  const show = async (client: Awaited<ReturnType<typeof connect>>) => {
    const settings: string[] = [];
    for (const name of ['statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout']) settings.push((await client.query(`SHOW ${name}`)).rows[0][name]);
    await client.end();
    return settings;
  };
  expect(await show(await connect({ ...db.env }))).toEqual(['0', '0', '0']);
  const limits = { statementTimeoutMs: 1500, lockTimeoutMs: 300 };
  expect(await show(await connect({ ...db.env }, limits))).toEqual(['1500ms', '300ms', '1500ms']);
  // The client's own wait covers a server that cannot answer at all; the server's timeout normally fires first.
  expect(await connectionConfig({ ...db.env }, limits)).toMatchObject({ query_timeout: 1500 + CLIENT_TIMEOUT_MARGIN_MS });
});

describe('with DB_SECRET_ARN: the RDS secret over verified TLS', () => {
  const rdsSecret = () => ({
    engine: 'postgres', host: '127.0.0.1', port: Number(db.env.PGPORT), username: 'sensor',
    password: 'p4ss-from-secret', dbname: 'sensor',
  });

  test('host, port, user, password and database come from the secret, and TLS is verified', async () => {
    const arn = newArn();
    secrets.on(GetSecretValueCommand, { SecretId: arn }).resolves({ SecretString: JSON.stringify(rdsSecret()) });
    const cfg = await withEnv({ AWS_REGION: 'ap-northeast-1' }, () => connectionConfig({ DB_SECRET_ARN: arn, PGHOST: 'ignored', PGPASSWORD: 'ignored' }));
    expect(cfg).toMatchObject({ host: '127.0.0.1', port: Number(db.env.PGPORT), user: 'sensor', password: 'p4ss-from-secret', database: 'sensor', ssl: { rejectUnauthorized: true } });
    // No `ca`: the Lambda runtime's NODE_EXTRA_CA_CERTS bundle (with the RDS CAs) must stay in effect.
    expect(cfg.ssl).not.toHaveProperty('ca');
  });

  test('the secret is read once and cached across connections', async () => {
    const arn = newArn();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(rdsSecret()) });
    await withEnv({ AWS_REGION: 'ap-northeast-1' }, async () => {
      await connectionConfig({ DB_SECRET_ARN: arn });
      await connectionConfig({ DB_SECRET_ARN: arn });
    });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  test('a server without TLS is refused (no plaintext fallback), and the next attempt re-reads the secret', async () => {
    const arn = newArn();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(rdsSecret()) });
    await withEnv({ AWS_REGION: 'ap-northeast-1' }, async () => {
      await expect(connect({ DB_SECRET_ARN: arn })).rejects.toThrow(/does not support SSL/);
      await expect(connect({ DB_SECRET_ARN: arn })).rejects.toThrow(/does not support SSL/);
    });
    // The failed connection may be a rotated password: the second attempt fetched the secret again.
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  test('a secret that is not the RDS JSON fails naming the fields, never a value', async () => {
    const arn = newArn();
    const { password: _omitted, ...withoutPassword } = rdsSecret();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ ...withoutPassword, host: 'db.internal.example' }) });
    const attempt = withEnv({ AWS_REGION: 'ap-northeast-1' }, () => connectionConfig({ DB_SECRET_ARN: arn }));
    await expect(attempt).rejects.toThrow(`database secret ${arn} is not the JSON RDS writes (bad or missing: password)`);
    await expect(withEnv({ AWS_REGION: 'ap-northeast-1' }, () => connectionConfig({ DB_SECRET_ARN: arn }))).rejects.not.toThrow(/db\.internal\.example/);
  });

  test('Secrets Manager being unreachable fails the connection attempt', async () => {
    const arn = newArn();
    secrets.on(GetSecretValueCommand).rejects(new Error('connect ETIMEDOUT secretsmanager.ap-northeast-1.amazonaws.com'));
    await expect(withEnv({ AWS_REGION: 'ap-northeast-1' }, () => connect({ DB_SECRET_ARN: arn }))).rejects.toThrow(/ETIMEDOUT/);
  });
});

test('isConnectionError tells a dead connection from a statement error', () => {
  expect(isConnectionError(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
  expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
  expect(isConnectionError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
  expect(isConnectionError(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
  expect(isConnectionError('not an error')).toBe(false);
});
