import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PerftoolConfig } from '../config';
import { NATS_IMAGE } from '../images';
import { MQTT_PASSWORD_ENV, MQTT_USERNAME, NATS_START_COMMAND, renderNatsConfig } from '../nats-config';
import { ownedLogGroup } from './log-group';
import { Network } from './network';
import { peerFor } from './peers';

export const NATS_MONITOR_PORT = 8222;
export const MQTT_TLS_PORT = 8883;
const NATS_STORE_DIR = '/data/jetstream';

export interface MqttTargetProps {
  network: Network;
  cluster: ecs.Cluster;
  config: PerftoolConfig;
}

/** The broker under test: NATS (JetStream + MQTT 3.1.1) on Fargate behind an internet-facing NLB. */
export class MqttTarget extends Construct {
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  readonly service: ecs.FargateService;
  /** The NATS task behind the MQTT listener(s); its health is what Monitoring watches. */
  readonly targetGroup: elbv2.NetworkTargetGroup;
  /** host:port the Pi's perftool uses as its MQTT target. */
  readonly endpoint: string;
  /** JSON {username, password} of the MQTT user the Pi logs in as; NATS refuses every other client. */
  readonly piSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: MqttTargetProps) {
    super(scope, id);
    const { network, cluster, config } = props;

    const natsConfig = renderNatsConfig({
      mqttPort: config.mqttPort,
      monitorPort: NATS_MONITOR_PORT,
      serverName: `${Stack.of(this).stackName}-nats`.replace(/[^A-Za-z0-9_-]/g, '-'),
      storeDir: NATS_STORE_DIR,
    });

    this.piSecret = new secretsmanager.Secret(this, 'PiSecret', {
      description: 'MQTT username and password of the Raspberry Pi perftool runner (NATS refuses anonymous MQTT clients)',
      removalPolicy: RemovalPolicy.DESTROY,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: MQTT_USERNAME }),
        generateStringKey: 'password',
        // Letters and digits only, at least one letter of each case: nothing for a Pi file or the runner to
        // reinterpret (the runner turns a value that parses as a number into one). Longer makes up for the alphabet.
        excludePunctuation: true,
        requireEachIncludedType: true,
        passwordLength: 40,
      },
    });

    const task = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: 256,
      memoryLimitMiB: 512,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      volumes: [{ name: 'jetstream' }],
    });
    const container = task.addContainer('nats', {
      image: ecs.ContainerImage.fromRegistry(NATS_IMAGE),
      entryPoint: ['/bin/sh', '-c'],
      command: [NATS_START_COMMAND],
      environment: { NATS_CONFIG: natsConfig },
      // Resolved by ECS at task start; the template holds only the secret's ARN.
      secrets: { [MQTT_PASSWORD_ENV]: ecs.Secret.fromSecretsManager(this.piSecret, 'password') },
      portMappings: [
        { containerPort: config.mqttPort, protocol: ecs.Protocol.TCP, name: 'mqtt' },
        { containerPort: NATS_MONITOR_PORT, protocol: ecs.Protocol.TCP, name: 'monitor' },
      ],
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: 'nats',
        logGroup: ownedLogGroup(this, 'Logs'),
      }),
    });
    container.addMountPoints({ containerPath: '/data', sourceVolume: 'jetstream', readOnly: false });

    const lbSg = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: network.vpc,
      description: 'MQTT NLB: the MQTT port (and 8883 with TLS) from the allowed CIDRs',
      allowAllOutbound: true,
    });
    for (const cidr of config.allowedCidrs) {
      lbSg.addIngressRule(peerFor(cidr), ec2.Port.tcp(config.mqttPort), `MQTT from ${cidr}`);
      if (config.mqttTlsCertificateArn) lbSg.addIngressRule(peerFor(cidr), ec2.Port.tcp(MQTT_TLS_PORT), `MQTT over TLS from ${cidr}`);
    }
    const taskSg = new ec2.SecurityGroup(this, 'TaskSecurityGroup', {
      vpc: network.vpc,
      description: 'NATS task: MQTT and the health-check monitoring port from the NLB only',
      allowAllOutbound: true,
    });
    taskSg.addIngressRule(lbSg, ec2.Port.tcp(config.mqttPort), 'MQTT from the NLB');
    taskSg.addIngressRule(lbSg, ec2.Port.tcp(NATS_MONITOR_PORT), 'NLB health check of /healthz (monitoring has no auth)');

    // Public subnets + public IP instead of a NAT gateway: the task pulls its image from Docker Hub.
    this.service = new ecs.FargateService(this, 'Service', {
      cluster,
      taskDefinition: task,
      desiredCount: 1,
      assignPublicIp: true,
      vpcSubnets: network.publicSubnets,
      securityGroups: [taskSg],
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      circuitBreaker: { rollback: true },
    });

    // Security groups can only be attached to an NLB when it is created.
    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc: network.vpc,
      internetFacing: true,
      vpcSubnets: network.publicSubnets,
      securityGroups: [lbSg],
      crossZoneEnabled: true,
    });
    const targetGroup = (this.targetGroup = new elbv2.NetworkTargetGroup(this, 'MqttTargets', {
      vpc: network.vpc,
      port: config.mqttPort,
      protocol: elbv2.Protocol.TCP,
      targetType: elbv2.TargetType.IP,
      deregistrationDelay: Duration.seconds(10),
      healthCheck: {
        protocol: elbv2.Protocol.HTTP,
        port: String(NATS_MONITOR_PORT),
        path: '/healthz',
        healthyHttpCodes: '200',
        interval: Duration.seconds(10),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
      },
      targets: [this.service.loadBalancerTarget({ containerName: 'nats', containerPort: config.mqttPort })],
    }));
    this.loadBalancer.addListener('Mqtt', { port: config.mqttPort, protocol: elbv2.Protocol.TCP, defaultTargetGroups: [targetGroup] });
    if (config.mqttTlsCertificateArn) {
      this.loadBalancer.addListener('MqttTls', {
        port: MQTT_TLS_PORT,
        protocol: elbv2.Protocol.TLS,
        certificates: [acm.Certificate.fromCertificateArn(this, 'MqttCertificate', config.mqttTlsCertificateArn)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        defaultTargetGroups: [targetGroup],
      });
    }
    this.endpoint = `${this.loadBalancer.loadBalancerDnsName}:${config.mqttPort}`;
  }
}
