import {
  DescribeClusterV2Command,
  GetBootstrapBrokersCommand,
  KafkaClient,
  ListClusterOperationsV2Command,
  UpdateClusterConfigurationCommand,
  UpdateConnectivityCommand,
} from '@aws-sdk/client-kafka';
import { ClusterView, Goal, PUBLIC_ACCESS_TYPE, TargetConfiguration, latestOf, nextStep } from './steps';

export interface PollResult {
  IsComplete: boolean;
  Data?: { PublicBootstrapBrokers?: string };
}

async function describe(kafka: KafkaClient, clusterArn: string): Promise<ClusterView> {
  const { ClusterInfo } = await kafka.send(new DescribeClusterV2Command({ ClusterArn: clusterArn }));
  if (!ClusterInfo?.Provisioned) throw new Error(`${clusterArn} is not a provisioned MSK cluster`);
  const software = ClusterInfo.Provisioned.CurrentBrokerSoftwareInfo;
  return {
    state: ClusterInfo.State ?? 'UNKNOWN',
    currentVersion: ClusterInfo.CurrentVersion ?? '',
    configurationArn: software?.ConfigurationArn,
    configurationRevision: software?.ConfigurationRevision,
    publicAccessType: ClusterInfo.Provisioned.BrokerNodeGroupInfo?.ConnectivityInfo?.PublicAccess?.Type ?? 'DISABLED',
  };
}

function isConflict(err: unknown): boolean {
  // MSK answers an update made while another one runs with a conflict: the next poll retries.
  return err instanceof Error && (err.name === 'ConflictException' || err.name === 'TooManyRequestsException');
}

/**
 * MSK refuses an update whose CurrentVersion is no longer the cluster's ("BadRequestException: The version of the
 * cluster isn't current. Check the current version and try again."): something changed the cluster between our read
 * and our update. Reading it again and deciding anew is the fix.
 */
export function isStaleVersion(err: unknown): boolean {
  return err instanceof Error && err.name === 'BadRequestException' && /version of the cluster isn.t current|current version/i.test(err.message);
}

/** Polls that meet a stale version re-read the cluster this many times before leaving it to the next poll. */
export const STALE_VERSION_ATTEMPTS = 3;

/**
 * One poll: look at the cluster, start at most one update, report completion (with the public bootstrap string
 * when the goal is public access).
 */
export async function advancePublicAccess(
  kafka: KafkaClient,
  clusterArn: string,
  target: TargetConfiguration,
  goal: Goal,
  log: (msg: string, extra?: Record<string, unknown>) => void = () => undefined,
): Promise<PollResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await pollOnce(kafka, clusterArn, target, goal, log);
    } catch (err) {
      if (!isStaleVersion(err)) throw err;
      log('MSK says the cluster version we sent is stale; reading the cluster again', { attempt, error: String(err) });
      if (attempt >= STALE_VERSION_ATTEMPTS) return { IsComplete: false };
    }
  }
}

async function pollOnce(
  kafka: KafkaClient,
  clusterArn: string,
  target: TargetConfiguration,
  goal: Goal,
  log: (msg: string, extra?: Record<string, unknown>) => void,
): Promise<PollResult> {
  const cluster = await describe(kafka, clusterArn);
  const operations = await kafka.send(new ListClusterOperationsV2Command({ ClusterArn: clusterArn, MaxResults: 10 }));
  const latest = latestOf(operations.ClusterOperationInfoList ?? []);
  const step = nextStep(cluster, target, goal, latest && { type: latest.OperationType, state: latest.OperationState, arn: latest.OperationArn });
  log('public access step', { goal, step, cluster });
  try {
    switch (step.action) {
      case 'fail':
        throw new Error(step.reason);
      case 'wait':
        return { IsComplete: false };
      case 'update-configuration':
        await kafka.send(
          new UpdateClusterConfigurationCommand({
            ClusterArn: clusterArn,
            CurrentVersion: cluster.currentVersion,
            ConfigurationInfo: { Arn: target.arn, Revision: target.revision },
          }),
        );
        return { IsComplete: false };
      case 'enable-public-access':
        await kafka.send(
          new UpdateConnectivityCommand({
            ClusterArn: clusterArn,
            CurrentVersion: cluster.currentVersion,
            ConnectivityInfo: { PublicAccess: { Type: PUBLIC_ACCESS_TYPE } },
          }),
        );
        return { IsComplete: false };
      case 'done': {
        if (goal === 'locked-configuration') return { IsComplete: true, Data: {} };
        const brokers = await kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
        const publicScram = brokers.BootstrapBrokerStringPublicSaslScram ?? '';
        // The public string can lag the cluster state by a moment.
        if (!publicScram) return { IsComplete: false };
        return { IsComplete: true, Data: { PublicBootstrapBrokers: publicScram } };
      }
    }
  } catch (err) {
    if (isConflict(err)) {
      log('another cluster operation is running; will retry', { error: String(err) });
      return { IsComplete: false };
    }
    throw err;
  }
}
