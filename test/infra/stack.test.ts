import { Match, Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { PerftoolStack } from '../../lib/perftool-stack';
import { renderNatsConfig } from '../../lib/nats-config';
import { HASURA_IMAGE, NATS_IMAGE } from '../../lib/images';
import { VIEWER_CSP } from '../../lib/preview';
import { CUSTOM_DOMAIN, Synthesised, logicalIdOf, synthesise } from './synth';

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };

let defaults: Synthesised;
let custom: Synthesised;
let t: Template;
let stack: PerftoolStack;

beforeAll(() => {
  defaults = synthesise({}, { nag: true, cfnValidate: true });
  custom = synthesise(CUSTOM_DOMAIN, { nag: true });
  t = defaults.template;
  stack = defaults.stack;
});

const resources = (tpl: Template, type: string) => Object.entries(tpl.findResources(type)) as Array<[string, Resource]>;
const only = (tpl: Template, type: string): [string, Resource] => {
  const found = resources(tpl, type);
  expect(found).toHaveLength(1);
  return found[0];
};
const id = (construct: IConstruct) => logicalIdOf(stack as Stack, construct);
const dependsOn = (tpl: Template, logicalId: string): string[] => (tpl.toJSON().Resources[logicalId].DependsOn ?? []) as string[];
const ingressRules = (tpl: Template, sgLogicalId: string) => {
  const inline = (tpl.toJSON().Resources[sgLogicalId].Properties.SecurityGroupIngress ?? []) as Array<Record<string, any>>;
  const separate = resources(tpl, 'AWS::EC2::SecurityGroupIngress')
    .filter(([, r]) => JSON.stringify(r.Properties.GroupId).includes(sgLogicalId))
    .map(([, r]) => r.Properties);
  return [...inline, ...separate];
};

describe('network', () => {
  test('no NAT gateway; isolated subnets reach Secrets Manager, Lambda and STS through interface endpoints, S3 through a gateway', () => {
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    const services = resources(t, 'AWS::EC2::VPCEndpoint').map(([, r]) => JSON.stringify(r.Properties.ServiceName));
    for (const svc of ['.secretsmanager', '.lambda', '.sts', '.s3']) expect(services.some((s) => s.includes(svc))).toBe(true);
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway', ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.s3'])]) }) });
    for (const [, r] of resources(t, 'AWS::EC2::VPCEndpoint').filter(([, r]) => r.Properties.VpcEndpointType === 'Interface')) {
      expect(r.Properties.PrivateDnsEnabled).toBe(true);
    }
  });

  test('MSK sits in the public subnets (required for public access), and those subnets reach S3 (on-failure records) by the gateway', () => {
    const [, cluster] = only(t, 'AWS::MSK::Cluster');
    const subnets = JSON.stringify(cluster.Properties.BrokerNodeGroupInfo.ClientSubnets);
    expect(subnets).toMatch(/publicSubnet1/);
    expect(subnets).toMatch(/publicSubnet2/);
    const [, gateway] = resources(t, 'AWS::EC2::VPCEndpoint').find(([, r]) => r.Properties.VpcEndpointType === 'Gateway')!;
    expect(JSON.stringify(gateway.Properties.RouteTableIds)).toMatch(/publicSubnet1RouteTable.*publicSubnet2RouteTable/);
  });
});

describe('fresh account and region', () => {
  test('availabilityZoneIds pins every subnet by AZ ID (no AZ names left); unset, subnets take the first two AZ names', () => {
    const subnetsOf = (tpl: Template) => resources(tpl, 'AWS::EC2::Subnet').map(([, r]) => r.Properties);
    for (const subnet of subnetsOf(t)) {
      expect(subnet.AvailabilityZoneId).toBeUndefined();
      expect(JSON.stringify(subnet.AvailabilityZone)).toContain('Fn::GetAZs');
    }
    const pinned = synthesise({ availabilityZoneIds: 'apne1-az4,apne1-az1' });
    const subnets = subnetsOf(pinned.template);
    expect(subnets).toHaveLength(4);
    expect(subnets.map((p) => p.AvailabilityZoneId).sort()).toEqual(['apne1-az1', 'apne1-az1', 'apne1-az4', 'apne1-az4']);
    expect(subnets.every((p) => p.AvailabilityZone === undefined)).toBe(true);
    // Each tier spans both AZs, so MSK (public subnets) and the VPC-origin ALB (isolated subnets) get two zones.
    for (const tier of ['public', 'isolated']) {
      const ids = resources(pinned.template, 'AWS::EC2::Subnet').filter(([lid]) => lid.includes(tier)).map(([, r]) => r.Properties.AvailabilityZoneId);
      expect(ids.sort()).toEqual(['apne1-az1', 'apne1-az4']);
    }
    expect(JSON.stringify(pinned.template.toJSON())).not.toContain('Fn::GetAZs');
  });

  test('the ECS service-linked role is created before the cluster, tolerating "already exists", and never deleted', () => {
    const [slrId, slr] = resources(t, 'Custom::AWS').find(([lid]) => lid.startsWith('EcsServiceLinkedRole'))!;
    const create = JSON.parse(slr.Properties.Create);
    expect(create).toMatchObject({ service: 'IAM', action: 'createServiceLinkedRole', parameters: { AWSServiceName: 'ecs.amazonaws.com' } });
    // IAM answers a second create with InvalidInputException ("has been taken in this account").
    expect(new RegExp(create.ignoreErrorCodesMatching).test('InvalidInputException')).toBe(true);
    expect(new RegExp(create.ignoreErrorCodesMatching).test('AccessDeniedException')).toBe(false);
    expect(slr.Properties.Update).toBeUndefined();
    expect(slr.Properties.Delete).toBeUndefined();
    const [clusterId] = only(t, 'AWS::ECS::Cluster');
    expect(dependsOn(t, clusterId)).toContain(slrId);
  });
});

