import { CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HASURA_ROLE, SINK_ROLE } from '../../lambda/db-init/roles';
import { PerftoolConfig } from '../config';
import { sqlMigrationsHash } from '../sql-hash';
import { ownedLogGroup } from './log-group';
import { Network } from './network';
import { PerftoolFunction, REPO_ROOT } from './node-function';

/**
 * Characters kept out of the generated database password: Hasura's database URL is assembled from the secret's
 * fields inside the container, and these would need URL escaping (or break the shell quoting).
 */
export const DB_PASSWORD_EXCLUDED_CHARACTERS = ' %+~`#$&*()|[]{}:;<>?!\'"/@\\=,^';

/** Node 20+ Lambda runtimes trust the Amazon CAs (RDS included) only when pointed at this bundle. */
export const LAMBDA_RUNTIME_CA_BUNDLE = '/var/runtime/ca-cert.pem';

const ENGINE_VERSIONS = {
  '16': rds.PostgresEngineVersion.VER_16_10,
  '17': rds.PostgresEngineVersion.VER_17_6,
} as const;

export interface DatabaseProps {
  network: Network;
  config: PerftoolConfig;
}

/** RDS PostgreSQL in the isolated subnets, and the schema custom resource around lambda/db-init. */
export class Database extends Construct {
  readonly instance: rds.DatabaseInstance;
  readonly schemaReady: CustomResource;
  /** sha256 of sql/migrations: changes exactly when the schema does. */
  readonly schemaHash: string;
  /** Credentials of the role Hasura connects as (perftool_hasura), in the RDS secret format, host included. */
  readonly hasuraSecret: secretsmanager.ISecret;
  /** Credentials of the role the sink writes as (perftool_sink), in the RDS secret format, host included. */
  readonly sinkSecret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { network, config } = props;

    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: ENGINE_VERSIONS[config.postgresVersion] }),
      instanceType: new ec2.InstanceType(config.dbInstanceType.replace(/^db\./, '')),
      vpc: network.vpc,
      vpcSubnets: network.isolatedSubnets,
      publiclyAccessible: false,
      multiAz: false,
      databaseName: config.dbName,
      credentials: rds.Credentials.fromGeneratedSecret(config.dbUser, { excludeCharacters: DB_PASSWORD_EXCLUDED_CHARACTERS }),
      storageEncrypted: true,
      storageType: rds.StorageType.GP3,
      allocatedStorage: 20,
      maxAllocatedStorage: 100,
      backupRetention: Duration.days(config.dbBackupRetentionDays),
      deletionProtection: config.dbDeletionProtection,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      autoMinorVersionUpgrade: true,
      cloudwatchLogsExports: ['postgresql'],
    });

    // The services' own roles (lambda/db-init/roles.ts creates them with these passwords): least privilege instead
    // of the master user. Attached to the instance, so the secrets carry host and port like the master secret.
    const roleSecret = (id: string, username: string) =>
      new rds.DatabaseSecret(this, id, {
        username,
        dbname: config.dbName,
        excludeCharacters: DB_PASSWORD_EXCLUDED_CHARACTERS,
      }).attach(this.instance);
    this.hasuraSecret = roleSecret('HasuraRoleSecret', HASURA_ROLE);
    this.sinkSecret = roleSecret('SinkRoleSecret', SINK_ROLE);

    const initSg = new ec2.SecurityGroup(this, 'SchemaInitSecurityGroup', {
      vpc: network.vpc,
      description: 'Schema custom resource: reaches PostgreSQL and the Secrets Manager endpoint',
      allowAllOutbound: true,
    });
    const fn = new PerftoolFunction(this, 'SchemaInitFunction', {
      entry: 'lambda/db-init/index.ts',
      description: 'Applies sql/migrations to the perftool database (CloudFormation custom resource)',
      timeout: Duration.minutes(5),
      vpc: network.vpc,
      vpcSubnets: network.isolatedSubnets,
      securityGroups: [initSg],
    });
    this.allowFunction(fn, 'Schema custom resource');
    this.hasuraSecret.grantRead(fn);
    this.sinkSecret.grantRead(fn);
    // The provider's own function runs outside the VPC, so the in-VPC handler never needs the response URL.
    const provider = new cr.Provider(this, 'SchemaInitProvider', {
      onEventHandler: fn,
      logGroup: ownedLogGroup(this, 'SchemaInitProviderLogs'),
    });
    this.schemaHash = sqlMigrationsHash(join(REPO_ROOT, 'sql', 'migrations'));
    this.schemaReady = new CustomResource(this, 'Schema', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::PerftoolSchema',
      properties: {
        DefaultPerftoolName: config.targetTopic,
        SchemaHash: this.schemaHash,
        HasuraSecretArn: this.hasuraSecret.secretArn,
        SinkSecretArn: this.sinkSecret.secretArn,
        // Hasura's grants follow its metadata (roles.ts): re-run when the metadata changes.
        GrantsHash: createHash('sha256').update(readFileSync(join(REPO_ROOT, 'lib', 'hasura', 'metadata.json'))).digest('hex'),
      },
    });
    this.schemaReady.node.addDependency(this.instance);
  }

  get secret() {
    // fromGeneratedSecret always creates one.
    return this.instance.secret!;
  }

  /**
   * Lets a function connect the one way lambda/shared/db.ts expects: network path, read access to the secret
   * (the master's unless another role's is given), DB_SECRET_ARN, and the runtime's CA bundle (which holds the RDS
   * CAs) so TLS is verified.
   */
  allowFunction(fn: lambda.Function, description: string, secret: secretsmanager.ISecret = this.secret): void {
    this.instance.connections.allowDefaultPortFrom(fn, description);
    secret.grantRead(fn);
    fn.addEnvironment('DB_SECRET_ARN', secret.secretArn);
    fn.addEnvironment('NODE_EXTRA_CA_CERTS', LAMBDA_RUNTIME_CA_BUNDLE);
  }
}
