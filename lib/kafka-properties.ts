/**
 * MSK cluster configuration (server.properties). The cluster starts with allow.everyone.if.no.acl.found=true so the
 * topic/ACL custom resource can work before any ACL exists; public access requires it to be false, so the
 * public-access custom resource switches the cluster to the "locked" revision before turning public access on.
 */
export function renderBrokerProperties(opts: { allowEveryoneIfNoAclFound: boolean; replicationFactor: number }): string {
  return [
    'auto.create.topics.enable=false',
    `allow.everyone.if.no.acl.found=${opts.allowEveryoneIfNoAclFound}`,
    `default.replication.factor=${opts.replicationFactor}`,
    `min.insync.replicas=${Math.max(1, opts.replicationFactor - 1)}`,
    'delete.topic.enable=true',
    '',
  ].join('\n');
}

/** SCRAM users: the admin creates topics and ACLs, the Pi writes results, the sink reads them. */
export const KAFKA_USERS = { admin: 'perftool-admin', pi: 'perftool-pi', sink: 'perftool-sink' } as const;
export type KafkaUserRole = keyof typeof KAFKA_USERS;

/** Consumer group of the sink's event source mapping (explicit, because ACLs must name it). */
export const SINK_CONSUMER_GROUP = 'perftool-sink';

/** MSK SASL/SCRAM ports: 9096 inside the VPC, 9196 for public access. */
export const KAFKA_PRIVATE_SCRAM_PORT = 9096;
export const KAFKA_PUBLIC_SCRAM_PORT = 9196;
