import '../support/quiet-logs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ConfigResourceTypes,
  Kafka,
  KafkaConfig,
  KafkaMessage,
  logCreator,
  logLevel,
  ResourcePatternTypes,
} from 'kafkajs';
import { handler as kafkaAdminHandler } from '../../lambda/kafka-admin/index';
import { EVENT_SOURCE_MAPPING_ACLS, TopicSpec, aclsFor } from '../../lambda/kafka-admin/topic-acls';
import { decodeSinetStream } from '../../lambda/shared/sinetstream';
import { KAFKA_USERS, SINK_CONSUMER_GROUP } from '../../lib/kafka-properties';
import { publishResult } from '../../lib/operator/smoke/kafka-publish';
import { smokePerftoolResult } from '../../lib/operator/smoke/perftool-result';
import { cfnEvent } from '../infra/cfn-event';
import { KafkaBroker, ScramUser, startKafkaBroker, trustCaForDefaultTls } from '../support/kafka-broker';

/**
 * The stack's Kafka side against a real Apache Kafka broker configured like MSK's public endpoint, in the order a
 * deploy goes: the topic/ACL custom resource under the Bootstrap configuration, then the Locked configuration.
 * The tests of each describe block build on the previous ones (one broker for the file).
 */
const TOPIC = 'perftool-sinetstream-result';
const ADMIN_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_PerftoolServer_admin-AbCdEf';
const secrets = mockClient(SecretsManagerClient);
const lambdaContext = (remainingMs = 120_000) => ({ getRemainingTimeInMillis: () => remainingMs }) as unknown as Context;

let broker: KafkaBroker;
let untrustCa: () => void;

const spec = (partitions: number): TopicSpec => ({
  topic: TOPIC,
  partitions,
  replicationFactor: 1,
  adminUser: KAFKA_USERS.admin,
  producerUser: KAFKA_USERS.pi,
  consumerUser: KAFKA_USERS.sink,
  consumerGroup: SINK_CONSUMER_GROUP,
});
/** The custom resource's properties exactly as lib/constructs/kafka.ts passes them (CloudFormation sends strings). */
const properties = (partitions: number) => ({
  BootstrapBrokers: broker.bootstrapBrokers,
  AdminSecretArn: ADMIN_SECRET_ARN,
  Topic: TOPIC,
  Partitions: String(partitions),
  ReplicationFactor: '1',
  AdminUser: KAFKA_USERS.admin,
  ProducerUser: KAFKA_USERS.pi,
  ConsumerUser: KAFKA_USERS.sink,
  ConsumerGroup: SINK_CONSUMER_GROUP,
});

const client = (user: ScramUser, extra: Partial<KafkaConfig> = {}) => new Kafka({ ...broker.kafkaConfig(user), ...extra });

async function withAdmin<T>(user: ScramUser, fn: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
  const admin = client(user).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Every ACL on the broker as [principal, resourceType, resourceName, operation] (sorted). */
async function brokerAcls(): Promise<string[]> {
  const found = await withAdmin(broker.users.admin, (admin) =>
    admin.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    }),
  );
  return found.resources
    .flatMap((r) => r.acls.map((a) => `${a.principal} ${AclResourceTypes[r.resourceType]} ${r.resourceName} ${AclOperationTypes[a.operation]} ${AclPermissionTypes[a.permissionType]}`))
    .sort();
}
const expectedAcls = (s: TopicSpec) =>
  aclsFor(s)
    .map((a) => `${a.principal} ${AclResourceTypes[a.resourceType]} ${a.resourceName} ${AclOperationTypes[a.operation]} ${AclPermissionTypes[a.permissionType]}`)
    .sort();

async function partitionCount(topic: string): Promise<number> {
  const meta = await withAdmin(broker.users.admin, (admin) => admin.fetchTopicMetadata({ topics: [topic] }));
  return meta.topics[0].partitions.length;
}

