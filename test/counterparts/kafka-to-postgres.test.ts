import '../support/quiet-logs';
import { GetBootstrapBrokersCommand } from '@aws-sdk/client-kafka';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, MSKEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { Kafka } from 'kafkajs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { applyMigrations } from '../../lambda/db-init/migrate';
import { handler as kafkaAdminHandler } from '../../lambda/kafka-admin/index';
import { closeSharedClient } from '../../lambda/shared/db';
import { handler as sinkHandler } from '../../lambda/sink/index';
import { KAFKA_USERS, SINK_CONSUMER_GROUP } from '../../lib/kafka-properties';
import { piConfigMain } from '../../lib/operator/pi-config-cli';
import { RUNNER_ENV_FILE, SINETSTREAM_CONFIG_FILE, piServices, renderSinetStreamConfig } from '../../lib/operator/pi-config';
import { runnerReadsAsNumber } from '../../viewer-assets/src/model/publisherName';
import { resolveDeployment } from '../../lib/operator/deployment';
import { withEnv } from '../data-path/helpers';
import { mskEventVector, perftoolResultLines } from '../data-path/vectors';
import { cfnEvent } from '../infra/cfn-event';
import { synthesise } from '../infra/synth';
import { captureIo, mockDeployedStack, MockedAws, OUTPUTS } from '../operator/aws-fixture';
import { RunningEventSource, startEventSource } from '../support/event-source';
import { KafkaBroker, startKafkaBroker, trustCaForDefaultTls } from '../support/kafka-broker';
import { createTestDatabase, TestDatabase } from '../support/postgres';
import { SINETSTREAM_VERSIONS, SinetStreamVersion, sinetStreamVenv } from '../support/test-deps';
import { runPython } from '../support/venv-python';

/**
 * From a Pi to PostgreSQL with real counterparts: the SINETStream library publishes to a real Kafka broker set up
 * as the stack sets up MSK, an emulated MSK event source mapping hands the records to the real sink handler, and
 * the sink stores them in a real PostgreSQL.
 */
const TOPIC = OUTPUTS.ResultTopic;
const ADMIN_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_PerftoolServer_admin-AbCdEf';
/** Every character the password rules name; the env file cannot carry the single quote (pi-config refuses it). */
const PI_PASSWORD = "pw$with.dots-dash#hash'quote";
const PI_PASSWORD_ENV = 'pw$with.dots-dash#hash';

let broker: KafkaBroker;
let untrustCa: () => void;
let db: TestDatabase;
let pg: Client;

const sink = (event: MSKEvent) => withEnv(db.env, () => sinkHandler(event));

async function produce(values: Buffer[], partition = 0, extra: { key?: string; headers?: Record<string, string> } = {}): Promise<number[]> {
  const producer = new Kafka(broker.kafkaConfig(broker.users.pi)).producer();
  await producer.connect();
  try {
    const [meta] = await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value) => ({ value, partition, ...extra })) });
    return values.map((_, i) => Number(meta.baseOffset) + i);
  } finally {
    await producer.disconnect();
  }
}

const rowsAt = async (table: 'perftool_message' | 'perftool_rejected', partition: number, offsets: number[]) =>
  (await pg.query(`SELECT kafka_offset::int AS o FROM ${table} WHERE topic = $1 AND kafka_partition = $2 AND kafka_offset = ANY($3) ORDER BY 1`, [TOPIC, partition, offsets])).rows.map(
    (r) => r.o as number,
  );

beforeAll(async () => {
  // The Pi's password holds every character of the password rules (SCRAM itself takes any).
  broker = await startKafkaBroker({ passwords: { pi: PI_PASSWORD_ENV } });
  untrustCa = trustCaForDefaultTls(broker.caPem);
  console.log(`Kafka broker (KRaft, SASL_SSL/SCRAM-SHA-512, ACLs) started in ${broker.startupMs[0]} ms`);
  // Deployed as the stack does it: the topic/ACL custom resource, then the Locked configuration.
  const secrets = mockClient(SecretsManagerClient);
  secrets.on(GetSecretValueCommand).resolves({ SecretString: broker.secretString('admin') });
  try {
    await kafkaAdminHandler(
      cfnEvent('Create', 'Custom::KafkaTopicAndAcls', {
        BootstrapBrokers: broker.bootstrapBrokers,
        AdminSecretArn: ADMIN_SECRET_ARN,
        Topic: TOPIC,
        Partitions: '2',
        ReplicationFactor: '1',
        AdminUser: KAFKA_USERS.admin,
        ProducerUser: KAFKA_USERS.pi,
        ConsumerUser: KAFKA_USERS.sink,
        ConsumerGroup: SINK_CONSUMER_GROUP,
      }),
      { getRemainingTimeInMillis: () => 120_000 } as unknown as Context,
    );
  } finally {
    secrets.restore();
  }
  await broker.applyLockedConfiguration();

  db = await createTestDatabase('kafka_sink');
  pg = new Client({ ...db.config, options: '-c TimeZone=UTC' });
  await pg.connect();
  await applyMigrations(pg, { defaultPerftoolName: 'perftool-sinetstream-target' });
}, 240_000);

