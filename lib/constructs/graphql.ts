import { CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HASURA_ENVIRONMENT, HASURA_PORT, HASURA_START_COMMAND, RDS_CA_FETCH_COMMAND, RDS_CA_FETCHER_IMAGE, RDS_CA_VOLUME } from '../hasura-env';
import { HASURA_IMAGE } from '../images';
import { Database } from './database';
import { ownedLogGroup } from './log-group';
import { Network, VPC_CIDR } from './network';
import { PerftoolFunction, REPO_ROOT } from './node-function';

export const HASURA_METADATA_PATH = join(REPO_ROOT, 'lib', 'hasura', 'metadata.json');

export interface GraphqlProps {
  network: Network;
  cluster: ecs.Cluster;
  database: Database;
}

/** Hasura GraphQL Engine on Fargate behind an internal ALB, with its metadata applied by a custom resource. */
export class Graphql extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly loadBalancerSecurityGroup: ec2.SecurityGroup;
  readonly service: ecs.FargateService;
  /** The Hasura task behind the ALB's GraphQL and metadata rules. */
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly adminSecret: secretsmanager.Secret;
  readonly metadataApplied: CustomResource;

  constructor(scope: Construct, id: string, props: GraphqlProps) {
    super(scope, id);
    const { network, cluster, database } = props;

    this.adminSecret = new secretsmanager.Secret(this, 'AdminSecret', {
      description: 'Hasura admin secret (operators and the metadata custom resource only; never the browser)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const task = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: 512,
      memoryLimitMiB: 1024,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    // Hasura connects as its own role (lambda/db-init/roles.ts), never as the master user.
    const dbSecret = database.hasuraSecret;
    const logGroup = ownedLogGroup(this, 'Logs');
    task.addVolume({ name: RDS_CA_VOLUME.name });
    const hasura = task.addContainer('hasura', {
      image: ecs.ContainerImage.fromRegistry(HASURA_IMAGE),
      entryPoint: ['/bin/sh', '-c'],
      command: [HASURA_START_COMMAND],
      environment: HASURA_ENVIRONMENT,
      secrets: {
        HASURA_GRAPHQL_ADMIN_SECRET: ecs.Secret.fromSecretsManager(this.adminSecret),
        DB_USER: ecs.Secret.fromSecretsManager(dbSecret, 'username'),
        DB_PASSWORD: ecs.Secret.fromSecretsManager(dbSecret, 'password'),
        DB_HOST: ecs.Secret.fromSecretsManager(dbSecret, 'host'),
        DB_PORT: ecs.Secret.fromSecretsManager(dbSecret, 'port'),
        DB_NAME: ecs.Secret.fromSecretsManager(dbSecret, 'dbname'),
      },
      portMappings: [{ containerPort: HASURA_PORT, protocol: ecs.Protocol.TCP }],
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'hasura', logGroup }),
    });
    hasura.addMountPoints({ containerPath: RDS_CA_VOLUME.path, sourceVolume: RDS_CA_VOLUME.name, readOnly: true });
    // Fetches the RDS CA bundle (hasura-env.ts) and exits; Hasura starts only once it succeeded.
    const caFetcher = task.addContainer('rds-ca', {
      image: ecs.ContainerImage.fromRegistry(RDS_CA_FETCHER_IMAGE),
      essential: false,
      entryPoint: ['/bin/sh', '-c'],
      command: [RDS_CA_FETCH_COMMAND],
      environment: { DB_CA_BUNDLE: HASURA_ENVIRONMENT.DB_CA_BUNDLE },
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'rds-ca', logGroup }),
    });
    caFetcher.addMountPoints({ containerPath: RDS_CA_VOLUME.path, sourceVolume: RDS_CA_VOLUME.name, readOnly: false });
    hasura.addContainerDependencies({ container: caFetcher, condition: ecs.ContainerDependencyCondition.SUCCESS });

    this.loadBalancerSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: network.vpc,
      description: 'Internal Hasura ALB: HTTP from CloudFront (origin-facing prefix list) and the metadata custom resource',
      allowAllOutbound: true,
    });
    const taskSg = new ec2.SecurityGroup(this, 'TaskSecurityGroup', {
      vpc: network.vpc,
      description: 'Hasura task: HTTP from the internal ALB only',
      allowAllOutbound: true,
    });
    taskSg.addIngressRule(this.loadBalancerSecurityGroup, ec2.Port.tcp(HASURA_PORT), 'Hasura from the ALB (requests and /healthz)');

    // Public subnets + public IP instead of a NAT gateway, for pulling the image; the security group admits only the ALB.
    this.service = new ecs.FargateService(this, 'Service', {
      cluster,
      taskDefinition: task,
      desiredCount: 1,
      assignPublicIp: true,
      vpcSubnets: network.publicSubnets,
      securityGroups: [taskSg],
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      healthCheckGracePeriod: Duration.seconds(120),
    });
    database.instance.connections.allowDefaultPortFrom(taskSg, 'Hasura');
    // Hasura refuses metadata for tables that do not exist: start it only after the schema is in place.
    this.service.node.addDependency(database.schemaReady);

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: network.vpc,
      internetFacing: false,
      vpcSubnets: network.isolatedSubnets,
      securityGroup: this.loadBalancerSecurityGroup,
      // Long enough for GraphQL subscriptions over WebSocket (Hasura keeps them alive every 5 s anyway).
      idleTimeout: Duration.seconds(600),
      dropInvalidHeaderFields: true,
    });
    const targets = (this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'HasuraTargets', {
      vpc: network.vpc,
      port: HASURA_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      deregistrationDelay: Duration.seconds(10),
      healthCheck: { path: '/healthz', healthyHttpCodes: '200', interval: Duration.seconds(15), healthyThresholdCount: 2 },
      targets: [this.service],
    }));
    const listener = this.loadBalancer.addListener('Http', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultAction: elbv2.ListenerAction.fixedResponse(404, { contentType: 'text/plain', messageBody: 'not found' }),
    });
    listener.addAction('GraphQL', {
      priority: 10,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/v1/graphql', '/v1/graphql/*'])],
      action: elbv2.ListenerAction.forward([targets]),
    });
    // Metadata API (admin secret required) only from inside the VPC: CloudFront never routes /v1/metadata.
    listener.addAction('Metadata', {
      priority: 20,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/v1/metadata']), elbv2.ListenerCondition.sourceIps([VPC_CIDR])],
      action: elbv2.ListenerAction.forward([targets]),
    });

    this.metadataApplied = this.applyMetadata(network, database);
    this.metadataApplied.node.addDependency(this.service, listener);
  }

  private applyMetadata(network: Network, database: Database): CustomResource {
    const sg = new ec2.SecurityGroup(this, 'MetadataSecurityGroup', {
      vpc: network.vpc,
      description: 'Hasura metadata custom resource: reaches the internal ALB and the Secrets Manager endpoint',
      allowAllOutbound: true,
    });
    this.loadBalancerSecurityGroup.addIngressRule(sg, ec2.Port.tcp(80), 'Hasura metadata custom resource');
    const fn = new PerftoolFunction(this, 'MetadataFunction', {
      entry: 'lambda/hasura-metadata/index.ts',
      description: 'Applies lib/hasura/metadata.json to Hasura (replace_metadata) and checks it is consistent',
      timeout: Duration.minutes(10),
      vpc: network.vpc,
      vpcSubnets: network.isolatedSubnets,
      securityGroups: [sg],
    });
    this.adminSecret.grantRead(fn);
    const provider = new cr.Provider(this, 'MetadataProvider', {
      onEventHandler: fn,
      logGroup: ownedLogGroup(this, 'MetadataProviderLogs'),
    });
    const resource = new CustomResource(this, 'Metadata', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::HasuraMetadata',
      properties: {
        HasuraUrl: `http://${this.loadBalancer.loadBalancerDnsName}`,
        AdminSecretArn: this.adminSecret.secretArn,
        // Re-apply when the reviewed metadata or the schema under it changes.
        MetadataHash: createHash('sha256').update(readFileSync(HASURA_METADATA_PATH)).digest('hex'),
        SchemaHash: database.schemaHash,
      },
    });
    resource.node.addDependency(database.schemaReady);
    return resource;
  }
}
