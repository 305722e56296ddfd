#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError, configFromContext } from '../lib/config';
import { PerftoolStack } from '../lib/perftool-stack';

// CDK's built-in CloudFormation validation adds ~10 s to every synth on a small machine; the test suite runs it
// (test/infra/stack.test.ts), and cdk-nag below runs on every synth.
const app = new App({ builtinCloudFormationValidation: false });
let config;
try {
  config = configFromContext((key) => app.node.tryGetContext(key), Object.keys(app.node.getAllContext()));
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
// Environment-agnostic: account and region come from the CLI profile at deploy time.
new PerftoolStack(app, 'PerftoolServer', {
  config,
  description: 'SINETStream perftool result server: MSK, Lambda sink, RDS PostgreSQL, Hasura, NATS MQTT, CloudFront viewer',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