afterAll(async () => {
  untrustCa?.();
  await closeSharedClient();
  await pg?.end();
  await db?.drop();
  await broker?.stop();
});

describe('emulated MSK event source mapping → sink → PostgreSQL', () => {
  let source: RunningEventSource | undefined;
  afterEach(async () => {
    await source?.stop();
    source = undefined;
  });
  const start = (extra: Partial<Parameters<typeof startEventSource>[0]> = {}) =>
    startEventSource({ kafka: broker.kafkaConfig(broker.users.sink, 'lambda-esm'), topic: TOPIC, groupId: SINK_CONSUMER_GROUP, handler: sink, ...extra });

  it('delivers events shaped as Lambda delivers them, and the vector record becomes its perftool row', async () => {
    const vector = mskEventVector();
    const vectorRecord = Object.values(vector.records)[0][0];
    const before = Date.now();
    const [offset] = await produce([Buffer.from(vectorRecord.value, 'base64')], 0, { key: 'pi-lab-1', headers: { 'trace-id': 'é1' } });
    const after = Date.now();
    source = await start();
    await source.committed(0, offset);

    const delivered = source.events.flatMap((e) => Object.entries(e.records));
    const [key, records] = delivered.find(([, rs]) => rs.some((r) => r.offset === offset))!;
    expect(key).toBe(`${TOPIC}-0`);
    const record = records.find((r) => r.offset === offset)!;
    expect(Object.keys(record).sort()).toEqual(['headers', 'key', 'offset', 'partition', 'timestamp', 'timestampType', 'topic', 'value']);
    // Key and value in base64, header values as the list of their bytes ("é" is two bytes in UTF-8).
    expect(record).toMatchObject({
      topic: TOPIC,
      partition: 0,
      timestampType: 'CREATE_TIME',
      key: Buffer.from('pi-lab-1').toString('base64'),
      value: vectorRecord.value,
      headers: [{ 'trace-id': [0xc3, 0xa9, 0x31] }],
    });
    // CREATE_TIME: the producer's clock when it sent the record.
    expect(record.timestamp).toBeGreaterThanOrEqual(before);
    expect(record.timestamp).toBeLessThanOrEqual(after);
    expect(source.events[0]).toMatchObject({ eventSource: 'aws:kafka', bootstrapServers: broker.bootstrapBrokers });

    const row = await pg.query(`SELECT "timestamp"::text AS ts, publisher, reader_bytes_rate, writer_bytes_rate FROM perftool p
        JOIN perftool_message m ON m.tstamp = p."timestamp" WHERE m.kafka_partition = 0 AND m.kafka_offset = $1`, [offset]);
    expect(row.rows).toEqual([
      { ts: '2022-03-28 18:25:55.700123+00', publisher: 'perftool-sinetstream-target', reader_bytes_rate: 480368.0981595092, writer_bytes_rate: 481846.1538461538 },
    ]);
  });

  it('a crash between the handler and the commit redelivers the batch, and nothing is stored twice', async () => {
    const result = JSON.parse(perftoolResultLines()[1]);
    const value = Buffer.from(JSON.stringify({ ...result, name: 'crash-redelivery' }));
    const [offset] = await produce([value], 1);
    const countRows = async () => (await pg.query(`SELECT count(*)::int AS n FROM perftool WHERE publisher = 'crash-redelivery'`)).rows[0].n;

    source = await start({ crashBeforeCommit: (e) => e.records[`${TOPIC}-1`]?.some((r) => r.offset === offset) ?? false });
    const crashed = await source.crashed();
    expect(await countRows()).toBe(1);
    await source.stop();

    source = await start();
    await source.committed(1, offset);
    const redelivered = source.events.flatMap((e) => e.records[`${TOPIC}-1`] ?? []).filter((r) => r.offset === offset);
    expect(redelivered).toEqual(crashed.records[`${TOPIC}-1`].filter((r) => r.offset === offset));
    expect(await countRows()).toBe(1);
    expect(await rowsAt('perftool_message', 1, [offset])).toEqual([offset]);
  });

  it('a poison record is kept in perftool_rejected and the records after it are stored', async () => {
    const good = Buffer.from(JSON.stringify({ ...JSON.parse(perftoolResultLines()[1]), name: 'after-poison' }));
    const offsets = await produce([Buffer.from([0xdf, 0x03, 0x00]), Buffer.from('{"not":"a perftool result"'), good]);
    source = await start();
    await source.committed(0, offsets[2]);
    expect(await rowsAt('perftool_rejected', 0, offsets)).toEqual([offsets[0], offsets[1]]);
    expect(await rowsAt('perftool_message', 0, offsets)).toEqual([offsets[2]]);
    expect((await pg.query(`SELECT count(*)::int AS n FROM perftool WHERE publisher = 'after-poison'`)).rows[0].n).toBe(1);
  });
});

