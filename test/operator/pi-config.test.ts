import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetBootstrapBrokersCommand } from '@aws-sdk/client-kafka';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { piConfigMain } from '../../lib/operator/pi-config-cli';
import { filesGitWouldTrack } from '../../lib/operator/git-ignore-check';
import { awsError, captureIo, MockedAws, mockDeployedStack, OUTPUTS, PI_MQTT_USER, PI_USER, PUBLIC_BROKERS } from './aws-fixture';

/** Reads the YAML this tool writes (block mappings, three levels at most, with JSON-style scalars). */
function parseServicesYaml(text: string): Record<string, Record<string, unknown>> {
  const services: Record<string, Record<string, unknown>> = {};
  let current: Record<string, unknown> | undefined;
  let nested: Record<string, unknown> | undefined;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const top = /^([\w-]+):$/.exec(line);
    const map = /^ {2}(\w+):$/.exec(line);
    const param = /^ {2}(\w+): (.+)$/.exec(line);
    const nestedParam = /^ {4}(\w+): (.+)$/.exec(line);
    if (top) services[top[1]] = current = {};
    else if (map && current) current[map[1]] = nested = {};
    else if (param && current) current[param[1]] = JSON.parse(param[2]);
    else if (nestedParam && nested) nested[nestedParam[1]] = JSON.parse(nestedParam[2]);
    else throw new Error(`unexpected YAML line ${JSON.stringify(line)}`);
  }
  return services;
}

/** Reads a docker compose env file: KEY=value or KEY='literal value'. */
function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) throw new Error(`unexpected env line ${JSON.stringify(line)}`);
    const quoted = /^'(.*)'$/.exec(m[2]);
    env[m[1]] = quoted ? quoted[1] : m[2];
  }
  return env;
}

/** The original runner's rules (parseargs.py): strip the prefix, lower-case, `__` nests, numbers auto-cast. */
function runnerService(env: Record<string, string>, prefix: string): Record<string, unknown> {
  const service: Record<string, unknown> = { type: 'kafka' };
  for (const [key, raw] of Object.entries(env)) {
    if (!key.startsWith(prefix)) continue;
    const path = key.slice(prefix.length).toLowerCase().split('__');
    const value = /^[+-]?\d+$/.test(raw) ? Number(raw) : raw.includes('.') && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw) ? Number(raw) : raw;
    let node = service;
    for (const part of path.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[path[path.length - 1]] = value;
  }
  return service;
}

