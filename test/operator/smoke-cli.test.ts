import { GetBootstrapBrokersCommand } from '@aws-sdk/client-kafka';
import { smokeMain } from '../../lib/operator/smoke-cli';
import { captureIo, mockDeployedStack } from './aws-fixture';
import { startLocalHttp } from './local-http';
import { LocalStack, startLocalStack } from './local-stack';
import { producerDouble } from './producer-double';

/**
 * The whole smoke run against local stand-ins of the deployed pieces (local-stack.ts): mocked AWS APIs for the
 * outputs and credentials, a kafkajs producer double whose records go through the real sink into a real PostgreSQL,
 * the local preview's GraphQL endpoint over that database, the real nats-server, and an HTTP server for the viewer.
 */
describe('npm run smoke end to end against local stand-ins', () => {
  let local: LocalStack;

  beforeAll(async () => {
    local = await startLocalStack();
  });
  afterAll(async () => {
    await local?.close();
  });

  const localStack = () => mockDeployedStack({ outputs: local.outputs, mqttPassword: local.mqttPassword });

  test('every step passes: the published result is found through GraphQL, MQTT round-trips, the viewer has its headers', async () => {
    const aws = localStack();
    const kafka = local.producerIntoSink(300);
    const out = captureIo();
    try {
      const code = await smokeMain(['--timeout', '20'], out.io, { clients: aws.clients, kafka: kafka.factory });
      const lines = out.stdoutLines();
      expect(out.stderr).toBe('');
      expect(lines.map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual([
        'PASS deployment',
        'PASS kafka-publish',
        'PASS graphql-result',
        'PASS mqtt-qos1',
        'PASS viewer',
        'smoke: all',
      ]);
      for (const line of lines.slice(0, 5)) expect(line).toMatch(/^PASS {2}[\w-]+ +\d+ ms {2}\S/);
      expect(code).toBe(0);

      // The result it waited for is really stored under its unique name.
      const publisher = /as "(smoke-[^"]+)"/.exec(lines[1])?.[1];
      const stored = await local.sink.query('SELECT publisher FROM perftool WHERE publisher = $1', [publisher]);
      expect(stored.rowCount).toBe(1);
      expect(lines[2]).toMatch(/graphql-result .* stored at \d{4}-\d{2}-\d{2}T/);
    } finally {
      aws.restore();
    }
  });

  test('a Kafka failure fails the run: publish FAIL, GraphQL SKIP, the independent steps still run, exit 1', async () => {
    const aws = localStack();
    const kafka = producerDouble({ failConnect: Object.assign(new Error('SASL SCRAM SHA512 authentication failed: Authentication failed'), { name: 'KafkaJSSASLAuthenticationError' }) });
    const out = captureIo();
    try {
      const code = await smokeMain([], out.io, { clients: aws.clients, kafka: kafka.factory });
      const lines = out.stdoutLines();
      expect(code).toBe(1);
      expect(lines[1]).toMatch(/^FAIL {2}kafka-publish .*KafkaJSSASLAuthenticationError: SASL SCRAM SHA512 authentication failed/);
      expect(lines[2]).toMatch(/^SKIP {2}graphql-result .*needs kafka-publish, which did not pass/);
      expect(lines[3]).toMatch(/^PASS {2}mqtt-qos1/);
      expect(lines[4]).toMatch(/^PASS {2}viewer/);
      expect(lines[5]).toBe('smoke: FAILED, 2 of 5 steps did not pass');
      expect(kafka.calls).toEqual(['connect', 'disconnect']);
    } finally {
      aws.restore();
    }
  });

  test('a stored result whose rates differ from the published ones fails graphql-result', async () => {
    const wrongRates = await startLocalHttp((_req, body, res) => {
      const { publisher } = (JSON.parse(body) as { variables: { publisher: string } }).variables;
      const row = { timestamp: '2026-11-24T01:00:00+00:00', publisher, writer_bytes_rate: 1, reader_bytes_rate: 2 };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { rows: [row] } }));
    });
    const aws = mockDeployedStack({ outputs: { ...local.outputs, GraphqlUrl: `${wrongRates.url}/v1/graphql` }, mqttPassword: local.mqttPassword });
    const out = captureIo();
    try {
      const code = await smokeMain([], out.io, { clients: aws.clients, kafka: producerDouble().factory });
      expect(code).toBe(1);
      expect(out.stdoutLines()[2]).toMatch(/^FAIL {2}graphql-result .*stored rates 1\/2 differ from the published \d/);
    } finally {
      aws.restore();
      await wrongRates.close();
    }
  });

  test('an MQTT password other than the one NATS started with fails mqtt-qos1 with the user and a hint; nothing else fails', async () => {
    const aws = mockDeployedStack({ outputs: local.outputs, mqttPassword: `${local.mqttPassword}-rotated` });
    const out = captureIo();
    try {
      const code = await smokeMain(['--timeout', '20'], out.io, { clients: aws.clients, kafka: local.producerIntoSink(300).factory });
      const lines = out.stdoutLines();
      expect(code).toBe(1);
      expect(lines[3]).toMatch(/^FAIL {2}mqtt-qos1 .*cannot connect to mqtt:\/\/127\.0\.0\.1:\d+ with MQTT 3\.1\.1 as user pi \(is the Pi MQTT secret the one the NATS task started with\?\): .*Not authorized/);
      expect(lines.filter((l) => l.startsWith('FAIL'))).toHaveLength(1);
      expect(out.stdout).not.toContain(local.mqttPassword);
    } finally {
      aws.restore();
    }
  });

  test('when the deployment cannot be read, every other step is skipped and the reason is on the first line', async () => {
    const aws = localStack();
    aws.kafka.on(GetBootstrapBrokersCommand).resolves({ BootstrapBrokerStringSaslScram: 'b-1.internal:9096' });
    const out = captureIo();
    try {
      const code = await smokeMain([], out.io, { clients: aws.clients, kafka: producerDouble().factory });
      const lines = out.stdoutLines();
      expect(code).toBe(1);
      expect(lines[0]).toMatch(/^FAIL {2}deployment .*public access is not enabled on the MSK cluster yet/);
      expect(lines.slice(1, 5).every((l) => l.startsWith('SKIP'))).toBe(true);
      expect(lines[5]).toBe('smoke: FAILED, 5 of 5 steps did not pass');
    } finally {
      aws.restore();
    }
  });
});