describe('kafka', () => {
  test('MSK: 2 × kafka.t3.small, TLS only in transit, SASL/SCRAM on, IAM and unauthenticated off, public access not set at creation', () => {
    const [, cluster] = only(t, 'AWS::MSK::Cluster');
    expect(cluster.Properties).toMatchObject({
      NumberOfBrokerNodes: 2,
      BrokerNodeGroupInfo: { InstanceType: 'kafka.t3.small' },
      EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true } },
      ClientAuthentication: { Sasl: { Scram: { Enabled: true }, Iam: { Enabled: false } }, Unauthenticated: { Enabled: false } },
    });
    // CreateCluster rejects anything but DISABLED; the custom resource turns it on later.
    expect(JSON.stringify(cluster.Properties)).not.toContain('SERVICE_PROVIDED_EIPS');
    expect(cluster.Properties.BrokerNodeGroupInfo.SecurityGroups).toHaveLength(1);
  });

  test('the cluster starts on the permissive configuration; the locked one has allow.everyone.if.no.acl.found=false; both disable auto topic creation', () => {
    const configs = Object.fromEntries(resources(t, 'AWS::MSK::Configuration').map(([lid, r]) => [lid, r.Properties.ServerProperties as string]));
    const bootstrapId = id(stack.kafka.node.findChild('BootstrapConfiguration'));
    const lockedId = id(stack.kafka.node.findChild('LockedConfiguration'));
    expect(configs[bootstrapId]).toContain('allow.everyone.if.no.acl.found=true');
    expect(configs[lockedId]).toContain('allow.everyone.if.no.acl.found=false');
    for (const text of Object.values(configs)) expect(text).toContain('auto.create.topics.enable=false');
    const [, cluster] = only(t, 'AWS::MSK::Cluster');
    expect(cluster.Properties.ConfigurationInfo.Arn).toEqual({ 'Fn::GetAtt': [bootstrapId, 'Arn'] });
  });

  test('no configuration key changes the Bootstrap configuration: CloudFormation never re-applies the permissive revision', () => {
    const mskConfigurations = (template: Template, s: PerftoolStack) => {
      const props = (name: string) => template.toJSON().Resources[id(s.kafka.node.findChild(name))].Properties;
      return { bootstrap: props('BootstrapConfiguration'), locked: props('LockedConfiguration') };
    };
    const base = mskConfigurations(t, stack);
    const changed = synthesise({ resultTopicReplication: 3, kafkaBrokerCount: 4, resultTopicPartitions: 8, dbDeletionProtection: false });
    const other = mskConfigurations(changed.template, changed.stack);
    expect(other.bootstrap).toEqual(base.bootstrap);
    // The operator settings go to the Locked configuration (a new revision the custom resource applies).
    expect(other.locked.ServerProperties).not.toEqual(base.locked.ServerProperties);
    expect(other.locked.ServerProperties).toContain('default.replication.factor=3');
    expect(base.bootstrap.ServerProperties).not.toMatch(/replication|insync/);
  });

  test('three AmazonMSK_ secrets encrypted with the customer key, all associated with the cluster', () => {
    const keyId = id(stack.kafka.scramKey);
    const secrets = resources(t, 'AWS::SecretsManager::Secret').filter(([, r]) => JSON.stringify(r.Properties.Name ?? '').includes('AmazonMSK_'));
    expect(secrets.map(([, r]) => r.Properties.Name).sort()).toEqual(['AmazonMSK_PerftoolServer_admin', 'AmazonMSK_PerftoolServer_pi', 'AmazonMSK_PerftoolServer_sink']);
    for (const [, s] of secrets) expect(s.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    const [, batch] = only(t, 'AWS::MSK::BatchScramSecret');
    expect(batch.Properties.SecretArnList.map((r: { Ref: string }) => r.Ref).sort()).toEqual(secrets.map(([lid]) => lid).sort());
  });

  test('the public SCRAM port 9196 is open only to the configured CIDRs, private 9096 only inside', () => {
    const sgId = id(stack.kafka.securityGroup);
    const rules = ingressRules(custom.template, sgId);
    const publicRules = rules.filter((r) => r.FromPort === 9196);
    expect(publicRules.map((r) => r.CidrIp ?? r.CidrIpv6).sort()).toEqual(['2001:db8::/32', '203.0.113.0/24']);
    for (const r of rules.filter((r) => r.FromPort === 9096)) {
      expect(r.CidrIp).toBeUndefined();
      expect(r.SourceSecurityGroupId).toBeDefined();
    }
    expect(rules.every((r) => r.FromPort === 9196 || r.FromPort === 9096)).toBe(true);
    expect(ingressRules(t, sgId).filter((r) => r.FromPort === 9196).map((r) => r.CidrIp)).toEqual(['0.0.0.0/0']);
  });

  test('topic and ACL custom resource: configured topic, after the SCRAM association, with the sink group', () => {
    const [topicId, topic] = only(t, 'Custom::KafkaTopicAndAcls');
    expect(topic.Properties).toMatchObject({
      Topic: 'perftool-sinetstream-result',
      Partitions: 2,
      ReplicationFactor: 2,
      ProducerUser: 'perftool-pi',
      ConsumerUser: 'perftool-sink',
      ConsumerGroup: 'perftool-sink',
    });
    const [batchId] = only(t, 'AWS::MSK::BatchScramSecret');
    expect(dependsOn(t, topicId)).toContain(batchId);
    const custom2 = synthesise({ resultTopic: 'lab_results', resultTopicPartitions: 6, resultTopicReplication: 1 });
    expect(only(custom2.template, 'Custom::KafkaTopicAndAcls')[1].Properties).toMatchObject({ Topic: 'lab_results', Partitions: 6, ReplicationFactor: 1 });
  });

  test('public access: ACL enforcement after the ACLs exist, then public access, each its own custom resource within the 1 h limit', () => {
    const [lockId, lock] = only(t, 'Custom::MskAclEnforcement');
    const [publicId, pub] = only(t, 'Custom::MskPublicAccess');
    const [topicId] = only(t, 'Custom::KafkaTopicAndAcls');
    expect(dependsOn(t, lockId)).toContain(topicId);
    expect(dependsOn(t, publicId)).toContain(lockId);
    expect([lock.Properties.Goal, pub.Properties.Goal]).toEqual(['locked-configuration', 'public-access']);
    const lockedId = id(stack.kafka.node.findChild('LockedConfiguration'));
    for (const r of [lock, pub]) expect(r.Properties.LockedConfigurationArn).toEqual({ 'Fn::GetAtt': [lockedId, 'Arn'] });
    // The waiter polls every minute and gives up before CloudFormation's one-hour custom-resource limit.
    const [, sm] = only(t, 'AWS::StepFunctions::StateMachine');
    const definition = JSON.stringify(sm.Properties.DefinitionString).replace(/\\"/g, '"');
    const interval = Number(/"IntervalSeconds":(\d+)/.exec(definition)![1]);
    const attempts = Number(/"MaxAttempts":(\d+)/.exec(definition)![1]);
    expect(interval).toBe(60);
    expect(interval * attempts).toBeLessThan(3600);
    const policy = JSON.stringify(t.toJSON().Resources);
    for (const action of ['kafka:UpdateConnectivity', 'kafka:UpdateClusterConfiguration', 'kafka:DescribeClusterV2']) expect(policy).toContain(action);
    const off = synthesise({ kafkaPublicAccess: false });
    off.template.resourceCountIs('Custom::MskPublicAccess', 0);
    off.template.resourceCountIs('Custom::MskAclEnforcement', 0);
    expect(off.template.findOutputs('KafkaPublicBootstrapBrokers').KafkaPublicBootstrapBrokers.Value).toBe('');
  });
});

