import { Logger } from '@aws-lambda-powertools/logger';
import { KafkaClient } from '@aws-sdk/client-kafka';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { z } from 'zod';
import type { AwsCalls } from '../shared/aws-calls';
import { parseProperties, positiveInt } from '../custom-resource/properties';
import { PollResult, advancePublicAccess } from './public-access';

const logger = new Logger({ serviceName: 'msk-public-access' });
const kafka = new KafkaClient({});

const Properties = z.object({
  ClusterArn: z.string().startsWith('arn:'),
  LockedConfigurationArn: z.string().startsWith('arn:'),
  LockedConfigurationRevision: positiveInt,
  Goal: z.enum(['locked-configuration', 'public-access']),
});

const cluster = { property: 'ClusterArn' };
/** UpdateClusterConfiguration names two resources: the cluster and the configuration it switches to. */
export const AWS_CALLS: AwsCalls = {
  onEvent: [],
  isComplete: [
    { action: 'kafka:DescribeClusterV2', resources: { cluster } },
    { action: 'kafka:ListClusterOperationsV2', resources: { cluster } },
    { action: 'kafka:UpdateClusterConfiguration', resources: { cluster, configuration: { property: 'LockedConfigurationArn' } } },
    { action: 'kafka:UpdateConnectivity', resources: { cluster } },
    { action: 'kafka:GetBootstrapBrokers', resources: {} },
  ],
};

/** Provider onEvent: validates the request; the work happens in isComplete, one MSK update per poll. */
export async function onEvent(event: CloudFormationCustomResourceEvent) {
  const props = parseProperties(Properties, event.ResourceProperties);
  if (event.RequestType === 'Create') return { PhysicalResourceId: `${props.ClusterArn}/${props.Goal}` };
  return { PhysicalResourceId: event.PhysicalResourceId };
}

/** Provider isComplete: called every minute until it reports completion (or the provider times out). */
export async function isComplete(event: CloudFormationCustomResourceEvent): Promise<PollResult> {
  // Deleting leaves the cluster as it is; it is deleted with the stack anyway.
  if (event.RequestType === 'Delete') return { IsComplete: true };
  const props = parseProperties(Properties, event.ResourceProperties);
  return advancePublicAccess(
    kafka,
    props.ClusterArn,
    { arn: props.LockedConfigurationArn, revision: props.LockedConfigurationRevision },
    props.Goal,
    (msg, extra) => logger.info(msg, extra ?? {}),
  );
}