describe('npm run pi-config', () => {
  let aws: MockedAws;
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pi-config-'));
  });
  afterEach(async () => {
    aws?.restore();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(args: string[]) {
    const out = captureIo();
    const code = await piConfigMain(['--out-dir', dir, ...args], out.io, aws.clients);
    return { code, ...out };
  }

  test('writes the SINETStream config and the runner env file, both 0600, from the stack, MSK and the secret', async () => {
    aws = mockDeployedStack();
    const { code, stderr } = await run(['--stack', 'MyPerftool', '--name', 'pi-lab-1', '--schedule', '120']);
    expect(stderr).toBe('');
    expect(code).toBe(0);

    expect(aws.cloudFormation.commandCalls(DescribeStacksCommand)[0].args[0].input).toEqual({ StackName: 'MyPerftool' });
    expect(aws.kafka.commandCalls(GetBootstrapBrokersCommand)[0].args[0].input).toEqual({ ClusterArn: OUTPUTS.KafkaClusterArn });
    expect(aws.secretsManager.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: OUTPUTS.PiScramSecretArn },
      { SecretId: OUTPUTS.PiMqttSecretArn },
    ]);

    expect((await readdir(dir)).sort()).toEqual(['.env.perftool', '.sinetstream_config.yml']);
    for (const file of ['.env.perftool', '.sinetstream_config.yml']) {
      expect((await stat(join(dir, file))).mode & 0o777).toBe(0o600);
    }

    const services = parseServicesYaml(await readFile(join(dir, '.sinetstream_config.yml'), 'utf8'));
    expect(services).toEqual({
      'perf-target': {
        type: 'mqtt',
        brokers: OUTPUTS.MqttEndpoint,
        topic: 'perftool-sinetstream-target',
        consistency: 'AT_LEAST_ONCE',
        username_pw_set: PI_MQTT_USER,
      },
      'perf-result': {
        type: 'kafka',
        brokers: PUBLIC_BROKERS,
        topic: 'perftool-sinetstream-result',
        consistency: 'AT_LEAST_ONCE',
        tls: true,
        security_protocol: 'SASL_SSL',
        sasl_mechanism: 'SCRAM-SHA-512',
        sasl_plain_username: PI_USER.username,
        sasl_plain_password: PI_USER.password,
      },
    });

    const env = parseEnvFile(await readFile(join(dir, '.env.perftool'), 'utf8'));
    expect(env).toMatchObject({
      NAME: 'pi-lab-1',
      SCHEDULE: '120',
      PERFTOOL_OUTPUT_COUNT: '1',
      PERFTOOL_NUM_SAMPLES: '300',
      PERFTOOL_PAYLOAD_SIZE: '1024',
    });
    // What the runner rebuilds from the env file is the config file's content, less `tls`: the runner would pass
    // the text "true", which SINETStream's Kafka plugin rejects (SASL_SSL already means TLS).
    expect(runnerService(env, 'PERF_TGT_')).toEqual(services['perf-target']);
    const { tls: _tls, ...resultWithoutTls } = services['perf-result'];
    expect(runnerService(env, 'PERF_RST_')).toEqual(resultWithoutTls);
  });

  test('the runner name defaults to the target topic, which the viewer shows by default', async () => {
    aws = mockDeployedStack();
    expect((await run([])).code).toBe(0);
    const env = parseEnvFile(await readFile(join(dir, '.env.perftool'), 'utf8'));
    expect(env.NAME).toBe(OUTPUTS.TargetTopic);
    expect(env.SCHEDULE).toBe('60');
  });

  test('an existing, world-readable file is replaced by a 0600 one', async () => {
    aws = mockDeployedStack();
    await writeFile(join(dir, '.env.perftool'), 'old\n', { mode: 0o644 });
    expect((await run([])).code).toBe(0);
    const s = await stat(join(dir, '.env.perftool'));
    expect(s.mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, '.env.perftool'), 'utf8')).toContain(`PERF_RST_SASL_PLAIN_USERNAME=${PI_USER.username}`);
  });

  test('a password with shell and compose metacharacters is single-quoted so compose reads it literally', async () => {
    aws = mockDeployedStack({ password: 'a$b#c d"e' });
    expect((await run([])).code).toBe(0);
    const text = await readFile(join(dir, '.env.perftool'), 'utf8');
    expect(text).toContain(`PERF_RST_SASL_PLAIN_PASSWORD='a$b#c d"e'\n`);
    expect(parseServicesYaml(await readFile(join(dir, '.sinetstream_config.yml'), 'utf8'))['perf-result'].sasl_plain_password).toBe('a$b#c d"e');
  });

  test("an MQTT password with characters env files and YAML treat specially reaches both files' readers unchanged", async () => {
    const password = 'a$b.c-d#e f"g\\h';
    aws = mockDeployedStack({ mqttPassword: password });
    expect((await run([])).code).toBe(0);
    const env = parseEnvFile(await readFile(join(dir, '.env.perftool'), 'utf8'));
    expect(runnerService(env, 'PERF_TGT_').username_pw_set).toEqual({ username: PI_MQTT_USER.username, password });
    expect(parseServicesYaml(await readFile(join(dir, '.sinetstream_config.yml'), 'utf8'))['perf-target'].username_pw_set).toEqual({
      username: PI_MQTT_USER.username,
      password,
    });
  });

  test('a numeric MQTT password, which the runner would pass to paho-mqtt as a number, is refused without echoing it; no files', async () => {
    aws = mockDeployedStack({ mqttPassword: '20261206.5' });
    const { code, stderrLines, stderr } = await run([]);
    expect(code).toBe(1);
    expect(stderrLines()).toEqual([expect.stringMatching(/^pi-config: error: PERF_TGT_USERNAME_PW_SET__PASSWORD would reach SINETStream as a number/)]);
    expect(stderr).not.toContain('20261206.5');
    expect(await readdir(dir)).toEqual([]);
  });

  test('a numeric Kafka password is refused the same way, naming its variable and not its value; no files', async () => {
    aws = mockDeployedStack({ password: '0123456789' });
    const { code, stderrLines, stderr } = await run([]);
    expect(code).toBe(1);
    expect(stderrLines()).toEqual([expect.stringMatching(/^pi-config: error: PERF_RST_SASL_PLAIN_PASSWORD would reach SINETStream as a number/)]);
    expect(stderr).not.toContain('0123456789');
    expect(await readdir(dir)).toEqual([]);
  });

  test('no permission to read the MQTT secret is one clear line naming that secret, and no files', async () => {
    aws = mockDeployedStack();
    aws.secretsManager.on(GetSecretValueCommand, { SecretId: OUTPUTS.PiMqttSecretArn }).rejects(awsError('AccessDeniedException', 'not authorized'));
    const { code, stderrLines } = await run([]);
    expect(code).toBe(1);
    expect(stderrLines()).toEqual([`pi-config: error: no permission to read the Pi MQTT secret ${OUTPUTS.PiMqttSecretArn} (needs secretsmanager:GetSecretValue on it and kms:Decrypt on its KMS key)`]);
    expect(await readdir(dir)).toEqual([]);
  });

  test('--print writes both files to stdout and nothing to disk', async () => {
    aws = mockDeployedStack();
    const { code, stdout } = await run(['--print']);
    expect(code).toBe(0);
    expect(await readdir(dir)).toEqual([]);
    expect(stdout).toContain('# ==> .sinetstream_config.yml <==\n');
    expect(stdout).toContain('# ==> .env.perftool <==\n');
    expect(stdout).toContain(`PERF_RST_BROKERS=${PUBLIC_BROKERS}\n`);
    expect(stdout).toContain(`  sasl_mechanism: "SCRAM-SHA-512"\n`);
  });

  const failures: [string, (aws: MockedAws) => void, RegExp][] = [
    [
      'stack not found',
      (a) => a.cloudFormation.on(DescribeStacksCommand).rejects(awsError('ValidationError', 'Stack with id PerftoolServer does not exist')),
      /^pi-config: error: stack "PerftoolServer" not found in ap-northeast-1: deploy it/,
    ],
    ['stack still deploying', () => undefined, /is in state UPDATE_IN_PROGRESS, not a completed state: wait for the deployment to finish/],
    [
      'public access not enabled yet',
      (a) => a.kafka.on(GetBootstrapBrokersCommand).resolves({ BootstrapBrokerStringSaslScram: 'b-1.internal:9096' }),
      /public access is not enabled on the MSK cluster yet/,
    ],
    [
      'no permission to read the secret',
      (a) => a.secretsManager.on(GetSecretValueCommand).rejects(awsError('AccessDeniedException', 'User is not authorized to perform secretsmanager:GetSecretValue')),
      /no permission to read the Pi SCRAM secret .*secretsmanager:GetSecretValue.*kms:Decrypt/,
    ],
    [
      'no credentials',
      (a) => a.cloudFormation.on(DescribeStacksCommand).rejects(awsError('CredentialsProviderError', 'Could not load credentials from any providers')),
      /no AWS credentials found .* "aws configure"/,
    ],
    [
      'no network',
      (a) =>
        a.cloudFormation
          .on(DescribeStacksCommand)
          .rejects(Object.assign(new Error('getaddrinfo ENOTFOUND cloudformation.ap-northeast-1.amazonaws.com'), { code: 'ENOTFOUND' })),
      /^pi-config: error: cannot reach AWS while trying to describe stack "PerftoolServer" \(ENOTFOUND cloudformation\.ap-northeast-1\.amazonaws\.com\): check the network or proxy\n$/,
    ],
  ];

  test.each(failures)('%s: one clear line on stderr, exit 1, no files', async (label, provoke, message) => {
    aws = mockDeployedStack({ status: label === 'stack still deploying' ? 'UPDATE_IN_PROGRESS' : undefined });
    provoke(aws);
    const { code, stdout, stderr, stderrLines } = await run([]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderrLines()).toHaveLength(1);
    expect(stderr).toMatch(message);
    expect(await readdir(dir)).toEqual([]);
  });

  test('a failed first deployment is reported as such', async () => {
    aws = mockDeployedStack({ status: 'ROLLBACK_COMPLETE' });
    const { code, stderr } = await run([]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/state ROLLBACK_COMPLETE, not a completed state: fix the failed deployment/);
  });

  test('a malformed secret is reported without echoing its content', async () => {
    aws = mockDeployedStack();
    aws.secretsManager.on(GetSecretValueCommand).resolves({ SecretString: '{"user":"pi","pass":"hunter2-secret"}' });
    const { code, stderr } = await run([]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/is not JSON \{"username", "password"\}/);
    expect(stderr).not.toContain('hunter2-secret');
  });

  test('a stack without the expected outputs is named in the error', async () => {
    aws = mockDeployedStack();
    aws.cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'Other', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [{ OutputKey: 'ViewerUrl', OutputValue: 'x' }] }],
    });
    const { code, stderr } = await run(['--stack', 'Other']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/stack "Other" has no output GraphqlUrl, MqttEndpoint, .*PiScramSecretArn/);
  });

  test('bad options fail before any AWS call', async () => {
    aws = mockDeployedStack();
    for (const args of [['--num-samples', 'many'], ['--schedule', 'sometimes'], ['--name', 'two words'], ['--name', '42'], ['--name', '1.5'], ['--bogus']]) {
      const { code, stderrLines } = await run(args);
      expect(code).toBe(1);
      expect(stderrLines()).toHaveLength(1);
      expect(stderrLines()[0]).toMatch(/^pi-config: error: /);
    }
    expect(aws.kafka.commandCalls(GetBootstrapBrokersCommand)).toHaveLength(0);
    expect(aws.secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  test('the bin/ shell exits non-zero with one line for a bad option and prints help', () => {
    const tsx = join(__dirname, '../../node_modules/.bin/tsx');
    const bad = spawnSync(tsx, ['bin/pi-config.ts', '--no-such-option'], { cwd: join(__dirname, '../..'), encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^pi-config: error: Unknown option '--no-such-option'.*--help/)]);
    const help = spawnSync(tsx, ['bin/pi-config.ts', '--help'], { cwd: join(__dirname, '../..'), encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: npm run pi-config');
  });
});

describe('the Pi files stay out of git and away from other users', () => {
  const REPO = join(__dirname, '../..');
  const FILES = ['.sinetstream_config.yml', '.env.perftool'];
  let aws: MockedAws;
  let dir: string;

  beforeEach(async () => {
    aws = mockDeployedStack();
    dir = await mkdtemp(join(tmpdir(), 'pi-config-git-'));
  });
  afterEach(async () => {
    aws.restore();
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (args: string[]) => {
    const out = captureIo();
    const code = await piConfigMain(args, out.io, aws.clients);
    return { code, ...out };
  };

  test("this repository's .gitignore covers the default folder ./pi-config (npm runs scripts in the repository root)", async () => {
    // git itself answers: the files are ignored, so `git add -A` cannot pick them up.
    const ignored = execFileSync('git', ['check-ignore', ...FILES.map((f) => `pi-config/${f}`)], { cwd: REPO, encoding: 'utf8' });
    expect(ignored.split('\n').filter(Boolean)).toEqual(FILES.map((f) => `pi-config/${f}`));
    await expect(filesGitWouldTrack(join(REPO, 'pi-config'), FILES)).resolves.toEqual({ workTree: expect.any(String), files: [] });
  });

  test('a folder inside a git work tree that does not ignore it gets a warning on stderr (files still written, 0600)', async () => {
    execFileSync('git', ['init', '-q', dir]);
    const outDir = join(dir, 'configs', 'lab');
    const { code, stderrLines } = await run(['--out-dir', outDir]);
    expect(code).toBe(0);
    expect(stderrLines()).toEqual([expect.stringMatching(/^pi-config: warning: .*configs\/lab is inside the git work tree .*, which does not ignore \.sinetstream_config\.yml, \.env\.perftool: the Pi's passwords could be committed/)]);
    for (const file of FILES) expect((await stat(join(outDir, file))).mode & 0o777).toBe(0o600);
    // git would indeed list them as new files.
    expect(execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: dir, encoding: 'utf8' })).toContain('configs/lab/.env.perftool');
  });

  test('no warning once the work tree ignores the folder', async () => {
    execFileSync('git', ['init', '-q', dir]);
    await writeFile(join(dir, '.gitignore'), 'configs/\n');
    const { code, stderr } = await run(['--out-dir', join(dir, 'configs', 'lab')]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
  });

  test('a folder outside any work tree: no git warning; a new folder is made 0700', async () => {
    const outDir = join(dir, 'new', 'pi');
    const { code, stderr } = await run(['--out-dir', outDir]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect((await stat(outDir)).mode & 0o777).toBe(0o700);
  });

  test('an existing folder open to other users gets a warning; the files are 0600 all the same', async () => {
    const outDir = join(dir, 'shared');
    await mkdir(outDir);
    await chmod(outDir, 0o755);
    const { code, stderrLines } = await run(['--out-dir', outDir]);
    expect(code).toBe(0);
    expect(stderrLines()).toEqual([expect.stringMatching(/^pi-config: warning: .*shared is open to other users \(mode 0755\)/)]);
    for (const file of FILES) expect((await stat(join(outDir, file))).mode & 0o777).toBe(0o600);
  });

  test('the default --out-dir is ./pi-config', async () => {
    const out = captureIo();
    expect(await piConfigMain(['--help'], out.io, aws.clients)).toBe(0);
    expect(out.stdout).toMatch(/--out-dir DIR +where to write the files \(default \.\/pi-config, which git ignores/);
  });
});
