/** The IAM matcher and the SDK-usage scanner behind iam-calls.test.ts, on small hand-made inputs. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RoleCall, Template, checkCall, deadPolicyText, wildcardMatch } from '../support/iam-check';
import { sdkUsageOf } from '../support/aws-sdk-usage';

const cluster = { 'Fn::GetAtt': ['Cluster', 'Arn'] };
const configuration = { 'Fn::GetAtt': ['Locked', 'Arn'] };
const key = { 'Fn::GetAtt': ['Key', 'Arn'] };
const root = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] };
const viaSecretsManager = { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } };

function template(statements: object[], keyPolicy: object[] = [{ Effect: 'Allow', Principal: { AWS: root }, Action: 'kms:*', Resource: '*' }]): Template {
  return {
    Resources: {
      Role: { Type: 'AWS::IAM::Role', Properties: {} },
      Policy: { Type: 'AWS::IAM::Policy', Properties: { Roles: [{ Ref: 'Role' }], PolicyDocument: { Statement: statements } } as never },
      Cluster: { Type: 'AWS::MSK::Cluster', Properties: { ClusterName: 'lab-results' } },
      Locked: { Type: 'AWS::MSK::Configuration', Properties: { Name: 'lab-locked' } },
      Key: { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: { Statement: keyPolicy } } as never },
    },
  };
}
const call = (action: string, resources: RoleCall['resources'], context?: Record<string, string>): RoleCall => ({ caller: 'test', roleLogicalId: 'Role', action, resources, context });
const updateConfiguration = call('kafka:UpdateClusterConfiguration', { cluster, configuration });

test('an action with two required resource types is denied when the policy covers only one of them', async () => {
  const clusterOnly = template([{ Effect: 'Allow', Action: 'kafka:UpdateClusterConfiguration', Resource: cluster }]);
  const problems = await checkCall(clusterOnly, updateConfiguration);
  expect(problems).toEqual([expect.stringMatching(/no statement of the role allows it on the 'configuration' resource arn:aws:kafka:us-east-1:123456789012:configuration\/lab-locked\//)]);
  const both = template([{ Effect: 'Allow', Action: 'kafka:Update*', Resource: [cluster, configuration] }]);
  expect(await checkCall(both, updateConfiguration)).toEqual([]);
});

test('the caller must name every required resource type, with an ARN of that type', async () => {
  const t = template([{ Effect: 'Allow', Action: 'kafka:*', Resource: '*' }]);
  expect(await checkCall(t, call('kafka:UpdateClusterConfiguration', { cluster }))).toEqual([expect.stringMatching(/names no 'configuration' resource/)]);
  expect(await checkCall(t, call('kafka:UpdateClusterConfiguration', { cluster, configuration: cluster }))).toEqual([expect.stringMatching(/is not a 'configuration' ARN/)]);
  expect(await checkCall(t, call('kafka:UpdateClusterConfigurations', { cluster }))).toEqual([expect.stringMatching(/not an IAM action/)]);
});

test('an action without resource-level permissions is allowed only by a statement on "*"', async () => {
  const onCluster = template([{ Effect: 'Allow', Action: 'kafka:GetBootstrapBrokers', Resource: cluster }]);
  expect(await checkCall(onCluster, call('kafka:GetBootstrapBrokers', {}))).toEqual([expect.stringMatching(/resource "\*"/)]);
  const onAll = template([{ Effect: 'Allow', Action: 'kafka:GetBootstrapBrokers', Resource: '*' }]);
  expect(await checkCall(onAll, call('kafka:GetBootstrapBrokers', {}))).toEqual([]);
});

test('an explicit Deny wins over an Allow; a wildcard ARN pattern covers the resources it matches', async () => {
  const pattern = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':kafka:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':*/lab-*']] };
  expect(await checkCall(template([{ Effect: 'Allow', Action: 'kafka:UpdateClusterConfiguration', Resource: pattern }]), updateConfiguration)).toEqual([]);
  const denied = template([
    { Effect: 'Allow', Action: 'kafka:*', Resource: '*' },
    { Effect: 'Deny', Action: 'kafka:UpdateClusterConfiguration', Resource: configuration },
  ]);
  expect(await checkCall(denied, updateConfiguration)).toEqual([expect.stringMatching(/explicit Deny/)]);
});