describe('mqtt target', () => {
  test('NATS runs exactly the tested configuration text, from a pinned official image', () => {
    const [, task] = resources(t, 'AWS::ECS::TaskDefinition').find(([, r]) => r.Properties.ContainerDefinitions[0].Image === NATS_IMAGE)!;
    const container = task.Properties.ContainerDefinitions[0];
    const env = Object.fromEntries(container.Environment.map((e: { Name: string; Value: string }) => [e.Name, e.Value]));
    expect(env.NATS_CONFIG).toBe(renderNatsConfig({ mqttPort: 1883, monitorPort: 8222, serverName: 'PerftoolServer-nats', storeDir: '/data/jetstream' }));
    expect(container.Command[0]).toContain('nats-server -c');
    expect(NATS_IMAGE).toMatch(/^nats:\d+\.\d+\.\d+-alpine$/);
  });

  test('internet-facing NLB created with its security group; TCP listener on the MQTT port; health check on /healthz:8222', () => {
    const nlbId = id(stack.mqtt.loadBalancer);
    const nlb = t.toJSON().Resources[nlbId];
    expect(nlb.Properties).toMatchObject({ Type: 'network', Scheme: 'internet-facing' });
    expect(nlb.Properties.SecurityGroups).toHaveLength(1);
    const listeners = resources(t, 'AWS::ElasticLoadBalancingV2::Listener').filter(([, r]) => r.Properties.LoadBalancerArn.Ref === nlbId);
    expect(listeners.map(([, r]) => [r.Properties.Port, r.Properties.Protocol])).toEqual([[1883, 'TCP']]);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 1883,
      Protocol: 'TCP',
      TargetType: 'ip',
      HealthCheckProtocol: 'HTTP',
      HealthCheckPort: '8222',
      HealthCheckPath: '/healthz',
    });
  });

  test('the monitoring port is reachable only from the NLB; MQTT from the configured CIDRs only', () => {
    const lbSgId = id(stack.mqtt.node.findChild('LoadBalancerSecurityGroup'));
    const taskSgId = id(stack.mqtt.node.findChild('TaskSecurityGroup'));
    const taskRules = ingressRules(t, taskSgId);
    expect(taskRules.map((r) => r.FromPort).sort()).toEqual([1883, 8222]);
    for (const r of taskRules) expect(r.SourceSecurityGroupId).toEqual({ 'Fn::GetAtt': [lbSgId, 'GroupId'] });
    const lbRules = ingressRules(custom.template, lbSgId);
    expect(lbRules.filter((r) => r.FromPort === 1883).map((r) => r.CidrIp ?? r.CidrIpv6).sort()).toEqual(['2001:db8::/32', '203.0.113.0/24']);
    expect(lbRules.some((r) => r.FromPort === 8222)).toBe(false);
  });

  test('optional TLS listener on 8883 with the given ACM certificate, forwarding to the same targets', () => {
    custom.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 8883,
      Protocol: 'TLS',
      Certificates: [{ CertificateArn: CUSTOM_DOMAIN.mqttTlsCertificateArn }],
    });
    expect(resources(t, 'AWS::ElasticLoadBalancingV2::Listener').some(([, r]) => r.Properties.Port === 8883)).toBe(false);
  });
});

