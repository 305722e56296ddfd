import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnElement } from 'aws-cdk-lib';
import { HASURA_ENVIRONMENT, HASURA_START_COMMAND, RDS_CA_BUNDLE_URL, RDS_CA_FETCH_COMMAND, RDS_CA_FETCHER_IMAGE } from '../../lib/hasura-env';
import { HASURA_IMAGE } from '../../lib/images';
import { synthesise } from './synth';

/** Runs a container command in a real shell, with stand-in programs (name → shell script body) first on PATH. */
function run(command: string, fakes: Record<string, string>, env: Record<string, string>) {
  const bin = mkdtempSync(join(tmpdir(), 'fake-bin-'));
  for (const [name, body] of Object.entries(fakes)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return spawnSync('/bin/sh', ['-c', command], { env: { PATH: `${bin}:/usr/bin:/bin`, ...env }, encoding: 'utf8' });
}

const DB = { DB_USER: 'perftool_hasura', DB_PASSWORD: 'Ab3-x.y_Z', DB_HOST: 'db.abc.us-east-1.rds.amazonaws.com', DB_PORT: '5432', DB_NAME: 'sensor' };
const ENGINE = { 'graphql-engine': 'printf "%s|%s" "$HASURA_GRAPHQL_DATABASE_URL" "$*"' };

function bundleFile(content = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'rds-ca-')), 'global-bundle.pem');
  writeFileSync(file, content);
  return file;
}

test('the start command builds the database URL from the secret fields ECS injects, verifying the server against the RDS CAs', () => {
  const bundle = bundleFile();
  const r = run(HASURA_START_COMMAND, ENGINE, { ...DB, DB_CA_BUNDLE: bundle });
  expect(r.status).toBe(0);
  const [url, args] = r.stdout.split('|');
  expect(args).toBe('serve');
  const parsed = new URL(url);
  expect(parsed.protocol).toBe('postgres:');
  expect([parsed.username, parsed.password, parsed.hostname, parsed.port, parsed.pathname]).toEqual(['perftool_hasura', 'Ab3-x.y_Z', DB.DB_HOST, '5432', '/sensor']);
  expect(parsed.searchParams.get('sslmode')).toBe('verify-full');
  expect(parsed.searchParams.get('sslrootcert')).toBe(bundle);
});

test('without the CA bundle Hasura does not start (never an unverified connection)', () => {
  for (const bundle of [join(tmpdir(), 'no-such-bundle.pem'), bundleFile('')]) {
    const r = run(HASURA_START_COMMAND, ENGINE, { ...DB, DB_CA_BUNDLE: bundle });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('refusing to connect unverified');
  }
});

test('the CA fetcher stores the bundle only when curl succeeded and it holds certificates', () => {
  const target = join(mkdtempSync(join(tmpdir(), 'rds-ca-')), 'global-bundle.pem');
  const good = run(RDS_CA_FETCH_COMMAND, { curl: 'out=""; while [ $# -gt 0 ]; do [ "$1" = -o ] && out="$2"; last="$1"; shift; done; [ "$last" = "' + RDS_CA_BUNDLE_URL + '" ] || exit 9; printf -- "-----BEGIN CERTIFICATE-----\\nx\\n" > "$out"' }, { DB_CA_BUNDLE: target });
  expect(good.status).toBe(0);
  expect(readFileSync(target, 'utf8')).toContain('BEGIN CERTIFICATE');

  const elsewhere = join(mkdtempSync(join(tmpdir(), 'rds-ca-')), 'global-bundle.pem');
  const failed = run(RDS_CA_FETCH_COMMAND, { curl: 'echo "curl: (6) Could not resolve host" >&2; exit 6' }, { DB_CA_BUNDLE: elsewhere });
  expect(failed.status).not.toBe(0);
  expect(existsSync(elsewhere)).toBe(false);
  const htmlInstead = run(RDS_CA_FETCH_COMMAND, { curl: 'while [ $# -gt 0 ]; do [ "$1" = -o ] && out="$2"; shift; done; echo "<html>captive portal</html>" > "$out"' }, { DB_CA_BUNDLE: elsewhere });
  expect(htmlInstead.status).not.toBe(0);
  expect(existsSync(elsewhere)).toBe(false);
});

test('the variable it sets is the one lib/hasura/metadata.json reads the source from', () => {
  const metadata = JSON.parse(readFileSync(join(__dirname, '..', '..', 'lib', 'hasura', 'metadata.json'), 'utf8'));
  const fromEnv = metadata.sources[0].configuration.connection_info.database_url.from_env as string;
  expect(HASURA_START_COMMAND).toContain(`export ${fromEnv}=`);
});

test('the task: Hasura logs in as its own role, and starts only after the CA fetcher succeeded, reading the bundle read-only', () => {
  const { template, stack } = synthesise();
  const [task] = Object.values(template.findResources('AWS::ECS::TaskDefinition')).filter(
    (r) => (r as { Properties: { ContainerDefinitions: Array<{ Image: string }> } }).Properties.ContainerDefinitions[0].Image === HASURA_IMAGE,
  ) as Array<{ Properties: { ContainerDefinitions: Array<Record<string, any>>; Volumes: Array<{ Name: string }> } }>;
  const [hasura, fetcher] = task.Properties.ContainerDefinitions;
  expect(fetcher).toMatchObject({ Name: 'rds-ca', Image: RDS_CA_FETCHER_IMAGE, Essential: false, Command: [RDS_CA_FETCH_COMMAND] });
  expect(fetcher.Environment).toEqual([{ Name: 'DB_CA_BUNDLE', Value: HASURA_ENVIRONMENT.DB_CA_BUNDLE }]);
  expect(hasura.DependsOn).toEqual([{ ContainerName: 'rds-ca', Condition: 'SUCCESS' }]);
  expect(hasura.MountPoints).toEqual([{ ContainerPath: '/rds-ca', SourceVolume: 'rds-ca', ReadOnly: true }]);
  expect(fetcher.MountPoints).toEqual([{ ContainerPath: '/rds-ca', SourceVolume: 'rds-ca', ReadOnly: false }]);
  expect(HASURA_ENVIRONMENT.DB_CA_BUNDLE.startsWith('/rds-ca/')).toBe(true);
  const secrets = Object.fromEntries(hasura.Secrets.map((s: { Name: string; ValueFrom: unknown }) => [s.Name, JSON.stringify(s.ValueFrom)]));
  const hasuraSecret = stack.getLogicalId(stack.database.node.findChild('HasuraRoleSecret').node.defaultChild as CfnElement);
  for (const field of ['DB_USER', 'DB_PASSWORD', 'DB_HOST', 'DB_PORT', 'DB_NAME']) expect(secrets[field]).toContain(hasuraSecret.replace(/[0-9A-F]{8}$/, ''));
  expect(JSON.stringify(hasura.Secrets)).not.toContain('DatabaseInstanceSecret');
});
