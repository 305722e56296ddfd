import { AclOperationTypes, AclResourceTypes, ITopicConfig } from 'kafkajs';
import { KafkaAdmin, TopicSpec, aclsFor, ensureTopicAndAcls } from '../../lambda/kafka-admin/topic-acls';

const spec: TopicSpec = {
  topic: 'perftool-sinetstream-result',
  partitions: 3,
  replicationFactor: 2,
  adminUser: 'perftool-admin',
  producerUser: 'perftool-pi',
  consumerUser: 'perftool-sink',
  consumerGroup: 'perftool-sink',
};

function kafkaError(name: string, message = name): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/** A kafkajs admin test double: an in-memory cluster with scripted failures per method. */
class AdminDouble implements KafkaAdmin {
  topics = new Map<string, { partitions: number; replicationFactor: number }>();
  acls: string[] = [];
  calls: string[] = [];
  failures: Record<string, Error[]> = {};
  connected = false;

  private step(name: string): void {
    this.calls.push(name);
    const next = this.failures[name]?.shift();
    if (next) throw next;
  }
  async connect() {
    this.step('connect');
    this.connected = true;
  }
  async disconnect() {
    this.calls.push('disconnect');
    this.connected = false;
  }
  async listTopics() {
    this.step('listTopics');
    return [...this.topics.keys()];
  }
  async createTopics(opts: { topics: ITopicConfig[]; waitForLeaders?: boolean }) {
    this.step('createTopics');
    for (const t of opts.topics) this.topics.set(t.topic, { partitions: t.numPartitions ?? 1, replicationFactor: t.replicationFactor ?? 1 });
    return true;
  }
  async fetchTopicMetadata(opts?: { topics: string[] }) {
    this.step('fetchTopicMetadata');
    return {
      topics: (opts?.topics ?? []).map((name) => ({
        name,
        partitions: Array.from({ length: this.topics.get(name)?.partitions ?? 0 }, (_, i) => ({ partitionId: i, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0, offlineReplicas: [] })),
      })),
    };
  }
  async createPartitions(opts: { topicPartitions: Array<{ topic: string; count: number }> }) {
    this.step('createPartitions');
    for (const p of opts.topicPartitions) this.topics.get(p.topic)!.partitions = p.count;
    return true;
  }
  async createAcls(opts: { acl: Parameters<KafkaAdmin['createAcls']>[0]['acl'] }) {
    this.step('createAcls');
    for (const a of opts.acl) {
      const key = `${a.principal} ${a.operation} ${a.resourceType}:${a.resourceName}`;
      if (!this.acls.includes(key)) this.acls.push(key); // Kafka ignores duplicates
    }
    return true;
  }
}

function retryClock(budgetMs = 60_000) {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    opts: { deadline: budgetMs, delayMs: 15_000, now: () => now, sleep: async (ms: number) => { sleeps.push(ms); now += ms; } },
  };
}