async function produce(user: ScramUser, topic: string, value: string): Promise<void> {
  const producer = client(user).producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ value }] });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Consumes with a consumer group (from the beginning, or from its committed offsets) until `until` holds for the
 * messages read; resolves with them, or rejects with the error that stopped the consumer (e.g. an authorization
 * failure). Retriable errors (the group coordinator still starting) are retried as any client would.
 */
async function consume(user: ScramUser, groupId: string, topic: string, until: (m: KafkaMessage[]) => boolean = (m) => m.length > 0): Promise<KafkaMessage[]> {
  // kafkajs reports a refused FindCoordinator only as "group coordinator not found"; its debug log has the code.
  const refusals: string[] = [];
  const logCreator: logCreator = () => ({ log }) => {
    const type = (log.error as { type?: string } | undefined)?.type;
    if (type?.endsWith('_AUTHORIZATION_FAILED')) refusals.push(type);
  };
  const consumer = client(user, { retry: { retries: 8, initialRetryTime: 200, restartOnFailure: async () => false }, logLevel: logLevel.DEBUG, logCreator }).consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    // Short fetch waits, so disconnecting does not wait out a long poll.
    maxWaitTimeInMs: 250,
  });
  const messages: KafkaMessage[] = [];
  try {
    await consumer.connect();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumer: condition not met within 30 s (${messages.length} messages)`)), 30_000);
      consumer.on(consumer.events.CRASH, (e) => {
        clearTimeout(timer);
        reject(e.payload.error);
      });
      consumer
        .subscribe({ topic, fromBeginning: true })
        .then(() =>
          consumer.run({
            eachMessage: async ({ message }) => {
              messages.push(message);
              if (until(messages)) {
                clearTimeout(timer);
                resolve();
              }
            },
          }),
        )
        .catch((e) => {
          clearTimeout(timer);
          reject(e);
        });
    });
    return messages;
  } catch (err) {
    if ((err as Error).name === 'KafkaJSGroupCoordinatorNotFound' && refusals.length > 0) Object.assign(err as Error, { type: refusals[0] });
    throw err;
  } finally {
    await consumer.disconnect();
  }
}

/**
 * Why a call was refused: the Kafka error code kafkajs carries (`type`, possibly on a wrapped cause), else the
 * error's name and message.
 */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    type Wrapped = { type?: string; cause?: unknown; originalError?: unknown; errors?: unknown[] } | undefined;
    for (let e = err as Wrapped; e; e = (e.cause ?? e.originalError ?? e.errors?.[0]) as Wrapped) {
      if (e.type) return e.type;
    }
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
  throw new Error('expected the call to be refused, but it succeeded');
}

/** Metadata reaches the broker's cache shortly after the controller commits it: wait for the expected count. */
async function eventualPartitionCount(topic: string, expected: number): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const n = await partitionCount(topic);
    if (n === expected) return n;
    await new Promise((r) => setTimeout(r, 100));
  }
  return partitionCount(topic);
}

beforeAll(async () => {
  broker = await startKafkaBroker();
  // The handler uses `ssl: true` (the system trust store, Amazon's CA on AWS); here the store gets the test CA.
  untrustCa = trustCaForDefaultTls(broker.caPem);
  console.log(`Kafka broker (KRaft, SASL_SSL/SCRAM-SHA-512, ACLs) started in ${broker.startupMs[0]} ms`);
}, 180_000);

afterAll(async () => {
  untrustCa?.();
  await broker?.stop();
});

beforeEach(() => {
  secrets.reset();
  secrets.on(GetSecretValueCommand, { SecretId: ADMIN_SECRET_ARN }).resolves({ SecretString: broker.secretString('admin') });
});

describe('Bootstrap configuration (allow.everyone.if.no.acl.found=true): the topic/ACL custom resource', () => {
  it('starts like MSK: nothing but SCRAM users, no topic, no ACL, permissive', async () => {
    expect(broker.allowEveryoneIfNoAclFound).toBe(true);
    expect(await brokerAcls()).toEqual([]);
    expect(await withAdmin(broker.users.admin, (a) => a.listTopics())).not.toContain(TOPIC);
  });

  it('Create makes the topic with its partitions and every ACL', async () => {
    const res = await kafkaAdminHandler(cfnEvent('Create', 'Custom::KafkaTopicAndAcls', properties(2)), lambdaContext());
    expect(res).toEqual({ PhysicalResourceId: TOPIC, Data: { Topic: TOPIC, Partitions: 2 } });
    expect(await eventualPartitionCount(TOPIC, 2)).toBe(2);
    expect(await brokerAcls()).toEqual(expectedAcls(spec(2)));
  });

  it('Update adds partitions and re-applies an ACL that went missing', async () => {
    const lost = aclsFor(spec(3)).find((a) => a.principal === `User:${KAFKA_USERS.sink}` && a.operation === AclOperationTypes.READ && a.resourceType === AclResourceTypes.TOPIC)!;
    await withAdmin(broker.users.admin, (admin) => admin.deleteAcls({ filters: [lost] }));
    expect(await brokerAcls()).toHaveLength(expectedAcls(spec(3)).length - 1);

    const res = await kafkaAdminHandler(cfnEvent('Update', 'Custom::KafkaTopicAndAcls', properties(3), TOPIC), lambdaContext());
    expect(res).toEqual({ PhysicalResourceId: TOPIC, Data: { Topic: TOPIC, Partitions: 3 } });
    expect(await eventualPartitionCount(TOPIC, 3)).toBe(3);
    expect(await brokerAcls()).toEqual(expectedAcls(spec(3)));
  });

  it('Delete keeps the topic, its ACLs and its data', async () => {
    const res = await kafkaAdminHandler(cfnEvent('Delete', 'Custom::KafkaTopicAndAcls', properties(3), TOPIC), lambdaContext());
    expect(res).toEqual({ PhysicalResourceId: TOPIC });
    expect(await partitionCount(TOPIC)).toBe(3);
    expect(await brokerAcls()).toEqual(expectedAcls(spec(3)));
  });

  it('a topic the Pi must not read exists besides the result topic', async () => {
    await withAdmin(broker.users.admin, (admin) => admin.createTopics({ topics: [{ topic: 'other-topic', numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true }));
    await produce(broker.users.admin, 'other-topic', 'not for the Pi');
  });
});

describe('Locked configuration (allow.everyone.if.no.acl.found=false), applied after the ACLs as the deploy does', () => {
  beforeAll(async () => {
    await broker.applyLockedConfiguration();
    console.log(`Kafka broker restarted with the Locked configuration in ${broker.startupMs[1]} ms`);
  }, 180_000);

  it('the Pi produces to the result topic', async () => {
    await produce(broker.users.pi, TOPIC, 'from the Pi');
  });

  it('the Pi cannot consume, not even with the sink\'s consumer group', async () => {
    expect(await failure(consume(broker.users.pi, 'pi-group', TOPIC))).toBe('GROUP_AUTHORIZATION_FAILED');
    expect(await failure(consume(broker.users.pi, SINK_CONSUMER_GROUP, TOPIC))).toBe('GROUP_AUTHORIZATION_FAILED');
  });

  it('the Pi can neither write nor describe other topics, nor create topics', async () => {
    expect(await failure(produce(broker.users.pi, 'other-topic', 'x'))).toBe('TOPIC_AUTHORIZATION_FAILED');
    const listed = await withAdmin(broker.users.pi, (admin) => admin.listTopics());
    expect(listed).toEqual([TOPIC]);
    expect(await failure(withAdmin(broker.users.pi, (admin) => admin.createTopics({ topics: [{ topic: 'pi-made', numPartitions: 1, replicationFactor: 1 }] })))).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it('the sink consumes the result topic with its consumer group (and no other group), and cannot produce', async () => {
    const got = await consume(broker.users.sink, SINK_CONSUMER_GROUP, TOPIC);
    expect(got.map((m) => m.value?.toString())).toEqual(['from the Pi']);
    expect(await failure(consume(broker.users.sink, 'another-group', TOPIC))).toBe('GROUP_AUTHORIZATION_FAILED');
    expect(await failure(produce(broker.users.sink, TOPIC, 'x'))).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await failure(consume(broker.users.sink, SINK_CONSUMER_GROUP, 'other-topic'))).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it('the sink has each ACL the MSK event source mapping needs, and it works on the broker', async () => {
    const sinkAcls = aclsFor(spec(3)).filter((a) => a.principal === `User:${KAFKA_USERS.sink}`);
    for (const [action, acl] of Object.entries(EVENT_SOURCE_MAPPING_ACLS)) {
      if (acl === 'authentication') continue;
      expect({ action, found: sinkAcls.some((a) => a.resourceType === acl.resourceType && a.operation === acl.operation) }).toEqual({ action, found: true });
    }
    // DescribeClusterDynamicConfiguration → DESCRIBE_CONFIGS on the cluster: reading the broker's configuration.
    const brokerConfig = { type: ConfigResourceTypes.BROKER, name: '1' };
    const described = await withAdmin(broker.users.sink, (admin) => admin.describeConfigs({ resources: [brokerConfig], includeSynonyms: false }));
    expect(described.resources[0].errorCode).toBe(0);
    expect(await failure(withAdmin(broker.users.pi, (admin) => admin.describeConfigs({ resources: [brokerConfig], includeSynonyms: false })))).toBe('CLUSTER_AUTHORIZATION_FAILED');
  });

  it('the admin still applies an Update (one more partition, ACLs re-applied)', async () => {
    const res = await kafkaAdminHandler(cfnEvent('Update', 'Custom::KafkaTopicAndAcls', properties(4), TOPIC), lambdaContext());
    expect(res).toEqual({ PhysicalResourceId: TOPIC, Data: { Topic: TOPIC, Partitions: 4 } });
    expect(await eventualPartitionCount(TOPIC, 4)).toBe(4);
    expect(await brokerAcls()).toEqual(expectedAcls(spec(4)));
  });

  it('a wrong password is refused, for a client and for the custom resource', async () => {
    const wrong = { ...broker.users.pi, password: `${broker.users.pi.password}x` };
    expect(await failure(produce(wrong, TOPIC, 'x'))).toMatch(/^KafkaJSSASLAuthenticationError: .*invalid credentials/);
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ ...broker.users.admin, password: 'not-the-password' }) });
    // 61 s left: one attempt, then the handler gives up instead of retrying into the Lambda timeout.
    await expect(kafkaAdminHandler(cfnEvent('Update', 'Custom::KafkaTopicAndAcls', properties(4), TOPIC), lambdaContext(61_000))).rejects.toThrow(
      /connect to the brokers: still failing after 1 attempts, giving up: SASL SCRAM SHA512 authentication failed/,
    );
  });

  it("npm run smoke's Kafka step publishes a SINETStream record the sink's user reads back", async () => {
    const result = smokePerftoolResult('smoke-counterpart', Date.UTC(2026, 11, 6, 12, 0, 0));
    const tstampMicros = 1_780_000_000_123_456n;
    const sent = await publishResult({ bootstrapBrokers: broker.bootstrapBrokers, credentials: broker.users.pi, topic: TOPIC, result, tstampMicros });
    const got = await consume(broker.users.sink, SINK_CONSUMER_GROUP, TOPIC, (m) => m.some((x) => x.value?.equals(sent)));
    const decoded = decodeSinetStream(got.find((x) => x.value?.equals(sent))!.value!);
    expect(decoded).toMatchObject({ ok: true, format: 'v3', tstampMicros });
    expect(decoded.ok && JSON.parse(decoded.payload.toString('utf8'))).toEqual(result);
  });
});