describe('database', () => {
  test('RDS PostgreSQL 17 on db.t4g.micro: encrypted, private, isolated subnets, generated credentials, protected', () => {
    const [, db] = only(t, 'AWS::RDS::DBInstance');
    expect(db.Properties).toMatchObject({
      Engine: 'postgres',
      DBInstanceClass: 'db.t4g.micro',
      StorageEncrypted: true,
      PubliclyAccessible: false,
      DeletionProtection: true,
      BackupRetentionPeriod: 7,
      DBName: 'sensor',
    });
    expect(db.Properties.EngineVersion).toMatch(/^17\./);
    expect(JSON.stringify(db.Properties.MasterUserPassword)).toContain('resolve:secretsmanager');
    const [, subnets] = only(t, 'AWS::RDS::DBSubnetGroup');
    expect(JSON.stringify(subnets.Properties.SubnetIds)).toMatch(/isolated/);
    expect(JSON.stringify(subnets.Properties.SubnetIds)).not.toMatch(/public/);
    expect(t.toJSON().Resources[only(t, 'AWS::RDS::DBInstance')[0]].DeletionPolicy).toBe('Snapshot');
  });

  test('the generated password can go into a postgres:// URL and a double-quoted shell string unescaped', () => {
    const [, secret] = resources(t, 'AWS::SecretsManager::Secret').find(([lid]) => /DatabaseInstanceSecret/.test(lid))!;
    const excluded: string = secret.Properties.GenerateSecretString.ExcludeCharacters;
    const punctuation = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
    const allowed = [...punctuation].filter((c) => !excluded.includes(c));
    expect(allowed.sort()).toEqual(['-', '.', '_']);
    expect(excluded).toContain(' ');
  });

  test('PostgreSQL 16 and the other database settings follow the configuration', () => {
    const c = synthesise({ postgresVersion: '16', dbName: 'results', dbUser: 'writer', dbBackupRetentionDays: 14, dbDeletionProtection: false });
    const [, db] = only(c.template, 'AWS::RDS::DBInstance');
    expect(db.Properties.EngineVersion).toMatch(/^16\./);
    expect(db.Properties).toMatchObject({ DBName: 'results', BackupRetentionPeriod: 14, DeletionProtection: false });
  });

  test('the schema custom resource runs after the instance, carries the SQL hash and the default perftool name', () => {
    const [schemaId, schema] = only(t, 'Custom::PerftoolSchema');
    expect(schema.Properties.DefaultPerftoolName).toBe('perftool-sinetstream-target');
    expect(schema.Properties.SchemaHash).toBe(stack.database.schemaHash);
    expect(dependsOn(t, schemaId)).toContain(id(stack.database.instance));
  });
});

