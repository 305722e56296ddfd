import { Aws, CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { PerftoolConfig } from './config';
import { Database } from './constructs/database';
import { Graphql } from './constructs/graphql';
import { Kafka } from './constructs/kafka';
import { ownedLogGroup } from './constructs/log-group';
import { Monitoring } from './constructs/monitoring';
import { MqttTarget } from './constructs/mqtt-target';
import { Network } from './constructs/network';
import { ActiveHoursSchedule } from './constructs/schedule';
import { activeHoursOf } from './active-hours';
import { Sink } from './constructs/sink';
import { Web } from './constructs/web';
import { acknowledgeNagFindings } from './nag-acknowledgements';

/**
 * ECS's service-linked role, created before the cluster. In a new account ECS creates it during the first
 * CreateCluster, and the cluster can fail while the role is not usable yet ("Unable to assume the service linked
 * role"; aws-cloudformation/cloudformation-coverage-roadmap#818). Creating it is idempotent here: "has been taken in
 * this account" (InvalidInput) means it exists. Nothing is done on stack delete: the account's other ECS clusters
 * use the role, and IAM refuses to delete a service-linked role in use anyway.
 */
function ecsServiceLinkedRole(stack: Stack): cr.AwsCustomResource {
  const serviceName = 'ecs.amazonaws.com';
  return new cr.AwsCustomResource(stack, 'EcsServiceLinkedRole', {
    installLatestAwsSdk: false,
    onCreate: {
      service: 'IAM',
      action: 'createServiceLinkedRole',
      parameters: { AWSServiceName: serviceName },
      physicalResourceId: cr.PhysicalResourceId.of('AWSServiceRoleForECS'),
      ignoreErrorCodesMatching: '^InvalidInput',
    },
    policy: cr.AwsCustomResourcePolicy.fromStatements([
      new iam.PolicyStatement({
        actions: ['iam:CreateServiceLinkedRole'],
        resources: [`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/aws-service-role/${serviceName}/AWSServiceRoleForECS`],
        conditions: { StringEquals: { 'iam:AWSServiceName': serviceName } },
      }),
    ]),
    logGroup: ownedLogGroup(stack, 'EcsServiceLinkedRoleLogs'),
  });
}

export interface PerftoolStackProps extends StackProps {
  config: PerftoolConfig;
}

/** The whole perftool result server (SPEC §1): one construct per tier. */
export class PerftoolStack extends Stack {
  readonly network: Network;
  readonly kafka: Kafka;
  readonly mqtt: MqttTarget;
  readonly database: Database;
  readonly sink: Sink;
  readonly graphql: Graphql;
  readonly web: Web;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: PerftoolStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.network = new Network(this, 'Network', { onDemandEventPollers: config.sinkPollerMode === 'on-demand' });
    const cluster = new ecs.Cluster(this, 'Containers', { vpc: this.network.vpc });

    if (config.availabilityZoneIds) this.network.pinAvailabilityZones(config.availabilityZoneIds);
    cluster.node.addDependency(ecsServiceLinkedRole(this));
    this.kafka = new Kafka(this, 'Kafka', { network: this.network, config });
    this.mqtt = new MqttTarget(this, 'Mqtt', { network: this.network, cluster, config });
    this.database = new Database(this, 'Database', { network: this.network, config });
    this.sink = new Sink(this, 'Sink', { network: this.network, kafka: this.kafka, database: this.database, config });
    this.graphql = new Graphql(this, 'Graphql', { network: this.network, cluster, database: this.database });
    this.web = new Web(this, 'Web', { config, graphql: this.graphql });
    const activeHours = activeHoursOf(config);
    if (activeHours) {
      new ActiveHoursSchedule(this, 'ActiveHours', { activeHours, services: { Hasura: this.graphql.service, Nats: this.mqtt.service } });
    }
    this.monitoring = new Monitoring(this, 'Monitoring', {
      config, sink: this.sink, graphql: this.graphql, mqtt: this.mqtt, database: this.database,
    });

    // Output names are a contract (docs/contracts.md): npm run pi-config and npm run smoke read them.
    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    output('ViewerUrl', `https://${this.web.hostname}/`, 'The perftool viewer');
    output('GraphqlUrl', `https://${this.web.hostname}/v1/graphql`, 'GraphQL API (anonymous role; HTTP and WebSocket)');
    output('MqttEndpoint', this.mqtt.endpoint, 'host:port of the MQTT target broker the Pi measures');
    output('KafkaClusterArn', this.kafka.clusterArn, 'MSK cluster of the result topic');
    output(
      'KafkaPublicBootstrapBrokers',
      this.kafka.publicBootstrapBrokers,
      'Public SASL/SCRAM (port 9196) bootstrap string the Pi publishes results to; empty while public access is off',
    );
    output('ResultTopic', config.resultTopic, 'Kafka topic of the perftool results');
    output('TargetTopic', config.targetTopic, 'MQTT topic perftool measures (the viewer default perftool name)');
    output('PiScramSecretArn', this.kafka.userSecrets.pi.secretArn, 'Secrets Manager secret with the Pi SASL/SCRAM username and password');
    output('PiMqttSecretArn', this.mqtt.piSecret.secretArn, 'Secrets Manager secret with the Pi MQTT username and password');
    output('HasuraAdminSecretArn', this.graphql.adminSecret.secretArn, 'Hasura admin secret (operators only)');

    acknowledgeNagFindings(this);
  }
}
