import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { awsErrorName, OperatorError } from './errors';

/** The stack outputs the operator tools rely on (docs/contracts.md, "Stack outputs"). */
export const STACK_OUTPUT_KEYS = [
  'ViewerUrl',
  'GraphqlUrl',
  'MqttEndpoint',
  'KafkaClusterArn',
  'KafkaPublicBootstrapBrokers',
  'ResultTopic',
  'TargetTopic',
  'PiScramSecretArn',
  'PiMqttSecretArn',
] as const;

export type StackOutputs = Record<(typeof STACK_OUTPUT_KEYS)[number], string>;

/** Stable states in which every resource of the stack exists and works. */
const USABLE_STACK_STATUSES = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE']);

const piCredentialsSchema = z.object({ username: z.string().min(1), password: z.string().min(1) });
export type PiCredentials = z.infer<typeof piCredentialsSchema>;

/** Everything a Pi (and the smoke test) needs to talk to a deployed stack. */
export interface Deployment {
  stackName: string;
  outputs: StackOutputs;
  /** Public SASL/SCRAM bootstrap brokers, "host:port,host:port". */
  bootstrapBrokers: string;
  credentials: PiCredentials;
  /** The Pi's MQTT login at the NATS target (NATS refuses anonymous clients). */
  mqttCredentials: PiCredentials;
}

export interface AwsClients {
  cloudFormation: CloudFormationClient;
  kafka: KafkaClient;
  secretsManager: SecretsManagerClient;
}

export function createAwsClients(region?: string): AwsClients {
  const config = region ? { region } : {};
  return { cloudFormation: new CloudFormationClient(config), kafka: new KafkaClient(config), secretsManager: new SecretsManagerClient(config) };
}

/** Turns the AWS errors every call can hit (no credentials, no region, expired session) into one actionable line. */
function commonAwsError(err: unknown, action: string): OperatorError | undefined {
  const name = awsErrorName(err);
  const message = err instanceof Error ? err.message : String(err);
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new OperatorError(`no AWS credentials found while trying to ${action}: run "aws configure" or set AWS_PROFILE`);
  }
  if (/Region is missing/i.test(message)) {
    return new OperatorError(`no AWS region set while trying to ${action}: pass --region or set AWS_REGION`);
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && ['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT'].includes(code)) {
    return new OperatorError(`cannot reach AWS while trying to ${action} (${code}${/ \S+\.amazonaws\.com/.exec(message)?.[0] ?? ''}): check the network or proxy`);
  }
  if (/^ExpiredToken/.test(name)) {
    return new OperatorError(`the AWS session has expired while trying to ${action}: log in again (e.g. "aws sso login")`);
  }
  return undefined;
}

/** The OperatorError for a failed call: the first matching [error-name pattern, message], else the common cases, else `err`. */
function explainAwsError(err: unknown, action: string, byName: [RegExp, string][]): unknown {
  const match = byName.find(([pattern]) => pattern.test(awsErrorName(err)));
  return match ? new OperatorError(match[1]) : (commonAwsError(err, action) ?? err);
}

export async function readStackOutputs(cloudFormation: CloudFormationClient, stackName: string): Promise<StackOutputs> {
  let stack;
  try {
    const res = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    stack = res.Stacks?.[0];
  } catch (err) {
    const region = await cloudFormation.config.region().catch(() => 'the default region');
    if (awsErrorName(err) === 'ValidationError' && /does not exist/i.test(String((err as Error).message))) {
      throw new OperatorError(`stack "${stackName}" not found in ${region}: deploy it with "npx cdk deploy" or pass the right --stack and --region`);
    }
    throw explainAwsError(err, `describe stack "${stackName}"`, [[/AccessDenied/, `no permission to describe stack "${stackName}" (needs cloudformation:DescribeStacks)`]]);
  }
  if (!stack) throw new OperatorError(`stack "${stackName}" not found: deploy it with "npx cdk deploy"`);
  const status = String(stack.StackStatus);
  if (!USABLE_STACK_STATUSES.has(status)) {
    const hint = status.endsWith('_IN_PROGRESS') ? 'wait for the deployment to finish and try again' : 'fix the failed deployment (see the CloudFormation events) and deploy again';
    throw new OperatorError(`stack "${stackName}" is in state ${status}, not a completed state: ${hint}`);
  }
  const values = new Map((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue ?? '']));
  const missing = STACK_OUTPUT_KEYS.filter((key) => !values.has(key));
  if (missing.length > 0) {
    throw new OperatorError(`stack "${stackName}" has no output ${missing.join(', ')}: is it a perftool server stack deployed by this version of the app?`);
  }
  return Object.fromEntries(STACK_OUTPUT_KEYS.map((key) => [key, values.get(key) ?? ''])) as StackOutputs;
}

/** The public SASL/SCRAM bootstrap string; it exists only once public access has been turned on. */
export async function readPublicBootstrapBrokers(kafka: KafkaClient, clusterArn: string): Promise<string> {
  let brokers: string | undefined;
  try {
    const res = await kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
    brokers = res.BootstrapBrokerStringPublicSaslScram;
  } catch (err) {
    throw explainAwsError(err, 'read the MSK bootstrap brokers', [[/AccessDenied/, `no permission to read the bootstrap brokers of ${clusterArn} (needs kafka:GetBootstrapBrokers)`]]);
  }
  if (!brokers) {
    throw new OperatorError(
      'public access is not enabled on the MSK cluster yet (no public SASL/SCRAM bootstrap brokers): finish the public-access deploy step in the README, then run this again',
    );
  }
  return brokers;
}

/**
 * The Pi user's credentials from a secret holding JSON {username, password}: its SCRAM secret (AmazonMSK_, which
 * is encrypted with a customer managed key) or its MQTT secret.
 */
export async function readPiCredentials(secretsManager: SecretsManagerClient, secretArn: string, secret = 'Pi SCRAM secret'): Promise<PiCredentials> {
  let text: string | undefined;
  try {
    const res = await secretsManager.send(new GetSecretValueCommand({ SecretId: secretArn }));
    text = res.SecretString;
  } catch (err) {
    throw explainAwsError(err, `read the ${secret}`, [
      [/AccessDenied/, `no permission to read the ${secret} ${secretArn} (needs secretsmanager:GetSecretValue on it and kms:Decrypt on its KMS key)`],
      [/^ResourceNotFoundException$/, `the ${secret} ${secretArn} does not exist: deploy the stack again`],
    ]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch {
    parsed = undefined;
  }
  const result = piCredentialsSchema.safeParse(parsed);
  // Never echo the secret's content: say only what shape was expected.
  if (!result.success) throw new OperatorError(`the ${secret} ${secretArn} is not JSON {"username", "password"} with both set`);
  return result.data;
}

/**
 * Reads the deployed stack's outputs, the MSK public bootstrap brokers and the Pi's Kafka and MQTT credentials.
 * The brokers come from GetBootstrapBrokers (always current), not the output captured at deploy time.
 */
export async function resolveDeployment(clients: AwsClients, stackName: string): Promise<Deployment> {
  const outputs = await readStackOutputs(clients.cloudFormation, stackName);
  const bootstrapBrokers = await readPublicBootstrapBrokers(clients.kafka, outputs.KafkaClusterArn);
  const credentials = await readPiCredentials(clients.secretsManager, outputs.PiScramSecretArn);
  const mqttCredentials = await readPiCredentials(clients.secretsManager, outputs.PiMqttSecretArn, 'Pi MQTT secret');
  return { stackName, outputs, bootstrapBrokers, credentials, mqttCredentials };
}