describe('sink', () => {
  test('Node 22 on arm64 in the VPC, with the database secret by reference', () => {
    const fn = t.toJSON().Resources[id(stack.sink.function)];
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    expect(fn.Properties.VpcConfig.SubnetIds).toBeDefined();
    // The sink writes as its own role (perftool_sink, lambda/db-init/roles.ts), not as the master user.
    expect(fn.Properties.Environment.Variables.DB_SECRET_ARN).toEqual({ Ref: expect.stringMatching(/DatabaseSinkRoleSecretAttachment/) });
  });

  test('both database clients (sink, schema) verify RDS TLS with the runtime CA bundle and may reach port 5432', () => {
    const dbSgRules = ingressRules(t, logicalIdOf(stack, stack.database.instance.connections.securityGroups[0]));
    for (const fn of [stack.sink.function, stack.database.node.findChild('SchemaInitFunction')]) {
      const vars = t.toJSON().Resources[id(fn)].Properties.Environment.Variables;
      expect(vars.NODE_EXTRA_CA_CERTS).toBe('/var/runtime/ca-cert.pem');
      expect(vars.DB_SECRET_ARN).toEqual({ Ref: expect.stringMatching(fn === stack.sink.function ? /DatabaseSinkRoleSecretAttachment/ : /DatabaseInstanceSecret/) });
      const fnSg = (fn as unknown as { connections: { securityGroups: IConstruct[] } }).connections.securityGroups[0];
      expect(dbSgRules).toContainEqual(
        expect.objectContaining({
          FromPort: { 'Fn::GetAtt': [id(stack.database.instance), 'Endpoint.Port'] },
          SourceSecurityGroupId: { 'Fn::GetAtt': [logicalIdOf(stack, fnSg), 'GroupId'] },
        }),
      );
    }
    // Only the sink, the schema function and Hasura reach the database.
    expect(dbSgRules.map((r) => r.Description).sort()).toEqual(['Hasura', 'Schema custom resource', 'Sink Lambda']);
  });

  test('MSK event source: result topic, sink SCRAM secret, explicit group, TRIM_HORIZON, batching (poller modes: cost-options.test.ts)', () => {
    const [esmId, esm] = only(t, 'AWS::Lambda::EventSourceMapping');
    expect(esm.Properties).toMatchObject({
      Topics: ['perftool-sinetstream-result'],
      StartingPosition: 'TRIM_HORIZON',
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'perftool-sink' },
      SourceAccessConfigurations: [{ Type: 'SASL_SCRAM_512_AUTH', URI: { Ref: id(stack.kafka.userSecrets.sink) } }],
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 5,
    });
    expect(esm.Properties.EventSourceArn).toEqual({ 'Fn::GetAtt': [id(stack.kafka.cluster), 'Arn'] });
    expect(dependsOn(t, esmId)).toContain(only(t, 'Custom::KafkaTopicAndAcls')[0]);
  });

  test('the sink role may decrypt with the SCRAM key (the secret is encrypted with it)', () => {
    const keyArn = { 'Fn::GetAtt': [id(stack.kafka.scramKey), 'Arn'] };
    const roleRef = { Ref: logicalIdOf(stack, stack.sink.function.role!) };
    const policies = resources(t, 'AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(JSON.stringify(roleRef)));
    const statements = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'kms:Decrypt', Resource: keyArn }));
  });
});

