/**
 * Turning on MSK public access is a sequence of cluster updates, and MSK accepts one change per update:
 * 1. switch to the configuration revision with allow.everyone.if.no.acl.found=false (required for SCRAM + public),
 * 2. UpdateConnectivity to SERVICE_PROVIDED_EIPS.
 * Each step is its own custom resource (`goal`), because CloudFormation waits at most one hour for one, and each
 * MSK update can take a good part of that. Each poll looks at the cluster as it is now and decides the one next
 * action, so a re-run is idempotent.
 */
export type Goal = 'locked-configuration' | 'public-access';
export interface ClusterView {
  state: string;
  currentVersion: string;
  configurationArn?: string;
  configurationRevision?: number;
  publicAccessType: string;
}

export interface OperationView {
  type?: string;
  state?: string;
  arn?: string;
}

export interface TargetConfiguration {
  arn: string;
  revision: number;
}

export type Step =
  | { action: 'wait'; reason: string }
  | { action: 'update-configuration' }
  | { action: 'enable-public-access' }
  | { action: 'done' }
  | { action: 'fail'; reason: string };

export const PUBLIC_ACCESS_TYPE = 'SERVICE_PROVIDED_EIPS';

/**
 * MSK operation states are not an enum in the API; the known ones are PENDING, UPDATE_IN_PROGRESS, UPDATE_COMPLETE,
 * UPDATE_FAILED (and ROLLBACK_* variants). Only *_COMPLETE and *_FAILED are final: anything else, including a state
 * this code has never seen, means an update may still change the cluster's CurrentVersion.
 */
export function isOperationFinished(state: string | undefined): boolean {
  return state === undefined || /_(COMPLETE|FAILED)$/.test(state);
}

export function nextStep(cluster: ClusterView, target: TargetConfiguration, goal: Goal, latestOperation?: OperationView): Step {
  const configured = cluster.configurationArn === target.arn && cluster.configurationRevision === target.revision;
  const isPublic = cluster.publicAccessType === PUBLIC_ACCESS_TYPE;
  if (cluster.state === 'FAILED') return { action: 'fail', reason: 'the MSK cluster is in state FAILED' };
  if (cluster.state !== 'ACTIVE') return { action: 'wait', reason: `cluster is ${cluster.state}` };
  if (configured && (isPublic || goal === 'locked-configuration')) return { action: 'done' };
  // The cluster can report ACTIVE while its latest operation is still PENDING: an update sent now would carry a
  // CurrentVersion that operation is about to replace.
  if (latestOperation && !isOperationFinished(latestOperation.state)) {
    return { action: 'wait', reason: `MSK operation ${latestOperation.type ?? 'update'} is ${latestOperation.state}` };
  }
  // The cluster is ACTIVE but not there yet: if the last update failed, retrying blindly would loop.
  if (latestOperation?.state && /FAILED/.test(latestOperation.state)) {
    return {
      action: 'fail',
      reason: `MSK operation ${latestOperation.type ?? 'update'} ended ${latestOperation.state} (${latestOperation.arn ?? 'no ARN'}); see aws kafka describe-cluster-operation-v2`,
    };
  }
  // Never public with the permissive configuration, whatever the goal.
  if (!configured) return { action: 'update-configuration' };
  return { action: 'enable-public-access' };
}

/** The most recent operation by start time (the API does not promise an order). */
export function latestOf<T extends { StartTime?: Date }>(operations: T[]): T | undefined {
  return [...operations].sort((a, b) => (b.StartTime?.getTime() ?? 0) - (a.StartTime?.getTime() ?? 0))[0];
}