describe('the real SINETStream client with the files `npm run pi-config` writes', () => {
  let source: RunningEventSource;
  beforeAll(async () => {
    source = await startEventSource({ kafka: broker.kafkaConfig(broker.users.sink, 'lambda-esm'), topic: TOPIC, groupId: SINK_CONSUMER_GROUP, handler: sink });
  });
  afterAll(() => source?.stop());

  /** A mocked deployment whose public brokers and Pi secret are the test broker's (other answers as aws-fixture). */
  function mockedDeployment(password: string): MockedAws {
    const aws = mockDeployedStack();
    aws.kafka.on(GetBootstrapBrokersCommand).resolves({ BootstrapBrokerStringPublicSaslScram: broker.bootstrapBrokers });
    aws.secretsManager.on(GetSecretValueCommand, { SecretId: OUTPUTS.PiScramSecretArn }).resolves({ SecretString: JSON.stringify({ ...broker.users.pi, password }) });
    return aws;
  }

  /** Writes both files with `npm run pi-config`'s code against the mocked deployment. */
  async function piConfigFiles(password: string): Promise<{ dir: string; code: number; stderr: string }> {
    const dir = await mkdtemp(join(tmpdir(), 'perftool-pi-'));
    const aws = mockedDeployment(password);
    try {
      const out = captureIo();
      const code = await piConfigMain(['--out-dir', dir, '--name', 'unused-by-these-tests'], out.io, aws.clients);
      return { dir, code, stderr: out.stderr };
    } finally {
      aws.restore();
    }
  }

  /**
   * Only the SINETStream config file, rendered by the code pi-config uses for it, for a password the env file
   * cannot hold (pi-config then refuses to write either file).
   */
  async function sinetStreamConfigOnly(password: string): Promise<{ dir: string; code: number; stderr: string }> {
    const dir = await mkdtemp(join(tmpdir(), 'perftool-pi-'));
    const aws = mockedDeployment(password);
    try {
      const deployment = await resolveDeployment(aws.clients(), 'PerftoolServer');
      await writeFile(join(dir, SINETSTREAM_CONFIG_FILE), renderSinetStreamConfig(piServices(deployment), 'test'), { mode: 0o600 });
      return { dir, code: 0, stderr: '' };
    } finally {
      aws.restore();
    }
  }

  /** Polls PostgreSQL until the sink stored the result published under `name`. */
  async function storedResult(name: string): Promise<{ tstamp: string; msg: unknown; row: Record<string, unknown> }> {
    for (let i = 0; i < 300; i++) {
      const found = await pg.query(
        `SELECT m.msg, (extract(epoch FROM m.tstamp) * 1000000)::bigint::text AS tstamp, p.reader_bytes_rate, p.writer_count_rate, p."timestamp" = m.tstamp AS same_time
           FROM perftool_message m JOIN perftool p ON p.publisher = m.msg->>'name' WHERE m.msg->>'name' = $1`,
        [name],
      );
      if (found.rows.length > 0) {
        expect(found.rows).toHaveLength(1);
        const { msg, tstamp, ...row } = found.rows[0];
        return { tstamp, msg, row };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no result named ${name} reached PostgreSQL (${source.events.length} events, errors: ${source.errors.map(String).join('; ')})`);
  }

  const writerScript = () => readFile(join(__dirname, '../support/python/perftool_result_writer.py'), 'utf8');

  /** Publishes a result with the real library from the file `file` of pi-config's output; checks what the sink stored. */
  async function publishAndVerify(version: SinetStreamVersion, mode: 'config-file' | 'runner-env', password: string, label: string): Promise<void> {
    const file = mode === 'config-file' ? SINETSTREAM_CONFIG_FILE : RUNNER_ENV_FILE;
    const files = label === 'quote' ? await sinetStreamConfigOnly(password) : await piConfigFiles(password);
    try {
      expect(files).toMatchObject({ code: 0, stderr: '' });
      // A directory with only this path's file, as on the Pi (the runner writes its own config file from the env).
      const workDir = await mkdtemp(join(tmpdir(), `perftool-${mode}-`));
      await writeFile(join(workDir, file), await readFile(join(files.dir, file)), { mode: 0o600 });
      const name = `sinetstream-${version}-${mode}-${label}`;
      const result = { ...JSON.parse(perftoolResultLines()[0]), name };
      const sent = await runPython<{ tstamp: number }>({
        venv: sinetStreamVenv(version),
        script: await writerScript(),
        args: [mode, JSON.stringify(result)],
        cwd: workDir,
        // The Pi's system trust store holds the brokers' CA (Amazon's on AWS, the test CA here).
        env: { SSL_CERT_FILE: broker.caFile },
      }).finally(() => rm(workDir, { recursive: true, force: true }));

      const stored = await storedResult(name);
      expect(stored.msg).toEqual(result);
      expect(stored.tstamp).toBe(String(sent.tstamp));
      expect(stored.row).toEqual({ reader_bytes_rate: result.reader.msg_bytes_rate, writer_count_rate: result.writer.msg_count_rate, same_time: true });
    } finally {
      await rm(files.dir, { recursive: true, force: true });
    }
  }

  describe.each(SINETSTREAM_VERSIONS)('SINETStream %s, Pi password with $ . - #', (version) => {
    it(`${SINETSTREAM_CONFIG_FILE}: MessageWriter(value_type=TEXT) publishes over SASL_SSL/SCRAM; the sink stores exactly the values and tstamp it sent`, () =>
      publishAndVerify(version, 'config-file', PI_PASSWORD_ENV, 'plain'));
    it(`${RUNNER_ENV_FILE} through the runner's conversion: the same`, () => publishAndVerify(version, 'runner-env', PI_PASSWORD_ENV, 'plain'));
  });

  describe("after the Pi's secret changed to a password that also has a single quote", () => {
    beforeAll(() => broker.setPassword('pi', PI_PASSWORD), 60_000);

    it.each(SINETSTREAM_VERSIONS)(`SINETStream %s publishes with it through ${SINETSTREAM_CONFIG_FILE}`, (version) => publishAndVerify(version, 'config-file', PI_PASSWORD, 'quote'));

    it(`pi-config refuses it for ${RUNNER_ENV_FILE} without printing it; the stack's generated passwords have no punctuation at all`, async () => {
      const files = await piConfigFiles(PI_PASSWORD);
      try {
        expect(files.code).not.toBe(0);
        expect(files.stderr).toMatch(/PERF_RST_SASL_PLAIN_PASSWORD contains a quote or line break and cannot be written to an env file safely/);
        expect(files.stderr).not.toContain(PI_PASSWORD);
      } finally {
        await rm(files.dir, { recursive: true, force: true });
      }
      // So a deployed stack never meets this: its SCRAM secrets are generated without punctuation.
      const template = synthesise().template.toJSON() as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
      const scramSecrets = Object.values(template.Resources).filter((r) => r.Type === 'AWS::SecretsManager::Secret' && JSON.stringify(r.Properties.Name ?? '').includes('AmazonMSK_'));
      expect(scramSecrets.map((r) => (r.Properties.GenerateSecretString as { ExcludePunctuation?: boolean }).ExcludePunctuation)).toEqual([true, true, true]);
    });
  });

  it(`pi-config refuses a password the runner would turn into a number, naming the variable and not the value`, async () => {
    const files = await piConfigFiles('20261206.1');
    try {
      expect(files.code).not.toBe(0);
      expect(files.stderr).toMatch(/PERF_RST_SASL_PLAIN_PASSWORD would reach SINETStream as a number/);
      expect(files.stderr).not.toContain('20261206.1');
    } finally {
      await rm(files.dir, { recursive: true, force: true });
    }
  });

  it('the env-file guard against numeric text matches the runner\'s own conversion (Python int()/float())', async () => {
    const samples = ['12345', '-7', '+3', ' 42 ', '1_000', '1.5', '.5', '5.', '1.5e3', '1_0.2_5', '1.2.3', 'abc.def', '1e5', 'nan', 'inf', '1,5', '', '0x10', 'pw$with.dots-dash#hash', '١٢'];
    const python = await runPython<boolean[]>({
      venv: sinetStreamVenv('1.10.0'),
      script: [
        'import json, sys',
        'def number(t):',
        '    if "." in t:',
        '        try: float(t); return True',
        '        except ValueError: pass',
        '    try: int(t); return True',
        '    except ValueError: return False',
        'print(json.dumps([number(t) for t in json.loads(sys.argv[1])]))',
      ].join('\n'),
      args: [JSON.stringify(samples)],
    });
    expect(samples.map((s) => [s, runnerReadsAsNumber(s)])).toEqual(samples.map((s, i) => [s, python[i]]));
  });
});
