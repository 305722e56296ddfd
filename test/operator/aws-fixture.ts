import { CloudFormationClient, DescribeStacksCommand, StackStatus } from '@aws-sdk/client-cloudformation';
import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsClients, StackOutputs } from '../../lib/operator/deployment';

/** A deployed stack as the AWS APIs would describe it, served by aws-sdk-client-mock. */
export const OUTPUTS: StackOutputs = {
  ViewerUrl: 'https://d111111abcdef8.cloudfront.net/',
  GraphqlUrl: 'https://d111111abcdef8.cloudfront.net/v1/graphql',
  MqttEndpoint: 'perft-nlb-0123456789.elb.ap-northeast-1.amazonaws.com:1883',
  KafkaClusterArn: 'arn:aws:kafka:ap-northeast-1:123456789012:cluster/perftool/abcd-1',
  KafkaPublicBootstrapBrokers: '',
  ResultTopic: 'perftool-sinetstream-result',
  TargetTopic: 'perftool-sinetstream-target',
  PiScramSecretArn: 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:AmazonMSK_perftool_pi-AbCdEf',
  PiMqttSecretArn: 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:MqttPiSecret-GhIjKl',
};

export const PUBLIC_BROKERS =
  'b-1-public.perftool.abcd.c2.kafka.ap-northeast-1.amazonaws.com:9196,b-2-public.perftool.abcd.c2.kafka.ap-northeast-1.amazonaws.com:9196';

export const PI_USER = { username: 'pi', password: 'Xq7-long_random.Secret' };
export const PI_MQTT_USER = { username: 'pi', password: 'Mq7randomLettersAndDigits0123456789abcdEF' };

export function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

const mockCloudFormation = () => mockClient(CloudFormationClient);
const mockKafka = () => mockClient(KafkaClient);
const mockSecretsManager = () => mockClient(SecretsManagerClient);

export interface MockedAws {
  cloudFormation: ReturnType<typeof mockCloudFormation>;
  kafka: ReturnType<typeof mockKafka>;
  secretsManager: ReturnType<typeof mockSecretsManager>;
  clients: () => AwsClients;
  restore(): void;
}

/** Mocks the three AWS APIs with a healthy deployment; tests override single answers to provoke errors. */
export function mockDeployedStack(
  overrides: { status?: string; outputs?: Partial<StackOutputs>; password?: string; mqttPassword?: string } = {},
): MockedAws {
  const cloudFormation = mockCloudFormation();
  const kafka = mockKafka();
  const secretsManager = mockSecretsManager();
  const outputs = { ...OUTPUTS, ...overrides.outputs };
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'PerftoolServer',
        CreationTime: new Date('2026-11-01T00:00:00Z'),
        StackStatus: (overrides.status ?? 'CREATE_COMPLETE') as StackStatus,
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
  kafka.on(GetBootstrapBrokersCommand).resolves({ BootstrapBrokerStringPublicSaslScram: PUBLIC_BROKERS, BootstrapBrokerStringSaslScram: 'b-1.internal:9096' });
  // The SCRAM secret answers every SecretId (tests override it that way); the MQTT secret answers its own ARN.
  secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ ...PI_USER, password: overrides.password ?? PI_USER.password }) });
  secretsManager
    .on(GetSecretValueCommand, { SecretId: outputs.PiMqttSecretArn })
    .resolves({ SecretString: JSON.stringify({ ...PI_MQTT_USER, password: overrides.mqttPassword ?? PI_MQTT_USER.password }) });
  return {
    cloudFormation,
    kafka,
    secretsManager,
    clients: () => ({
      cloudFormation: new CloudFormationClient({ region: 'ap-northeast-1' }),
      kafka: new KafkaClient({ region: 'ap-northeast-1' }),
      secretsManager: new SecretsManagerClient({ region: 'ap-northeast-1' }),
    }),
    restore() {
      cloudFormation.restore();
      kafka.restore();
      secretsManager.restore();
    },
  };
}

/** Collects what a CLI prints. */
export function captureIo(): { stdout: string; stderr: string; stdoutLines(): string[]; stderrLines(): string[]; io: { stdout(t: string): void; stderr(t: string): void } } {
  const out = {
    stdout: '',
    stderr: '',
    stdoutLines: () => out.stdout.split('\n').filter(Boolean),
    stderrLines: () => out.stderr.split('\n').filter(Boolean),
    io: {
      stdout: (t: string) => void (out.stdout += t),
      stderr: (t: string) => void (out.stderr += t),
    },
  };
  return out;
}
