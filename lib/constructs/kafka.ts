import { CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as msk from 'aws-cdk-lib/aws-msk';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { PerftoolConfig } from '../config';
import {
  KAFKA_PRIVATE_SCRAM_PORT,
  KAFKA_PUBLIC_SCRAM_PORT,
  KAFKA_USERS,
  KafkaUserRole,
  SINK_CONSUMER_GROUP,
  BOOTSTRAP_BROKER_PROPERTIES,
  renderLockedBrokerProperties,
} from '../kafka-properties';
import { ownedLogGroup } from './log-group';
import { Network } from './network';
import { PerftoolFunction } from './node-function';
import { peerFor } from './peers';

export interface KafkaProps {
  network: Network;
  config: PerftoolConfig;
}

/**
 * MSK provisioned cluster with SASL/SCRAM over TLS only, its SCRAM users, the result topic and ACLs
 * (custom resource over the Kafka Admin API), and public access turned on after creation (custom resource).
 */
export class Kafka extends Construct {
  readonly cluster: msk.CfnCluster;
  readonly securityGroup: ec2.SecurityGroup;
  readonly scramKey: kms.Key;
  readonly userSecrets: Record<KafkaUserRole, secretsmanager.Secret>;
  /** Completes once the topic and its ACLs exist; consumers must depend on it. */
  readonly topicReady: CustomResource;
  /** The public SASL/SCRAM bootstrap string ('' when public access is off in the configuration). */
  readonly publicBootstrapBrokers: string;
  readonly clusterArn: string;

  constructor(scope: Construct, id: string, props: KafkaProps) {
    super(scope, id);
    const { network, config } = props;
    const stackName = Stack.of(this).stackName;

    // MSK only accepts SCRAM secrets encrypted with a customer managed key.
    this.scramKey = new kms.Key(this, 'ScramKey', {
      description: 'Encrypts the AmazonMSK_ SASL/SCRAM secrets of the perftool result cluster',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    const userSecret = (role: KafkaUserRole) =>
      new secretsmanager.Secret(this, `${role[0].toUpperCase()}${role.slice(1)}ScramSecret`, {
        // MSK requires the AmazonMSK_ prefix.
        secretName: `AmazonMSK_${stackName}_${role}`,
        description: `SASL/SCRAM-SHA-512 credentials of Kafka user ${KAFKA_USERS[role]}`,
        encryptionKey: this.scramKey,
        removalPolicy: RemovalPolicy.DESTROY,
        generateSecretString: {
          secretStringTemplate: JSON.stringify({ username: KAFKA_USERS[role] }),
          generateStringKey: 'password',
          excludePunctuation: true,
          passwordLength: 32,
        },
      });
    this.userSecrets = { admin: userSecret('admin'), pi: userSecret('pi'), sink: userSecret('sink') };

    // One security group for the life of the cluster: changing the cluster's list replaces the cluster.
    this.securityGroup = new ec2.SecurityGroup(this, 'BrokerSecurityGroup', {
      vpc: network.vpc,
      description: 'MSK brokers: private SASL/SCRAM from in-VPC clients, public SASL/SCRAM from the allowed CIDRs',
      allowAllOutbound: true,
    });
    // The event source mapping's pollers use this group too and must reach the brokers.
    this.securityGroup.addIngressRule(this.securityGroup, ec2.Port.tcp(KAFKA_PRIVATE_SCRAM_PORT), 'Event source pollers (same security group)');
    for (const cidr of config.allowedCidrs) {
      this.securityGroup.addIngressRule(peerFor(cidr), ec2.Port.tcp(KAFKA_PUBLIC_SCRAM_PORT), `Public SASL/SCRAM from ${cidr}`);
    }

    const configuration = (name: string, allowEveryoneIfNoAclFound: boolean, serverProperties: string) =>
      new msk.CfnConfiguration(this, `${name}Configuration`, {
        name: `${stackName}-${name.toLowerCase()}`,
        description: `perftool broker settings, allow.everyone.if.no.acl.found=${allowEveryoneIfNoAclFound}`,
        kafkaVersionsList: [config.kafkaVersion],
        serverProperties,
      });
    // Independent of the configuration keys, so no later deploy makes a new permissive revision (see kafka-properties).
    const bootstrapConfiguration = configuration('Bootstrap', true, BOOTSTRAP_BROKER_PROPERTIES);
    const lockedConfiguration = configuration('Locked', false, renderLockedBrokerProperties({ replicationFactor: config.resultTopicReplication }));

    const brokerLogs = ownedLogGroup(this, 'BrokerLogs');
    this.cluster = new msk.CfnCluster(this, 'Cluster', {
      clusterName: `${stackName}-results`,
      kafkaVersion: config.kafkaVersion,
      numberOfBrokerNodes: config.kafkaBrokerCount,
      brokerNodeGroupInfo: {
        instanceType: config.kafkaInstanceType,
        // Public access needs public subnets; brokers get public IPs only once it is turned on.
        clientSubnets: network.vpc.selectSubnets(network.publicSubnets).subnetIds,
        securityGroups: [this.securityGroup.securityGroupId],
        storageInfo: { ebsStorageInfo: { volumeSize: config.kafkaVolumeGiB } },
      },
      clientAuthentication: {
        sasl: { scram: { enabled: true }, iam: { enabled: false } },
        unauthenticated: { enabled: false },
      },
      encryptionInfo: { encryptionInTransit: { clientBroker: 'TLS', inCluster: true } },
      configurationInfo: { arn: bootstrapConfiguration.attrArn, revision: bootstrapConfiguration.attrLatestRevisionRevision },
      loggingInfo: { brokerLogs: { cloudWatchLogs: { enabled: true, logGroup: brokerLogs.logGroupName } } },
      enhancedMonitoring: 'DEFAULT',
    });
    this.clusterArn = this.cluster.attrArn;

    const scramAssociation = new msk.CfnBatchScramSecret(this, 'ScramSecrets', {
      clusterArn: this.clusterArn,
      secretArnList: Object.values(this.userSecrets).map((s) => s.secretArn),
    });

    // CloudFormation has no attribute for bootstrap brokers; this SDK call runs outside the VPC.
    const privateBootstrap = new cr.AwsCustomResource(this, 'PrivateBootstrapBrokers', {
      installLatestAwsSdk: false,
      onUpdate: {
        service: 'Kafka',
        action: 'getBootstrapBrokers',
        parameters: { ClusterArn: this.clusterArn },
        physicalResourceId: cr.PhysicalResourceId.of(`${stackName}-bootstrap-brokers`),
        outputPaths: ['BootstrapBrokerStringSaslScram'],
      },
      // GetBootstrapBrokers has no resource-level permissions (AWS's Service Authorization Reference): '*' only.
      policy: cr.AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({ actions: ['kafka:GetBootstrapBrokers'], resources: ['*'] })]),
      logGroup: ownedLogGroup(this, 'PrivateBootstrapBrokersLogs'),
    });
    privateBootstrap.node.addDependency(scramAssociation);

    this.topicReady = this.topicAndAcls(network, config, privateBootstrap.getResponseField('BootstrapBrokerStringSaslScram'));
    this.topicReady.node.addDependency(scramAssociation);

    if (config.kafkaPublicAccess) {
      const publicAccess = this.publicAccess(lockedConfiguration);
      this.publicBootstrapBrokers = publicAccess.getAttString('PublicBootstrapBrokers');
    } else {
      this.publicBootstrapBrokers = '';
    }
  }

  private topicAndAcls(network: Network, config: PerftoolConfig, bootstrapBrokers: string): CustomResource {
    const adminSg = new ec2.SecurityGroup(this, 'KafkaAdminSecurityGroup', {
      vpc: network.vpc,
      description: 'Topic/ACL custom resource: reaches the brokers and the Secrets Manager endpoint',
      allowAllOutbound: true,
    });
    this.securityGroup.addIngressRule(adminSg, ec2.Port.tcp(KAFKA_PRIVATE_SCRAM_PORT), 'Topic/ACL custom resource');
    const fn = new PerftoolFunction(this, 'KafkaAdminFunction', {
      entry: 'lambda/kafka-admin/index.ts',
      description: 'Creates the result topic and its ACLs through the Kafka Admin API over SASL/SCRAM',
      // SCRAM secret association takes up to 10 minutes to reach the brokers: the handler retries within this.
      timeout: Duration.minutes(14),
      vpc: network.vpc,
      vpcSubnets: network.isolatedSubnets,
      securityGroups: [adminSg],
    });
    this.userSecrets.admin.grantRead(fn);
    const provider = new cr.Provider(this, 'KafkaAdminProvider', {
      onEventHandler: fn,
      logGroup: ownedLogGroup(this, 'KafkaAdminProviderLogs'),
    });
    return new CustomResource(this, 'ResultTopic', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::KafkaTopicAndAcls',
      properties: {
        BootstrapBrokers: bootstrapBrokers,
        AdminSecretArn: this.userSecrets.admin.secretArn,
        Topic: config.resultTopic,
        Partitions: config.resultTopicPartitions,
        ReplicationFactor: config.resultTopicReplication,
        AdminUser: KAFKA_USERS.admin,
        ProducerUser: KAFKA_USERS.pi,
        ConsumerUser: KAFKA_USERS.sink,
        ConsumerGroup: SINK_CONSUMER_GROUP,
      },
    });
  }

  private publicAccess(lockedConfiguration: msk.CfnConfiguration): CustomResource {
    const onEvent = new PerftoolFunction(this, 'PublicAccessOnEvent', {
      entry: 'lambda/msk-public-access/index.ts',
      handler: 'onEvent',
      description: 'Starts turning on MSK public access (SASL/SCRAM) after the cluster exists',
      timeout: Duration.minutes(1),
    });
    const isComplete = new PerftoolFunction(this, 'PublicAccessIsComplete', {
      entry: 'lambda/msk-public-access/index.ts',
      handler: 'isComplete',
      description: 'Advances MSK public access one cluster update at a time and reports when it is done',
      timeout: Duration.minutes(1),
    });
    // Resource types per AWS's Service Authorization Reference (checked by test/infra/iam-calls.test.ts):
    // UpdateClusterConfiguration needs the cluster AND the configuration it applies; GetBootstrapBrokers takes '*' only.
    isComplete.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kafka:DescribeClusterV2', 'kafka:UpdateConnectivity', 'kafka:ListClusterOperationsV2'],
        resources: [this.clusterArn],
      }),
    );
    isComplete.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['kafka:UpdateClusterConfiguration'], resources: [this.clusterArn, lockedConfiguration.attrArn] }),
    );
    isComplete.addToRolePolicy(new iam.PolicyStatement({ actions: ['kafka:GetBootstrapBrokers'], resources: ['*'] }));
    // UpdateClusterConfiguration reads the configuration; UpdateConnectivity checks the subnets are public.
    isComplete.addToRolePolicy(new iam.PolicyStatement({ actions: ['kafka:DescribeConfiguration', 'kafka:DescribeConfigurationRevision'], resources: [lockedConfiguration.attrArn] }));
    isComplete.addToRolePolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeSubnets', 'ec2:DescribeRouteTables'], resources: ['*'] }));
    const provider = new cr.Provider(this, 'PublicAccessProvider', {
      onEventHandler: onEvent,
      isCompleteHandler: isComplete,
      queryInterval: Duration.minutes(1),
      // CloudFormation waits at most one hour for a custom resource; give up a little earlier with a clear reason.
      totalTimeout: Duration.minutes(55),
      logGroup: ownedLogGroup(this, 'PublicAccessProviderLogs'),
    });
    // One MSK update per custom resource, so each gets its own hour.
    const step = (id: string, resourceType: string, goal: 'locked-configuration' | 'public-access') =>
      new CustomResource(this, id, {
        serviceToken: provider.serviceToken,
        resourceType,
        properties: {
          ClusterArn: this.clusterArn,
          LockedConfigurationArn: lockedConfiguration.attrArn,
          LockedConfigurationRevision: lockedConfiguration.attrLatestRevisionRevision,
          Goal: goal,
        },
      });
    const locked = step('AclEnforcement', 'Custom::MskAclEnforcement', 'locked-configuration');
    // ACLs must exist before allow.everyone.if.no.acl.found goes false, or nobody could use the topic.
    locked.node.addDependency(this.topicReady);
    const publicAccess = step('PublicAccess', 'Custom::MskPublicAccess', 'public-access');
    publicAccess.node.addDependency(locked);
    return publicAccess;
  }
}
