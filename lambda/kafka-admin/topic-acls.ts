import { AclEntry, AclOperationTypes, AclPermissionTypes, AclResourceTypes, Admin, ResourcePatternTypes } from 'kafkajs';
import { RetryOptions, withRetries } from '../custom-resource/retry';

export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor: number;
  adminUser: string;
  producerUser: string;
  consumerUser: string;
  consumerGroup: string;
}

/** The part of the kafkajs admin client this module uses (tests pass a double). */
export type KafkaAdmin = Pick<Admin, 'connect' | 'disconnect' | 'listTopics' | 'createTopics' | 'fetchTopicMetadata' | 'createPartitions' | 'createAcls'>;

const allow = (user: string, resourceType: AclResourceTypes, resourceName: string, operation: AclOperationTypes): AclEntry => ({
  principal: `User:${user}`,
  host: '*',
  permissionType: AclPermissionTypes.ALLOW,
  resourceType,
  resourceName,
  resourcePatternType: ResourcePatternTypes.LITERAL,
  operation,
});

/**
 * What Lambda's MSK event source mapping does on the cluster, as AWS lists it for IAM authentication (Lambda
 * developer guide, "Configuring Amazon MSK event sources": kafka-cluster:Connect, DescribeGroup, AlterGroup,
 * DescribeTopic, ReadData, DescribeClusterDynamicConfiguration), and the Kafka ACL each one is under SASL/SCRAM
 * (MSK's IAM access control maps its actions to these operations). Connect has no ACL: with SCRAM, connecting is
 * authenticating. AlterGroup covers joining the group and committing offsets, which Kafka authorizes as READ.
 */
export const EVENT_SOURCE_MAPPING_ACLS: Record<string, { resourceType: AclResourceTypes; operation: AclOperationTypes } | 'authentication'> = {
  'kafka-cluster:Connect': 'authentication',
  'kafka-cluster:DescribeGroup': { resourceType: AclResourceTypes.GROUP, operation: AclOperationTypes.DESCRIBE },
  'kafka-cluster:AlterGroup': { resourceType: AclResourceTypes.GROUP, operation: AclOperationTypes.READ },
  'kafka-cluster:DescribeTopic': { resourceType: AclResourceTypes.TOPIC, operation: AclOperationTypes.DESCRIBE },
  'kafka-cluster:ReadData': { resourceType: AclResourceTypes.TOPIC, operation: AclOperationTypes.READ },
  'kafka-cluster:DescribeClusterDynamicConfiguration': { resourceType: AclResourceTypes.CLUSTER, operation: AclOperationTypes.DESCRIBE_CONFIGS },
};

/** The Kafka name of the resource an ACL of this type names (the cluster has one fixed name). */
function resourceNameFor(spec: TopicSpec, resourceType: AclResourceTypes): string {
  if (resourceType === AclResourceTypes.TOPIC) return spec.topic;
  if (resourceType === AclResourceTypes.GROUP) return spec.consumerGroup;
  return 'kafka-cluster';
}

/**
 * Least privilege once allow.everyone.if.no.acl.found=false: the Pi writes the result topic, the sink reads it
 * with its consumer group (everything the event source mapping does), the admin keeps managing topics and ACLs.
 * No CLUSTER_ACTION (MSK replication needs none).
 */
export function aclsFor(spec: TopicSpec): AclEntry[] {
  const { TOPIC, GROUP, CLUSTER } = AclResourceTypes;
  const { WRITE, DESCRIBE, CREATE, ALTER, ALL, IDEMPOTENT_WRITE } = AclOperationTypes;
  const eventSourceMapping = Object.values(EVENT_SOURCE_MAPPING_ACLS).flatMap((acl) =>
    acl === 'authentication' ? [] : [allow(spec.consumerUser, acl.resourceType, resourceNameFor(spec, acl.resourceType), acl.operation)],
  );
  return [
    allow(spec.producerUser, TOPIC, spec.topic, WRITE),
    allow(spec.producerUser, TOPIC, spec.topic, DESCRIBE),
    allow(spec.producerUser, CLUSTER, 'kafka-cluster', IDEMPOTENT_WRITE),
    ...eventSourceMapping,
    allow(spec.adminUser, CLUSTER, 'kafka-cluster', DESCRIBE),
    allow(spec.adminUser, CLUSTER, 'kafka-cluster', CREATE),
    allow(spec.adminUser, CLUSTER, 'kafka-cluster', ALTER),
    allow(spec.adminUser, TOPIC, '*', ALL),
    allow(spec.adminUser, GROUP, '*', ALL),
  ];
}

const RETRIABLE_KAFKAJS_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSLockTimeout',
  // A freshly associated SCRAM secret takes up to 10 minutes to reach every broker.
  'KafkaJSSASLAuthenticationError',
]);

export function isRetriableKafkaError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return RETRIABLE_KAFKAJS_ERRORS.has(err.name) || (err as { retriable?: boolean }).retriable === true;
}

export interface EnsureResult {
  created: boolean;
  partitions: number;
}

/**
 * Creates the topic (or grows its partitions) and the ACLs. Idempotent: re-running with the same spec changes
 * nothing, because Kafka ignores ACLs that already exist. Never shrinks or deletes anything.
 */
export async function ensureTopicAndAcls(
  admin: KafkaAdmin,
  spec: TopicSpec,
  retry: Omit<RetryOptions, 'isRetriable'>,
  log: (msg: string, extra?: Record<string, unknown>) => void = () => undefined,
): Promise<EnsureResult> {
  const retrying = <T>(what: string, fn: () => Promise<T>) =>
    withRetries(what, fn, { ...retry, isRetriable: isRetriableKafkaError, onRetry: (err, n) => log(`${what} failed, retrying`, { attempt: n, error: String(err) }) });

  await retrying('connect to the brokers', () => admin.connect());
  try {
    const topics = await retrying('list topics', () => admin.listTopics());
    let created = false;
    let partitions = spec.partitions;
    if (!topics.includes(spec.topic)) {
      created = await retrying('create topic', () =>
        admin.createTopics({ topics: [{ topic: spec.topic, numPartitions: spec.partitions, replicationFactor: spec.replicationFactor }], waitForLeaders: true }),
      );
      log('topic created', { topic: spec.topic, partitions: spec.partitions, replicationFactor: spec.replicationFactor, created });
    } else {
      const metadata = await retrying('describe topic', () => admin.fetchTopicMetadata({ topics: [spec.topic] }));
      const current = metadata.topics.find((t) => t.name === spec.topic)?.partitions.length ?? 0;
      if (current > spec.partitions) {
        throw new Error(`topic ${spec.topic} has ${current} partitions; Kafka cannot reduce them to ${spec.partitions}`);
      }
      if (current < spec.partitions) {
        await retrying('add partitions', () => admin.createPartitions({ topicPartitions: [{ topic: spec.topic, count: spec.partitions }] }));
        log('partitions added', { topic: spec.topic, from: current, to: spec.partitions });
      }
      partitions = Math.max(current, spec.partitions);
    }
    await retrying('create ACLs', () => admin.createAcls({ acl: aclsFor(spec) }));
    log('ACLs in place', { count: aclsFor(spec).length });
    return { created, partitions };
  } finally {
    await admin.disconnect();
  }
}