describe('ensureTopicAndAcls', () => {
  test('creates a missing topic with the configured partitions and replication, then the ACLs, and disconnects', async () => {
    const admin = new AdminDouble();
    const result = await ensureTopicAndAcls(admin, spec, retryClock().opts);
    expect(result).toEqual({ created: true, partitions: 3 });
    expect(admin.topics.get(spec.topic)).toEqual({ partitions: 3, replicationFactor: 2 });
    expect(admin.acls).toHaveLength(aclsFor(spec).length);
    expect(admin.calls).toEqual(['connect', 'listTopics', 'createTopics', 'createAcls', 'disconnect']);
  });

  test('is idempotent: a second run creates nothing new and leaves the same state', async () => {
    const admin = new AdminDouble();
    await ensureTopicAndAcls(admin, spec, retryClock().opts);
    const before = { topics: [...admin.topics.entries()], acls: [...admin.acls] };
    admin.calls = [];
    const again = await ensureTopicAndAcls(admin, spec, retryClock().opts);
    expect(again).toEqual({ created: false, partitions: 3 });
    expect(admin.calls).not.toContain('createTopics');
    expect(admin.calls).not.toContain('createPartitions');
    expect({ topics: [...admin.topics.entries()], acls: admin.acls }).toEqual(before);
  });

  test('grows the partitions of an existing topic', async () => {
    const admin = new AdminDouble();
    admin.topics.set(spec.topic, { partitions: 1, replicationFactor: 2 });
    await expect(ensureTopicAndAcls(admin, spec, retryClock().opts)).resolves.toEqual({ created: false, partitions: 3 });
    expect(admin.topics.get(spec.topic)?.partitions).toBe(3);
  });

  test('refuses to shrink partitions, says why, and still disconnects', async () => {
    const admin = new AdminDouble();
    admin.topics.set(spec.topic, { partitions: 6, replicationFactor: 2 });
    await expect(ensureTopicAndAcls(admin, spec, retryClock().opts)).rejects.toThrow('has 6 partitions; Kafka cannot reduce them to 3');
    expect(admin.calls.at(-1)).toBe('disconnect');
    expect(admin.acls).toHaveLength(0);
  });

  test('retries while the new SCRAM credentials propagate to the brokers, then succeeds', async () => {
    const admin = new AdminDouble();
    admin.failures.connect = [kafkaError('KafkaJSSASLAuthenticationError'), kafkaError('KafkaJSConnectionError')];
    const clock = retryClock();
    await ensureTopicAndAcls(admin, spec, clock.opts);
    expect(clock.sleeps).toEqual([15_000, 15_000]);
    expect(admin.calls.filter((c) => c === 'connect')).toHaveLength(3);
    expect(admin.topics.has(spec.topic)).toBe(true);
  });

  test('gives up at the deadline with the last error in the message', async () => {
    const admin = new AdminDouble();
    admin.failures.connect = Array.from({ length: 20 }, () => kafkaError('KafkaJSConnectionError', 'Connection timeout'));
    const clock = retryClock(40_000);
    await expect(ensureTopicAndAcls(admin, spec, clock.opts)).rejects.toThrow(/connect to the brokers: still failing after 3 attempts.*Connection timeout/);
  });

  test('fails at once on an error waiting cannot fix (authorization)', async () => {
    const admin = new AdminDouble();
    admin.failures.createAcls = [kafkaError('KafkaJSProtocolError', 'Cluster authorization failed')];
    const clock = retryClock();
    await expect(ensureTopicAndAcls(admin, spec, clock.opts)).rejects.toThrow('Cluster authorization failed');
    expect(clock.sleeps).toEqual([]);
    expect(admin.calls.at(-1)).toBe('disconnect');
  });
});

describe('aclsFor', () => {
  const acls = aclsFor(spec);
  const of = (user: string) => acls.filter((a) => a.principal === `User:${user}`);

  test('the Pi may only write and describe the result topic (plus idempotent produce)', () => {
    expect(of('perftool-pi').map((a) => [a.resourceType, a.resourceName, a.operation])).toEqual([
      [AclResourceTypes.TOPIC, spec.topic, AclOperationTypes.WRITE],
      [AclResourceTypes.TOPIC, spec.topic, AclOperationTypes.DESCRIBE],
      [AclResourceTypes.CLUSTER, 'kafka-cluster', AclOperationTypes.IDEMPOTENT_WRITE],
    ]);
  });

  test('the sink reads the topic with its own consumer group and cannot write', () => {
    const sink = of('perftool-sink');
    expect(sink).toContainEqual(expect.objectContaining({ resourceType: AclResourceTypes.GROUP, resourceName: 'perftool-sink', operation: AclOperationTypes.READ }));
    expect(sink).toContainEqual(expect.objectContaining({ resourceType: AclResourceTypes.TOPIC, resourceName: spec.topic, operation: AclOperationTypes.READ }));
    expect(sink.map((a) => a.operation)).not.toContain(AclOperationTypes.WRITE);
    expect(sink.filter((a) => a.resourceType === AclResourceTypes.CLUSTER).map((a) => a.operation)).toEqual([AclOperationTypes.DESCRIBE_CONFIGS]);
  });

  test('no principal gets CLUSTER_ACTION (it would break MSK replication)', () => {
    expect(acls.map((a) => a.operation)).not.toContain(AclOperationTypes.CLUSTER_ACTION);
  });
});
