import { App, CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTEXT_PREFIX, configFromContext } from '../../lib/config';
import { PerftoolStack } from '../../lib/perftool-stack';

/** The cdk.json context: tests synthesise with the same documented defaults as `cdk synth`. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context;

export const CUSTOM_DOMAIN = {
  webHostname: 'perftool.example.org',
  webCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
  mqttTlsCertificateArn: 'arn:aws:acm:ap-northeast-1:123456789012:certificate/66666666-7777-8888-9999-000000000000',
  allowedCidrs: ['203.0.113.0/24', '2001:db8::/32'],
  webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/perftool-rate-limit/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  alarmEmail: 'ops@example.org',
};

export interface Synthesised {
  app: App;
  stack: PerftoolStack;
  template: Template;
}

/**
 * Builds the app as bin/perftool-server.ts does. `overrides` are config keys without the prefix. Bundling (esbuild,
 * vite) is skipped unless asked for: it is slow on 2 cores and only one test needs the real artefacts. The validation
 * report (cdk-nag, CloudFormation Validate) is in `${app.outdir}/validation-report.json` after synthesis.
 */
export function synthesise(overrides: Record<string, unknown> = {}, opts: { bundle?: boolean; nag?: boolean; cfnValidate?: boolean } = {}): Synthesised {
  const context: Record<string, unknown> = { ...CDK_JSON_CONTEXT };
  for (const [k, v] of Object.entries(overrides)) context[`${CONTEXT_PREFIX}${k}`] = v;
  if (!opts.bundle) context['aws:cdk:bundling-stacks'] = [];
  // CDK's built-in CloudFormation validation costs ~10 s per synth here: one test turns it on.
  const app = new App({ context, builtinCloudFormationValidation: opts.cfnValidate ?? false });
  const config = configFromContext((k) => app.node.tryGetContext(k), Object.keys(app.node.getAllContext()));
  const stack = new PerftoolStack(app, 'PerftoolServer', { config });
  if (opts.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, template: Template.fromStack(stack) };
}

/** CloudFormation logical ID of a construct's default resource. */
export function logicalIdOf(stack: Stack, construct: IConstruct): string {
  const element = construct instanceof CfnElement ? construct : construct.node.defaultChild;
  if (!(element instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return stack.getLogicalId(element);
}
