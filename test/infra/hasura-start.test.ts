import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HASURA_START_COMMAND } from '../../lib/hasura-env';

// Runs the container's start command in a real shell, with a stand-in `graphql-engine` that prints what it got.
function start(env: Record<string, string>): string {
  const bin = mkdtempSync(join(tmpdir(), 'fake-hasura-'));
  const engine = join(bin, 'graphql-engine');
  writeFileSync(engine, '#!/bin/sh\nprintf "%s|%s" "$HASURA_GRAPHQL_DATABASE_URL" "$*"\n');
  chmodSync(engine, 0o755);
  const run = spawnSync('/bin/sh', ['-c', HASURA_START_COMMAND], { env: { PATH: `${bin}:/usr/bin:/bin`, ...env }, encoding: 'utf8' });
  expect(run.status).toBe(0);
  return run.stdout;
}

test('the start command builds the database URL Hasura reads from the secret fields ECS injects, then serves', () => {
  const out = start({ DB_USER: 'sensor', DB_PASSWORD: 'Ab3-x.y_Z', DB_HOST: 'db.abc.us-east-1.rds.amazonaws.com', DB_PORT: '5432', DB_NAME: 'sensor' });
  const [url, args] = out.split('|');
  expect(args).toBe('serve');
  const parsed = new URL(url);
  expect(parsed.protocol).toBe('postgres:');
  expect([parsed.username, parsed.password, parsed.hostname, parsed.port, parsed.pathname]).toEqual([
    'sensor',
    'Ab3-x.y_Z',
    'db.abc.us-east-1.rds.amazonaws.com',
    '5432',
    '/sensor',
  ]);
  expect(parsed.searchParams.get('sslmode')).toBe('require');
});

test('the variable it sets is the one lib/hasura/metadata.json reads the source from', () => {
  const metadata = JSON.parse(readFileSync(join(__dirname, '..', '..', 'lib', 'hasura', 'metadata.json'), 'utf8'));
  const fromEnv = metadata.sources[0].configuration.connection_info.database_url.from_env as string;
  expect(HASURA_START_COMMAND).toContain(`export ${fromEnv}=`);
});
