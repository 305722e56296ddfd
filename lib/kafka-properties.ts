/**
 * MSK cluster configurations (server.properties). The cluster is created with the Bootstrap revision
 * (allow.everyone.if.no.acl.found=true) so the topic/ACL custom resource can work before any ACL exists; public
 * access requires false, so the public-access custom resource then switches the cluster to the Locked revision.
 *
 * The Bootstrap text is a constant on purpose: CloudFormation keeps pointing the cluster at the Bootstrap
 * configuration's latest revision, so any change to this text would make it re-apply the permissive revision to a
 * (possibly public) cluster. Operator settings go only into the Locked configuration; the result topic is created
 * with its replication factor explicitly and does not need broker defaults while the cluster is bootstrapping.
 */
export const BOOTSTRAP_BROKER_PROPERTIES = ['auto.create.topics.enable=false', 'allow.everyone.if.no.acl.found=true', 'delete.topic.enable=true', ''].join('\n');

export function renderLockedBrokerProperties(opts: { replicationFactor: number }): string {
  return [
    'auto.create.topics.enable=false',
    'allow.everyone.if.no.acl.found=false',
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