describe('graphql', () => {
  const hasuraTask = () => resources(t, 'AWS::ECS::TaskDefinition').find(([, r]) => r.Properties.ContainerDefinitions[0].Image === HASURA_IMAGE)!;

  test('Hasura pinned, console off, anonymous unauthorized role, pool capped; secrets only from Secrets Manager', () => {
    const container = hasuraTask()[1].Properties.ContainerDefinitions[0];
    expect(HASURA_IMAGE).toMatch(/^hasura\/graphql-engine:v2\.\d+\.\d+$/);
    const env = Object.fromEntries(container.Environment.map((e: { Name: string; Value: string }) => [e.Name, e.Value]));
    expect(env).toMatchObject({ HASURA_GRAPHQL_ENABLE_CONSOLE: 'false', HASURA_GRAPHQL_UNAUTHORIZED_ROLE: 'anonymous', HASURA_GRAPHQL_DEV_MODE: 'false' });
    expect(Number(env.HASURA_GRAPHQL_PG_CONNECTIONS)).toBeLessThanOrEqual(10);
    expect(Object.keys(env).filter((k) => /SECRET|PASSWORD|DATABASE_URL/.test(k))).toEqual([]);
    const secrets = Object.fromEntries(container.Secrets.map((s: { Name: string; ValueFrom: unknown }) => [s.Name, JSON.stringify(s.ValueFrom)]));
    expect(secrets.HASURA_GRAPHQL_ADMIN_SECRET).toContain(id(stack.graphql.adminSecret));
    // Its own database role (lambda/db-init/roles.ts), not the master user.
    expect(secrets.DB_PASSWORD).toMatch(/HasuraRoleSecret.*:password::/);
  });

  test('internal ALB with a long idle timeout for WebSocket subscriptions; health check /healthz', () => {
    const alb = t.toJSON().Resources[id(stack.graphql.loadBalancer)];
    expect(alb.Properties.Scheme).toBe('internal');
    expect(alb.Properties.LoadBalancerAttributes).toContainEqual({ Key: 'idle_timeout.timeout_seconds', Value: '600' });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: 8080, Protocol: 'HTTP', HealthCheckPath: '/healthz' });
  });

  test('the service starts after the schema exists; metadata is applied after the service, and again when schema or metadata change', () => {
    const serviceId = id(stack.graphql.service);
    const [schemaId] = only(t, 'Custom::PerftoolSchema');
    expect(dependsOn(t, serviceId)).toContain(schemaId);
    const [metaId, meta] = only(t, 'Custom::HasuraMetadata');
    expect(dependsOn(t, metaId)).toEqual(expect.arrayContaining([serviceId, schemaId]));
    expect(meta.Properties.SchemaHash).toBe(stack.database.schemaHash);
    expect(meta.Properties.MetadataHash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('the ALB admits CloudFront (origin-facing prefix list) and the metadata function, nothing else', () => {
    const rules = ingressRules(t, id(stack.graphql.loadBalancerSecurityGroup));
    expect(rules).toHaveLength(2);
    expect(rules.every((r) => r.FromPort === 80)).toBe(true);
    expect(rules.filter((r) => r.SourcePrefixListId)).toHaveLength(1);
    expect(rules.some((r) => r.CidrIp)).toBe(false);
  });
});

describe('web', () => {
  test('private bucket behind Origin Access Control; SPA routing by a viewer-request function, not by error pages', () => {
    const [, dist] = only(t, 'AWS::CloudFront::Distribution');
    const cfg = dist.Properties.DistributionConfig;
    expect(cfg.CustomErrorResponses).toBeUndefined();
    expect(cfg.DefaultCacheBehavior.FunctionAssociations).toEqual([{ EventType: 'viewer-request', FunctionARN: expect.anything() }]);
    expect(cfg.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(cfg.Origins[0].OriginAccessControlId).toBeDefined();
    const bucket = t.toJSON().Resources[id(stack.web.bucket)];
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(stack.web.bucket).toBeInstanceOf(s3.Bucket);
  });

  test('/v1/graphql* goes to the VPC origin uncached, all methods, viewer headers forwarded (WebSocket upgrade)', () => {
    const [, dist] = only(t, 'AWS::CloudFront::Distribution');
    const cfg = dist.Properties.DistributionConfig;
    const gql = cfg.CacheBehaviors.find((b: { PathPattern: string }) => b.PathPattern === '/v1/graphql*');
    expect(gql).toMatchObject({
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', // Managed-CachingDisabled
      OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac', // Managed-AllViewerExceptHostHeader
      ViewerProtocolPolicy: 'https-only',
    });
    expect(gql.AllowedMethods).toEqual(expect.arrayContaining(['GET', 'POST', 'OPTIONS']));
    const origin = cfg.Origins.find((o: { Id: string }) => o.Id === gql.TargetOriginId);
    expect(origin.VpcOriginConfig).toBeDefined();
    t.hasResourceProperties('AWS::CloudFront::VpcOrigin', {
      VpcOriginEndpointConfig: Match.objectLike({ Arn: { Ref: id(stack.graphql.loadBalancer) }, OriginProtocolPolicy: 'http-only', HTTPPort: 80 }),
    });
  });

  test('security headers: HSTS, nosniff, frame deny, CSP allowing same-origin wss', () => {
    const [, policy] = only(t, 'AWS::CloudFront::ResponseHeadersPolicy');
    const h = policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    expect(h.StrictTransportSecurity.AccessControlMaxAgeSec).toBeGreaterThanOrEqual(31536000);
    expect(h.ContentTypeOptions.Override).toBe(true);
    expect(h.FrameOptions.FrameOption).toBe('DENY');
    // The default distribution sends exactly what the viewer is tested under in the local preview.
    expect(h.ContentSecurityPolicy.ContentSecurityPolicy).toBe(VIEWER_CSP);
    expect(h.ContentSecurityPolicy.Override).toBe(true);
    const [, customPolicy] = only(custom.template, 'AWS::CloudFront::ResponseHeadersPolicy');
    expect(customPolicy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy).toContain(
      "connect-src 'self' wss://perftool.example.org;",
    );
  });

  test('custom domain: alias, the us-east-1 certificate, TLS 1.2 minimum, SNI', () => {
    const [, dist] = only(custom.template, 'AWS::CloudFront::Distribution');
    expect(dist.Properties.DistributionConfig.Aliases).toEqual(['perftool.example.org']);
    expect(dist.Properties.DistributionConfig.ViewerCertificate).toEqual({
      AcmCertificateArn: CUSTOM_DOMAIN.webCertificateArn,
      MinimumProtocolVersion: 'TLSv1.2_2021',
      SslSupportMethod: 'sni-only',
    });
    expect(custom.template.findOutputs('ViewerUrl').ViewerUrl.Value).toBe('https://perftool.example.org/');
  });

  test('a configured WAF web ACL guards the whole distribution; by default there is none, and only then is CFR2 acknowledged', () => {
    const [, dist] = only(custom.template, 'AWS::CloudFront::Distribution');
    expect(dist.Properties.DistributionConfig.WebACLId).toBe(CUSTOM_DOMAIN.webAclArn);
    const [, plain] = only(t, 'AWS::CloudFront::Distribution');
    expect(plain.Properties.DistributionConfig.WebACLId).toBeUndefined();
    const acknowledged = (s: typeof stack) => s.web.distribution.node.metadata
      .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
      .flatMap((m) => Object.keys(m.data as Record<string, string>));
    expect(acknowledged(stack)).toContain('Annotation::AwsSolutions-CFR2');
    expect(acknowledged(custom.stack)).not.toContain('Annotation::AwsSolutions-CFR2');
    expect(acknowledged(custom.stack)).toContain('Annotation::AwsSolutions-CFR1');
  });

  test('the built viewer is deployed to the bucket and the distribution invalidated', () => {
    t.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketName: { Ref: id(stack.web.bucket) },
      DistributionPaths: ['/*'],
    });
  });
});

