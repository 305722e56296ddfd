import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as cr from 'aws-cdk-lib/custom-resources';
import { IConstruct } from 'constructs';
import type { PerftoolStack } from './perftool-stack';

const MANAGED_POLICY_REASONS: Record<string, string> = {
  AWSLambdaBasicExecutionRole: 'Only lets the function write its own CloudWatch Logs; the AWS-maintained minimum for Lambda',
  AWSLambdaVPCAccessExecutionRole: 'Only the ENI actions a Lambda needs to run in the VPC; the AWS-maintained minimum',
  AWSLambdaMSKExecutionRole: 'The documented minimum for an MSK event source mapping (describe cluster, ENIs in the cluster subnets)',
};

function ack(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

function logicalId(stack: Stack, c: IConstruct): string {
  return stack.getLogicalId(c as CfnElement);
}

/**
 * cdk-nag AwsSolutions findings this design accepts, each with the reason it is acceptable here. Generated
 * resources (providers, BucketDeployment) are matched by what they are, so the list stays exact when IDs change.
 */
export function acknowledgeNagFindings(stack: PerftoolStack): void {
  const { kafka, mqtt, database, graphql, web, sink, monitoring } = stack;

  // Managed policies CDK attaches to Lambda roles: the same reason holds wherever they appear.
  for (const [name, reason] of Object.entries(MANAGED_POLICY_REASONS)) {
    ack(stack, `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${name}]`, reason);
  }
  for (const c of stack.node.findAll()) {
    if (c instanceof lambda.Function) {
      ack(c, 'AwsSolutions-L1', 'Node.js 22 is the runtime this app is built and tested for (issue 3); CDK-generated helpers pin their own');
    }
  }

  // Provider frameworks invoke their handlers (any version); the waiter state machine invokes the framework functions.
  for (const provider of stack.node.findAll().filter((c): c is cr.Provider => c instanceof cr.Provider)) {
    for (const handler of [provider.onEventHandler, provider.isCompleteHandler]) {
      if (!handler) continue;
      ack(provider, `AwsSolutions-IAM5[Resource::<${logicalId(stack, handler.node.defaultChild as IConstruct)}.Arn>:*]`, 'The custom-resource Provider framework invokes the handler it wraps (any version)');
    }
    const sm = provider.node.tryFindChild('waiter-state-machine');
    if (!sm) continue;
    ack(sm, 'AwsSolutions-SF1', 'CDK Provider waiter state machine: it only polls isComplete, whose Lambda logs record every step');
    ack(sm, 'AwsSolutions-SF2', 'CDK Provider waiter state machine: X-Ray tracing adds nothing to a one-step poll loop');
    for (const fnId of ['framework-isComplete', 'framework-onTimeout']) {
      const fn = provider.node.tryFindChild(fnId);
      if (fn) ack(provider, `AwsSolutions-IAM5[Resource::<${logicalId(stack, fn.node.defaultChild as IConstruct)}.Arn>:*]`, 'The Provider waiter state machine invokes the framework functions (any version)');
    }
  }

  const publicAccessPoller = kafka.node.tryFindChild('PublicAccessIsComplete');
  if (publicAccessPoller) {
    ack(publicAccessPoller, 'AwsSolutions-IAM5[Resource::*]', 'kafka:GetBootstrapBrokers and ec2:DescribeSubnets/DescribeRouteTables (checked by UpdateConnectivity) support no resource-level permissions');
  }
  ack(kafka.node.findChild('PrivateBootstrapBrokers'), 'AwsSolutions-IAM5[Resource::*]', 'kafka:GetBootstrapBrokers supports no resource-level permissions');
  ack(web.node.findChild('CloudFrontPrefixList'), 'AwsSolutions-IAM5[Resource::*]', 'ec2:DescribeManagedPrefixLists supports no resource-level permissions');

  // Secrets.
  for (const secret of [...Object.values(kafka.userSecrets)]) {
    ack(secret, 'AwsSolutions-SMG4', 'SASL/SCRAM password shared with Raspberry Pis configured by hand; rotation would break them silently. Rotate by re-running pi-config.');
  }
  ack(database.instance.node.findChild('Secret'), 'AwsSolutions-SMG4', 'Hasura reads the password only at task start; rotation would need a service restart. Operators rotate with a redeploy.');
  for (const id of ['HasuraRoleSecret', 'SinkRoleSecret']) {
    ack(database.node.findChild(id), 'AwsSolutions-SMG4', 'Database role password set by the schema custom resource (db-init) on each deploy; a rotation Lambda would change it behind db-init. Rotate by redeploying after a new value.');
  }
  ack(mqtt.piSecret, 'AwsSolutions-SMG4', 'MQTT password shared with Raspberry Pis configured by hand and read by NATS at task start; rotation would break them silently. Rotate by hand, then redeploy and re-run pi-config.');
  ack(graphql.adminSecret, 'AwsSolutions-SMG4', 'Hasura reads the admin secret at task start; rotation needs a service restart, done by operators.');

  // Network exposure by design.
  ack(kafka.securityGroup, 'AwsSolutions-EC23', 'Public SASL/SCRAM (TLS + password) on 9196 for the configured allowedCidrs; Pis on dynamic addresses need 0.0.0.0/0 by default (documented risk)');
  ack(mqtt.node.findChild('LoadBalancerSecurityGroup'), 'AwsSolutions-EC23', 'The MQTT broker under test must be reachable from the configured allowedCidrs (0.0.0.0/0 by default, documented risk)');

  // Logging and availability choices sized for a small lab.
  ack(mqtt.loadBalancer, 'AwsSolutions-ELB2', 'Access logs of the MQTT test traffic have no value and cost per byte; NATS logs connections itself');
  ack(graphql.loadBalancer, 'AwsSolutions-ELB2', 'Internal ALB reached only through CloudFront; the distribution is the place for request logs');
  ack(stack.node.findChild('Containers'), 'AwsSolutions-ECS4', 'Container Insights is billed per metric; the two single-task services log to CloudWatch Logs');
  ack(mqtt.node.findChild('Task'), 'AwsSolutions-ECS2', 'The only environment variable is the NATS configuration text, which holds no secret (the MQTT password comes from Secrets Manager)');
  ack(graphql.node.findChild('Task'), 'AwsSolutions-ECS2', 'Environment holds Hasura settings only; the admin secret and database credentials come from Secrets Manager');
  ack(database.instance, 'AwsSolutions-RDS3', 'Single-AZ db.t4g.micro keeps a lab deployment affordable; backups and deletion protection guard the data');
  ack(database.instance, 'AwsSolutions-RDS11', 'Port obscurity adds nothing: the instance is in isolated subnets and admits only the app security groups');
  if (sink.failedBatches) ack(sink.failedBatches, 'AwsSolutions-S1', 'Holds failed event batches written only by the Lambda service; object-level logs would cost more than the data');
  ack(web.bucket, 'AwsSolutions-S1', 'Private bucket read only by CloudFront through OAC; requests are visible at the distribution');
  ack(web.distribution, 'AwsSolutions-CFR1', 'Perftool users are worldwide research sites; no geography to restrict');
  if (web.webAclArn === undefined) {
    ack(
      web.distribution,
      'AwsSolutions-CFR2',
      'No WAF by default (a web ACL and its rules cost more than the viewer; operators attach one with webAclArn) and so no rate limit. Anonymous users read with row limits and may insert and update viewer_config rows (the saved dashboards), but not delete any or change the default one; the worst abuse is junk or oversized saved dashboards, which an operator removes with the Hasura admin secret. Accepted for a lab viewer',
    );
  }
  if (monitoring.topic) {
    ack(monitoring.topic, 'AwsSolutions-SNS2', 'Alarm notifications carry alarm names and states, no results or secrets; CloudWatch cannot publish to a topic under the AWS-managed SNS key, and a customer key would need a key policy granting CloudWatch for no gain in secrecy');
  }
  ack(web.distribution, 'AwsSolutions-CFR3', 'Standard logging needs an ACL-enabled bucket; not worth it for a lab viewer');
  ack(web.distribution, 'AwsSolutions-CFR4', 'Without a custom domain CloudFront uses its default certificate, whose TLS policy cannot be raised; with one, TLSv1.2_2021 is set');

  // Grants CDK generates.
  if (sink.failedBatches) {
    for (const wildcard of ['Action::s3:Abort*', 'Action::s3:DeleteObject*', 'Action::s3:GetBucket*', 'Action::s3:GetObject*', 'Action::s3:List*']) {
      ack(sink.function, `AwsSolutions-IAM5[${wildcard}]`, 'S3 on-failure destination grant generated by CDK, scoped to the failed-batches bucket');
    }
    ack(sink.function, `AwsSolutions-IAM5[Resource::<${logicalId(stack, sink.failedBatches.node.defaultChild as IConstruct)}.Arn>/*]`, 'Objects of the failed-batches bucket only');
  }
  const deployment = stack.node.findAll().find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
  if (deployment) {
    for (const wildcard of ['Action::s3:Abort*', 'Action::s3:DeleteObject*', 'Action::s3:GetBucket*', 'Action::s3:GetObject*', 'Action::s3:List*', 'Resource::*']) {
      ack(deployment, `AwsSolutions-IAM5[${wildcard}]`, 'BucketDeployment copies the viewer from the CDK asset bucket into the viewer bucket and invalidates CloudFront');
    }
    ack(deployment, `AwsSolutions-IAM5[Resource::<${logicalId(stack, web.bucket.node.defaultChild as IConstruct)}.Arn>/*]`, 'Objects of the viewer bucket only');
    ack(deployment, 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]', 'The CDK bootstrap asset bucket holding the built viewer');
  }
}
