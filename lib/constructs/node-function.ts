import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { ownedLogGroup } from './log-group';

export const REPO_ROOT = join(__dirname, '..', '..');

export interface PerftoolFunctionProps {
  /** Entry file relative to the repository root, e.g. lambda/sink/index.ts. */
  entry: string;
  handler?: string;
  description: string;
  timeout: Duration;
  memorySize?: number;
  environment?: Record<string, string>;
  vpc?: ec2.IVpc;
  vpcSubnets?: ec2.SubnetSelection;
  securityGroups?: ec2.ISecurityGroup[];
}

/**
 * Every Lambda of the app is built the same way: Node 22 on arm64, bundled locally by esbuild (no Docker),
 * with a log group the stack owns so teardown leaves nothing behind.
 */
export class PerftoolFunction extends NodejsFunction {
  /** The handler module (relative to the repository root) and its export: the IAM test reads its AWS_CALLS. */
  readonly entryModule: string;
  readonly handlerExport: string;

  constructor(scope: Construct, id: string, props: PerftoolFunctionProps) {
    const logGroup = ownedLogGroup(scope, `${id}Logs`);
    super(scope, id, {
      entry: join(REPO_ROOT, props.entry),
      handler: props.handler ?? 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize ?? 256,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      logGroup,
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      bundling: {
        forceDockerBundling: false,
        minify: true,
        sourceMap: true,
        target: 'node22',
        // esbuild's per-bundle size summary is noise in synth and test output; warnings and errors still show.
        logLevel: LogLevel.WARNING,
        // pg requires pg-native only when asked for it; the runtime provides the AWS SDK v3.
        externalModules: ['@aws-sdk/*', 'pg-native'],
      },
    });
    this.entryModule = props.entry;
    this.handlerExport = props.handler ?? 'handler';
  }
}