describe('monitoring', () => {
  /** An alarm's metric as [namespace, metric name, dimension names]. */
  const alarmMetrics = (tpl: Template) => resources(tpl, 'AWS::CloudWatch::Alarm').map(([, a]) => [
    a.Properties.Namespace, a.Properties.MetricName, (a.Properties.Dimensions ?? []).map((d: { Name: string }) => d.Name).sort(),
  ]);

  test('alarms on sink errors, no healthy Hasura or NATS task, and low database storage', () => {
    expect(alarmMetrics(t)).toEqual(expect.arrayContaining([
      ['AWS/Lambda', 'Errors', ['FunctionName']],
      ['AWS/ApplicationELB', 'HealthyHostCount', ['LoadBalancer', 'TargetGroup']],
      ['AWS/NetworkELB', 'HealthyHostCount', ['LoadBalancer', 'TargetGroup']],
      ['AWS/RDS', 'FreeStorageSpace', ['DBInstanceIdentifier']],
    ]));
    expect(alarmMetrics(t)).toHaveLength(4);
    const alarm = (construct: IConstruct) => t.toJSON().Resources[id(construct)];
    const sinkErrors = alarm(stack.monitoring.alarms[0]);
    expect(sinkErrors.Properties).toMatchObject({
      MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: { Ref: id(stack.sink.function) } }],
      Statistic: 'Sum', Threshold: 1, EvaluationPeriods: 3, DatapointsToAlarm: 2,
    });
    // No healthy target during 5 whole minutes; each health alarm waits for its own service.
    for (const [index, service] of [[1, stack.graphql.service], [2, stack.mqtt.service]] as const) {
      const health = alarm(stack.monitoring.alarms[index]);
      expect(health.Properties).toMatchObject({
        MetricName: 'HealthyHostCount', Statistic: 'Maximum', Period: 60, Threshold: 1, EvaluationPeriods: 5,
        ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching',
      });
      expect(health.DependsOn).toContain(id(service));
    }
  });

  test('without alarmEmail the alarms notify nobody; with it, every alarm and its recovery reach the address over SNS', () => {
    expect(resources(t, 'AWS::SNS::Topic')).toHaveLength(0);
    for (const [, a] of resources(t, 'AWS::CloudWatch::Alarm')) expect(a.Properties.AlarmActions).toBeUndefined();
    const [topicId] = only(custom.template, 'AWS::SNS::Topic');
    custom.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.org', TopicArn: { Ref: topicId } });
    // The TLS-only topic policy replaces the default one: CloudWatch must be allowed to publish, and only this
    // account's alarms.
    const [, policy] = only(custom.template, 'AWS::SNS::TopicPolicy');
    const statements = policy.Properties.PolicyDocument.Statement as Array<Record<string, any>>;
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      expect.objectContaining({
        Effect: 'Allow', Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' }, Resource: { Ref: topicId },
        Condition: expect.objectContaining({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
      }),
    ]));
    const alarms = resources(custom.template, 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(4);
    for (const [, a] of alarms) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(a.Properties.OKActions).toEqual([{ Ref: topicId }]);
    }
  });
});

