import '../support/quiet-logs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { handler as hasuraMetadataHandler } from '../../lambda/hasura-metadata/index';
import { handler as kafkaAdminHandler } from '../../lambda/kafka-admin/index';
import { freePort } from '../support/nats-server';
import { cfnEvent } from './cfn-event';

const secrets = mockClient(SecretsManagerClient);
beforeEach(() => secrets.reset());

const contextWith = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs }) as unknown as Context;


describe('kafka-admin handler', () => {
  const props = (bootstrap: string) => ({
    BootstrapBrokers: bootstrap,
    AdminSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_PerftoolServer_admin-abc',
    Topic: 'perftool-sinetstream-result',
    Partitions: '2',
    ReplicationFactor: '2',
    AdminUser: 'perftool-admin',
    ProducerUser: 'perftool-pi',
    ConsumerUser: 'perftool-sink',
    ConsumerGroup: 'perftool-sink',
  });

  test('delete keeps the topic and touches neither Secrets Manager nor the brokers', async () => {
    await expect(kafkaAdminHandler(cfnEvent('Delete', 'Custom::KafkaTopicAndAcls', props('b-1:9096'), 'perftool-sinetstream-result'), contextWith(60_000))).resolves.toEqual({
      PhysicalResourceId: 'perftool-sinetstream-result',
    });
    expect(secrets.calls()).toHaveLength(0);
  });

  test('properties CloudFormation passed wrong are reported by name', async () => {
    await expect(kafkaAdminHandler(cfnEvent('Create', 'Custom::KafkaTopicAndAcls', { ...props('b-1:9096'), Partitions: 'two' }), contextWith(60_000))).rejects.toThrow(
      /invalid custom resource properties: Partitions/,
    );
  });

  test('unreachable brokers fail the deployment with a clear reason once the time budget is spent', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'perftool-admin', password: 'pw' }) });
    const closedPort = await freePort();
    await expect(
      kafkaAdminHandler(cfnEvent('Create', 'Custom::KafkaTopicAndAcls', props(`127.0.0.1:${closedPort}`)), contextWith(61_000)),
    ).rejects.toThrow(/connect to the brokers: still failing after 1 attempts, giving up/);
  });

  test('a secret without the SCRAM fields is reported without echoing it', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ user: 'x', pass: 'hunter2' }) });
    const err = await kafkaAdminHandler(cfnEvent('Create', 'Custom::KafkaTopicAndAcls', props('127.0.0.1:9')), contextWith(61_000)).catch((e: Error) => e);
    expect(String(err)).toMatch(/invalid admin SCRAM secret: username: .*password/);
    expect(String(err)).not.toContain('hunter2');
  });
});

describe('hasura-metadata handler', () => {
  let server: Server;
  let url: string;
  const seen: Array<{ type: string; secret: string | undefined }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const type = JSON.parse(body).type as string;
        seen.push({ type, secret: req.headers['x-hasura-admin-secret'] as string | undefined });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(type === 'get_inconsistent_metadata' ? { is_consistent: true, inconsistent_objects: [] } : { message: 'success' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const props = () => ({ HasuraUrl: `${url}/`, AdminSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:hasura-admin', MetadataHash: 'abc' });

  test('create reads the admin secret from Secrets Manager and applies the bundled metadata with it', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'the-admin-secret' });
    seen.length = 0;
    await expect(hasuraMetadataHandler(cfnEvent('Create', 'Custom::HasuraMetadata', props()), contextWith(300_000))).resolves.toEqual({
      PhysicalResourceId: 'hasura-metadata',
      Data: { MetadataHash: 'abc' },
    });
    expect(seen).toEqual([
      { type: 'replace_metadata', secret: 'the-admin-secret' },
      { type: 'reload_metadata', secret: 'the-admin-secret' },
      { type: 'get_inconsistent_metadata', secret: 'the-admin-secret' },
    ]);
  });

  test('update keeps the physical id; delete does nothing', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'the-admin-secret' });
    await expect(hasuraMetadataHandler(cfnEvent('Update', 'Custom::HasuraMetadata', props(), 'hasura-metadata'), contextWith(300_000))).resolves.toMatchObject({
      PhysicalResourceId: 'hasura-metadata',
    });
    seen.length = 0;
    await hasuraMetadataHandler(cfnEvent('Delete', 'Custom::HasuraMetadata', props(), 'hasura-metadata'), contextWith(300_000));
    expect(seen).toEqual([]);
  });
});
