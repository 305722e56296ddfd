import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ManagedKafkaEventSource, S3OnFailureDestination } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PerftoolConfig } from '../config';
import { SINK_CONSUMER_GROUP } from '../kafka-properties';
import { Database } from './database';
import { Kafka } from './kafka';
import { Network } from './network';
import { PerftoolFunction } from './node-function';

export interface SinkProps {
  network: Network;
  kafka: Kafka;
  database: Database;
  config: PerftoolConfig;
}

/** lambda/sink fed by an MSK event source mapping on the result topic. */
export class Sink extends Construct {
  readonly function: PerftoolFunction;
  /** Where provisioned mode sets aside batches that keep failing; none in on-demand mode, which retries them. */
  readonly failedBatches?: s3.Bucket;

  constructor(scope: Construct, id: string, props: SinkProps) {
    super(scope, id);
    const { network, kafka, database, config } = props;

    const sg = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: network.vpc,
      description: 'Sink Lambda: reaches PostgreSQL and the Secrets Manager endpoint',
      allowAllOutbound: true,
    });
    this.function = new PerftoolFunction(this, 'Function', {
      entry: 'lambda/sink/index.ts',
      description: 'Stores perftool results from the MSK result topic in PostgreSQL',
      // MSK event source mappings allow at most 14 minutes.
      timeout: Duration.minutes(2),
      memorySize: 512,
      vpc: network.vpc,
      vpcSubnets: network.isolatedSubnets,
      securityGroups: [sg],
    });
    // As perftool_sink (lambda/db-init/roles.ts): it can store results but not change the schema.
    database.allowFunction(this.function, 'Sink Lambda', database.sinkSecret);
    // New sink code may write what only the new schema accepts (e.g. a new bucket width): on every deploy the
    // migrations run first.
    this.function.node.addDependency(database.schemaReady);

    const sinkSecret = kafka.userSecrets.sink;
    const common = {
      clusterArn: kafka.clusterArn,
      topic: config.resultTopic,
      secret: sinkSecret,
      // Explicit so the ACLs can name it (with allow.everyone.if.no.acl.found=false a nameless group is refused).
      consumerGroupId: SINK_CONSUMER_GROUP,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: config.sinkBatchSize,
      maxBatchingWindow: Duration.seconds(config.sinkBatchWindowSeconds),
    };
    if (config.sinkPollerMode === 'on-demand') {
      // No poller charge. A batch whose invocation fails is retried whole until it succeeds (AWS sets no error-handling
      // controls here); the sink stores or rejects every record and throws only when the database fails, so a retry
      // is what's wanted and no record can block its partition. Records wait in the topic for up to its retention.
      this.function.addEventSource(new ManagedKafkaEventSource(common));
    } else {
      // Batches that still fail after the retries land here whole (S3 destinations get the records, not only metadata).
      this.failedBatches = new s3.Bucket(this, 'FailedBatches', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycleRules: [{ expiration: Duration.days(90) }],
        removalPolicy: RemovalPolicy.DESTROY,
        autoDeleteObjects: true,
      });
      this.function.addEventSource(
        new ManagedKafkaEventSource({
          ...common,
          // A failing batch is split until the bad record is alone, retried a few times, then set aside in S3.
          bisectBatchOnError: true,
          retryAttempts: 3,
          onFailure: new S3OnFailureDestination(this.failedBatches),
          // Error-handling controls for Kafka sources are offered in provisioned mode; one poller is plenty here.
          provisionedPollerConfig: { minimumPollers: 1, maximumPollers: 1 },
        }),
      );
    }
    // The ESM reads the SCRAM secret with the function's role; the secret is encrypted with the customer key.
    kafka.scramKey.grantDecrypt(this.function);

    // Create the mapping only once the topic and the sink's ACLs exist and the SCRAM secret is associated.
    for (const child of this.function.node.children) {
      if (child instanceof lambda.EventSourceMapping) child.node.addDependency(kafka.topicReady);
    }
  }
}