describe('outputs and secrets', () => {
  test('every output the operator tools read exists', () => {
    const outputs = Object.keys(t.findOutputs('*'));
    expect(outputs).toEqual(
      expect.arrayContaining(['ViewerUrl', 'GraphqlUrl', 'MqttEndpoint', 'KafkaClusterArn', 'KafkaPublicBootstrapBrokers', 'ResultTopic', 'TargetTopic', 'PiScramSecretArn']),
    );
    expect(t.findOutputs('PiScramSecretArn').PiScramSecretArn.Value).toEqual({ Ref: id(stack.kafka.userSecrets.pi) });
    expect(t.findOutputs('KafkaPublicBootstrapBrokers').KafkaPublicBootstrapBrokers.Value).toEqual({
      'Fn::GetAtt': [only(t, 'Custom::MskPublicAccess')[0], 'PublicBootstrapBrokers'],
    });
  });

  test('no secret value anywhere in the template: secrets are generated by Secrets Manager and referenced', () => {
    for (const tpl of [t, custom.template]) {
      for (const [, s] of resources(tpl, 'AWS::SecretsManager::Secret')) {
        expect(s.Properties.SecretString).toBeUndefined();
        expect(s.Properties.GenerateSecretString).toBeDefined();
      }
      const json = JSON.stringify(tpl.toJSON());
      expect(json).not.toMatch(/"(Password|MasterUserPassword|password)":"[^"{]/);
      for (const [, task] of resources(tpl, 'AWS::ECS::TaskDefinition')) {
        for (const c of task.Properties.ContainerDefinitions) {
          for (const e of c.Environment ?? []) expect(e.Name).not.toMatch(/PASSWORD|ADMIN_SECRET|DATABASE_URL/);
        }
      }
      for (const [, fn] of resources(tpl, 'AWS::Lambda::Function')) {
        for (const [k] of Object.entries(fn.Properties.Environment?.Variables ?? {})) expect(k).not.toMatch(/PASSWORD|SECRET$/);
      }
    }
  });
});

describe('cdk-nag AwsSolutions', () => {
  test('the validation report of the default stack (cdk-nag + CloudFormation Validate) has no violation at all', () => {
    const report = JSON.parse(readFileSync(join(defaults.app.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ pluginName: string; violations: Array<{ ruleName: string; description: string }> }>;
    };
    // Plugins report only when they find something (e.g. CloudFormation Validate E1029 on a stray "${X}").
    expect(report.pluginReports.flatMap((r) => r.violations.map((v) => `${r.pluginName} ${v.ruleName}: ${v.description}`))).toEqual([]);
  });

  test('both configurations synthesise with zero unacknowledged findings (synth throws otherwise)', () => {
    // beforeAll synthesised both with the AwsSolutions plugin; reaching here means no unacknowledged finding.
    expect(defaults.template.toJSON().Resources).toBeDefined();
    expect(custom.template.toJSON().Resources).toBeDefined();
  });

  test('every acknowledgement carries a specific reason', () => {
    const acks = [...defaults.stack.node.findAll(), ...custom.stack.node.findAll()]
      .flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules').flatMap((m) => Object.entries(m.data as Record<string, string>)))
      // CDK itself acknowledges a few CloudFormation-Validate rules on generated resources.
      .filter(([ruleId]) => ruleId.includes('AwsSolutions'));
    expect(acks.length).toBeGreaterThan(10);
    for (const [, reason] of acks) {
      expect(reason.length).toBeGreaterThan(30);
    }
  });

  test('a new unacknowledged finding fails synthesis', () => {
    const extra = synthesiseWithExtraBucket();
    expect(extra).toThrow(/AwsSolutions-S1[\s\S]*UnloggedBucket|UnloggedBucket[\s\S]*AwsSolutions-S1/);
  });
});

function synthesiseWithExtraBucket(): () => void {
  return () => {
    const { App, Validations } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
    const { AwsSolutionsChecks } = require('cdk-nag') as typeof import('cdk-nag');
    const { CDK_JSON_CONTEXT } = require('./synth') as typeof import('./synth');
    const { configFromContext } = require('../../lib/config') as typeof import('../../lib/config');
    const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
    const config = configFromContext((k) => app.node.tryGetContext(k), Object.keys(app.node.getAllContext()));
    const s = new PerftoolStack(app, 'PerftoolServer', { config });
    new s3.Bucket(s, 'UnloggedBucket');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();
  };
}