test('KMS: the key policy must allow the role, or enable IAM policies that do; conditions are evaluated', async () => {
  const decrypt = (context?: Record<string, string>) => call('kms:Decrypt', { key }, context);
  const via = { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' };
  // The role's policy allows it, the key policy trusts the account: allowed.
  expect(await checkCall(template([{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: key }]), decrypt(via))).toEqual([]);
  // The key policy does not enable IAM policies: the role's own Allow is not enough.
  const closedKey = template([{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: key }], []);
  expect(await checkCall(closedKey, decrypt(via))).toEqual([expect.stringMatching(/key policy/)]);
  // The key policy names the role itself, only through Secrets Manager.
  const roleArn = { 'Fn::GetAtt': ['Role', 'Arn'] };
  const roleInKey = template([], [{ Effect: 'Allow', Principal: { AWS: [roleArn] }, Action: 'kms:Decrypt', Resource: '*', Condition: viaSecretsManager }]);
  expect(await checkCall(roleInKey, decrypt(via))).toEqual([]);
  expect(await checkCall(roleInKey, decrypt({ 'kms:ViaService': 's3.us-east-1.amazonaws.com' }))).toEqual([expect.stringMatching(/key policy/)]);
  expect(await checkCall(roleInKey, decrypt())).toEqual([expect.stringMatching(/key policy/)]);
});

test('what the matcher cannot evaluate is a problem, never an Allow', async () => {
  const t = template([{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }]);
  expect(await checkCall(t, call('kafka:GetBootstrapBrokers', {}))).toEqual(
    expect.arrayContaining([expect.stringMatching(/cannot evaluate NotAction/), expect.stringMatching(/no statement of the role allows it/)]),
  );
});

test('a misspelt action or an unknown condition key is reported; real ones and patterns are not', async () => {
  const t = template([
    { Effect: 'Allow', Action: ['kafka:DescribeClusterV2', 'kafka:Describe*', 's3:GetObject*'], Resource: '*' },
    { Effect: 'Allow', Action: ['kafka:DescribeClusterV3', 'kafak:GetBootstrapBrokers'], Resource: '*', Condition: { StringEquals: { 'kafka:clusterName': 'x', 'aws:SourceVpc': 'vpc-1' } } },
  ]);
  expect(await deadPolicyText(t)).toEqual([
    'Policy: kafka:DescribeClusterV3 matches no kafka action',
    'Policy: kafak:GetBootstrapBrokers names no IAM service',
    'Policy: condition key kafka:clusterName is not an IAM condition key',
  ]);
});

test('IAM wildcards: * spans any characters, ? one; actions ignore case, resources do not', () => {
  expect(wildcardMatch('kafka:describe*', 'kafka:DescribeClusterV2', true)).toBe(true);
  expect(wildcardMatch('arn:aws:kafka:*:*:cluster/a?c/*', 'arn:aws:kafka:us-east-1:1:cluster/abc/x-1')).toBe(true);
  expect(wildcardMatch('arn:aws:kafka:*:*:cluster/ABC/*', 'arn:aws:kafka:us-east-1:1:cluster/abc/x-1')).toBe(false);
});

describe('SDK usage scan', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'perftool-sdk-scan-'));
    writeFileSync(join(dir, 'index.ts'), "import { step } from './step';\nimport type { KafkaClient } from '@aws-sdk/client-kafka';\nexport const x = step;\n");
    writeFileSync(
      join(dir, 'step.ts'),
      [
        "import { KafkaClient, UpdateConnectivityCommand, paginateListClustersV2 } from '@aws-sdk/client-kafka';",
        "import { getSecret } from '@aws-lambda-powertools/parameters/secrets';",
        "export const step = [KafkaClient, UpdateConnectivityCommand, paginateListClustersV2, getSecret];",
      ].join('\n'),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('follows relative imports, maps Commands and Powertools secrets to IAM actions, reports what it cannot map', () => {
    const usage = sdkUsageOf(dir, 'index.ts');
    expect([...usage.actions].sort()).toEqual(['kafka:UpdateConnectivity', 'secretsmanager:GetSecretValue']);
    expect(usage.files.sort()).toEqual(['index.ts', 'step.ts']);
    expect(usage.unknown).toEqual([expect.stringMatching(/step\.ts:1: paginateListClustersV2 from @aws-sdk\/client-kafka/)]);
  });
});
