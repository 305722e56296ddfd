import '../support/quiet-logs';
import {
  DescribeClusterV2Command,
  GetBootstrapBrokersCommand,
  KafkaClient,
  ListClusterOperationsV2Command,
  UpdateClusterConfigurationCommand,
  UpdateConnectivityCommand,
} from '@aws-sdk/client-kafka';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { AWS_CALLS, isComplete, onEvent } from '../../lambda/msk-public-access/index';
import { Goal, nextStep } from '../../lambda/msk-public-access/steps';
import { cfnEvent } from './cfn-event';

const CLUSTER = 'arn:aws:kafka:us-east-1:123456789012:cluster/PerftoolServer-results/abc-1';
const BOOTSTRAP_CONFIG = 'arn:aws:kafka:us-east-1:123456789012:configuration/PerftoolServer-bootstrap/c-1';
const LOCKED_CONFIG = 'arn:aws:kafka:us-east-1:123456789012:configuration/PerftoolServer-locked/c-2';
const PUBLIC_BROKERS = 'b-1-public.x.kafka.us-east-1.amazonaws.com:9196,b-2-public.x.kafka.us-east-1.amazonaws.com:9196';

const kafka = mockClient(KafkaClient);

function event(requestType: 'Create' | 'Update' | 'Delete', goal: Goal = 'public-access'): CloudFormationCustomResourceEvent {
  const props = { ClusterArn: CLUSTER, LockedConfigurationArn: LOCKED_CONFIG, LockedConfigurationRevision: '1', Goal: goal };
  return cfnEvent(requestType, 'Custom::MskPublicAccess', props, `${CLUSTER}/${goal}`);
}

/**
 * A simulated MSK cluster: each accepted update first stays PENDING for `pendingPolls` describe calls while the
 * cluster still reports ACTIVE, then runs for `updatePolls` describe calls (cluster UPDATING), then applies.
 */
/** MSK's answer to an update carrying a CurrentVersion that is no longer the cluster's (hashicorp/terraform-provider-aws#25061). */
function staleVersionError() {
  const e = new Error("The version of the cluster isn't current. Check the current version and try again.");
  e.name = 'BadRequestException';
  return e;
}

/**
 * `changedBehindOurBack`: after the first read, something else (another operator, MSK maintenance) changes the
 * cluster, so the version that read returned is stale by the time the update arrives.
 */
function simulateCluster(opts: { updatePolls: number; pendingPolls?: number; failNextUpdate?: boolean; changedBehindOurBack?: boolean }) {
  const state = {
    state: 'ACTIVE',
    version: 'K1',
    configArn: BOOTSTRAP_CONFIG,
    publicAccess: 'DISABLED',
    pending: null as null | { pendingPollsLeft: number; pollsLeft: number; apply: () => void; type: string },
    operations: [] as Array<{ OperationType: string; OperationState: string; OperationArn: string; StartTime: Date }>,
    updates: [] as string[],
  };
  const startUpdate = (type: string, currentVersion: string | undefined, apply: () => void) => {
    if (state.state !== 'ACTIVE') {
      const e = new Error('operation in progress');
      e.name = 'ConflictException';
      throw e;
    }
    if (state.pending) {
      // An update sent while another is still pending carries a CurrentVersion that is about to go stale.
      const e = new Error(`update ${type} sent with CurrentVersion ${currentVersion} while ${state.pending.type} is pending`);
      e.name = 'BadRequestException';
      throw e;
    }
    if (currentVersion !== state.version) throw staleVersionError();
    state.updates.push(type);
    const pendingPolls = opts.pendingPolls ?? 0;
    state.state = pendingPolls > 0 ? 'ACTIVE' : 'UPDATING';
    state.operations.push({
      OperationType: type,
      OperationState: pendingPolls > 0 ? 'PENDING' : 'UPDATE_IN_PROGRESS',
      OperationArn: `op-${state.updates.length}`,
      StartTime: new Date(1000 * state.updates.length),
    });
    state.pending = { pendingPollsLeft: pendingPolls, pollsLeft: opts.updatePolls, apply, type };
    return {};
  };
  kafka.on(DescribeClusterV2Command).callsFake(() => {
    if (state.pending && state.pending.pendingPollsLeft > 0) {
      if (--state.pending.pendingPollsLeft === 0) {
        state.state = 'UPDATING';
        state.operations.at(-1)!.OperationState = 'UPDATE_IN_PROGRESS';
      }
    } else if (state.pending && state.pending.pollsLeft-- <= 0) {
      const op = state.operations.at(-1)!;
      if (opts.failNextUpdate) {
        op.OperationState = 'UPDATE_FAILED';
        opts.failNextUpdate = false;
      } else {
        state.pending.apply();
        op.OperationState = 'UPDATE_COMPLETE';
        state.version = `K${Number(state.version.slice(1)) + 1}`;
      }
      state.state = 'ACTIVE';
      state.pending = null;
    }
    const version = state.version;
    if (opts.changedBehindOurBack) {
      opts.changedBehindOurBack = false;
      state.version = `${state.version}-changed`;
    }
    return {
      ClusterInfo: {
        State: state.state,
        CurrentVersion: version,
        Provisioned: {
          CurrentBrokerSoftwareInfo: { ConfigurationArn: state.configArn, ConfigurationRevision: 1 },
          BrokerNodeGroupInfo: { ConnectivityInfo: { PublicAccess: { Type: state.publicAccess } } },
        },
      },
    };
  });
  kafka.on(ListClusterOperationsV2Command).callsFake(() => ({ ClusterOperationInfoList: [...state.operations].reverse() }));
  kafka.on(UpdateClusterConfigurationCommand).callsFake((input) =>
    startUpdate('UPDATE_CLUSTER_CONFIGURATION', input.CurrentVersion, () => (state.configArn = input.ConfigurationInfo.Arn)),
  );
  kafka.on(UpdateConnectivityCommand).callsFake((input) =>
    startUpdate('UPDATE_CONNECTIVITY', input.CurrentVersion, () => (state.publicAccess = input.ConnectivityInfo.PublicAccess.Type)),
  );
  kafka.on(GetBootstrapBrokersCommand).callsFake(() => ({
    BootstrapBrokerStringSaslScram: 'b-1.x:9096',
    BootstrapBrokerStringPublicSaslScram: state.publicAccess === 'SERVICE_PROVIDED_EIPS' ? PUBLIC_BROKERS : undefined,
  }));
  return state;
}

async function pollUntilComplete(maxPolls: number, goal: Goal = 'public-access') {
  for (let i = 1; i <= maxPolls; i++) {
    const r = await isComplete(event('Create', goal));
    if (r.IsComplete) return { result: r, polls: i };
  }
  throw new Error(`not complete after ${maxPolls} polls`);
}

beforeEach(() => kafka.reset());

describe('MSK public access custom resource', () => {
  test('the ACL-enforcement step switches to the locked configuration and stops there', async () => {
    const cluster = simulateCluster({ updatePolls: 3 });
    await expect(pollUntilComplete(30, 'locked-configuration')).resolves.toMatchObject({ result: { IsComplete: true, Data: {} } });
    expect(cluster.updates).toEqual(['UPDATE_CLUSTER_CONFIGURATION']);
    expect(cluster.configArn).toBe(LOCKED_CONFIG);
    expect(cluster.publicAccess).toBe('DISABLED');
  });

  test('then the public-access step turns public access on and returns the public bootstrap string', async () => {
    const cluster = simulateCluster({ updatePolls: 3 });
    await pollUntilComplete(30, 'locked-configuration');
    const { result } = await pollUntilComplete(30, 'public-access');
    expect(cluster.updates).toEqual(['UPDATE_CLUSTER_CONFIGURATION', 'UPDATE_CONNECTIVITY']);
    expect(kafka.commandCalls(UpdateClusterConfigurationCommand)[0].args[0].input).toEqual({
      ClusterArn: CLUSTER,
      CurrentVersion: 'K1',
      ConfigurationInfo: { Arn: LOCKED_CONFIG, Revision: 1 },
    });
    expect(kafka.commandCalls(UpdateConnectivityCommand)[0].args[0].input).toEqual({
      ClusterArn: CLUSTER,
      CurrentVersion: 'K2',
      ConnectivityInfo: { PublicAccess: { Type: 'SERVICE_PROVIDED_EIPS' } },
    });
    expect(result).toEqual({ IsComplete: true, Data: { PublicBootstrapBrokers: PUBLIC_BROKERS } });
  });

  test('the public-access step on a still permissive cluster locks it first: never public with allow-everyone', async () => {
    const cluster = simulateCluster({ updatePolls: 1 });
    await pollUntilComplete(30, 'public-access');
    expect(cluster.updates).toEqual(['UPDATE_CLUSTER_CONFIGURATION', 'UPDATE_CONNECTIVITY']);
  });

  test('never starts an update while the cluster is updating (polls just wait)', async () => {
    simulateCluster({ updatePolls: 5 });
    await isComplete(event('Create'));
    for (let i = 0; i < 4; i++) await expect(isComplete(event('Create'))).resolves.toEqual({ IsComplete: false });
    expect(kafka.commandCalls(UpdateClusterConfigurationCommand)).toHaveLength(1);
    expect(kafka.commandCalls(UpdateConnectivityCommand)).toHaveLength(0);
  });

  test('waits while the latest operation is still PENDING even though the cluster reports ACTIVE', async () => {
    const cluster = simulateCluster({ updatePolls: 2, pendingPolls: 3 });
    await isComplete(event('Create'));
    // The cluster says ACTIVE for the next polls; a second update now would carry a stale CurrentVersion.
    expect(cluster.state).toBe('ACTIVE');
    await expect(isComplete(event('Create'))).resolves.toEqual({ IsComplete: false });
    expect(cluster.updates).toEqual(['UPDATE_CLUSTER_CONFIGURATION']);
    const { result } = await pollUntilComplete(30);
    expect(cluster.updates).toEqual(['UPDATE_CLUSTER_CONFIGURATION', 'UPDATE_CONNECTIVITY']);
    expect(kafka.commandCalls(UpdateConnectivityCommand)[0].args[0].input.CurrentVersion).toBe('K2');
    expect(result).toEqual({ IsComplete: true, Data: { PublicBootstrapBrokers: PUBLIC_BROKERS } });
  });

  test('is idempotent: on an already public, locked cluster it changes nothing', async () => {
    const cluster = simulateCluster({ updatePolls: 0 });
    cluster.configArn = LOCKED_CONFIG;
    cluster.publicAccess = 'SERVICE_PROVIDED_EIPS';
    await expect(isComplete(event('Update'))).resolves.toEqual({ IsComplete: true, Data: { PublicBootstrapBrokers: PUBLIC_BROKERS } });
    expect(cluster.updates).toEqual([]);
  });

  test('a conflicting operation started by someone else is waited out, not reported as a failure', async () => {
    simulateCluster({ updatePolls: 0 });
    const conflict = new Error('The request conflicts with an operation in progress');
    conflict.name = 'ConflictException';
    kafka.on(UpdateClusterConfigurationCommand).rejectsOnce(conflict);
    await expect(isComplete(event('Create'))).resolves.toEqual({ IsComplete: false });
  });

  test("a stale cluster version (someone changed the cluster after we read it) is read again and the update resent, not a failed deployment", async () => {
    const cluster = simulateCluster({ updatePolls: 1, changedBehindOurBack: true });
    await expect(isComplete(event('Create'))).resolves.toEqual({ IsComplete: false });
    expect(kafka.commandCalls(UpdateClusterConfigurationCommand).map((c) => c.args[0].input.CurrentVersion)).toEqual(['K1', 'K1-changed']);
    expect(kafka.commandCalls(DescribeClusterV2Command)).toHaveLength(2);
    expect(cluster.updates).toEqual(['UPDATE_CLUSTER_CONFIGURATION']);
    await expect(pollUntilComplete(30)).resolves.toMatchObject({ result: { IsComplete: true, Data: { PublicBootstrapBrokers: PUBLIC_BROKERS } } });
  });

  test('a version that stays stale is left to the next poll; any other bad request still fails the deployment', async () => {
    simulateCluster({ updatePolls: 0 });
    kafka.on(UpdateClusterConfigurationCommand).rejects(staleVersionError());
    await expect(isComplete(event('Create'))).resolves.toEqual({ IsComplete: false });
    expect(kafka.commandCalls(UpdateClusterConfigurationCommand)).toHaveLength(3);
    const invalid = new Error('The specified configuration revision is not valid.');
    invalid.name = 'BadRequestException';
    kafka.on(UpdateClusterConfigurationCommand).rejects(invalid);
    await expect(isComplete(event('Create'))).rejects.toThrow('The specified configuration revision is not valid.');
  });

  test('a failed MSK update fails the deployment with the operation named, instead of retrying forever', async () => {
    simulateCluster({ updatePolls: 1, failNextUpdate: true });
    await expect(pollUntilComplete(10)).rejects.toThrow(/UPDATE_CLUSTER_CONFIGURATION ended UPDATE_FAILED \(op-1\)/);
    expect(kafka.commandCalls(UpdateClusterConfigurationCommand)).toHaveLength(1);
  });

  test('AWS_CALLS (what the IAM test checks) lists every command a full run sends, with the resources it names', async () => {
    simulateCluster({ updatePolls: 1 });
    await pollUntilComplete(30, 'public-access');
    const props: Record<string, string> = { ClusterArn: CLUSTER, LockedConfigurationArn: LOCKED_CONFIG };
    const listed = new Map(AWS_CALLS.isComplete.map((c) => [c.action, c]));
    const sent = kafka.calls().map((c) => c.args[0] as { constructor: { name: string }; input: Record<string, any> });
    for (const command of sent) {
      const call = listed.get(`kafka:${command.constructor.name.replace(/Command$/, '')}`);
      expect(call).toBeDefined();
      // The ARNs the request carries, by IAM resource type, are the properties AWS_CALLS names.
      const named = { cluster: command.input.ClusterArn, configuration: command.input.ConfigurationInfo?.Arn };
      for (const [type, source] of Object.entries(call!.resources)) {
        if (!('property' in source)) throw new Error(`${call!.action}: expected a custom resource property for ${type}`);
        expect(named[type as keyof typeof named]).toBe(props[source.property]);
      }
    }
    expect(new Set(sent.map((c) => c.constructor.name)).size).toBe(AWS_CALLS.isComplete.length);
    // onEvent sends nothing, as its empty list says.
    kafka.resetHistory();
    await onEvent(event('Create'));
    expect(kafka.calls()).toHaveLength(0);
    expect(AWS_CALLS.onEvent).toEqual([]);
  });

  test('delete leaves the cluster alone', async () => {
    simulateCluster({ updatePolls: 0 });
    await expect(isComplete(event('Delete'))).resolves.toEqual({ IsComplete: true });
    expect(kafka.calls()).toHaveLength(0);
  });

  test('onEvent names the resource after the cluster and rejects bad properties clearly', async () => {
    await expect(onEvent(event('Create'))).resolves.toEqual({ PhysicalResourceId: `${CLUSTER}/public-access` });
    const bad = event('Create');
    (bad.ResourceProperties as Record<string, unknown>).LockedConfigurationRevision = 'zero';
    await expect(onEvent(bad)).rejects.toThrow(/invalid custom resource properties: LockedConfigurationRevision/);
  });
});

describe('nextStep', () => {
  const target = { arn: LOCKED_CONFIG, revision: 1 };
  const base = { state: 'ACTIVE', currentVersion: 'K1', configurationArn: BOOTSTRAP_CONFIG, configurationRevision: 1, publicAccessType: 'DISABLED' };
  test.each([
    [{}, 'update-configuration'],
    [{ configurationArn: LOCKED_CONFIG }, 'enable-public-access'],
    [{ configurationArn: LOCKED_CONFIG, configurationRevision: 2 }, 'update-configuration'],
    [{ configurationArn: LOCKED_CONFIG, publicAccessType: 'SERVICE_PROVIDED_EIPS' }, 'done'],
    [{ state: 'UPDATING' }, 'wait'],
    [{ state: 'HEALING' }, 'wait'],
    [{ state: 'FAILED' }, 'fail'],
  ])('%p → %s', (override, action) => {
    expect(nextStep({ ...base, ...override }, target, 'public-access').action).toBe(action);
  });

  test.each([
    ['PENDING', 'wait'],
    ['UPDATE_IN_PROGRESS', 'wait'],
    ['ROLLBACK_IN_PROGRESS', 'wait'],
    ['SOME_FUTURE_STATE', 'wait'],
    ['UPDATE_COMPLETE', 'update-configuration'],
    ['UPDATE_FAILED', 'fail'],
  ])('an ACTIVE cluster whose latest operation is %s → %s', (state, action) => {
    expect(nextStep(base, target, 'public-access', { type: 'UPDATE_CONNECTIVITY', state, arn: 'op-9' }).action).toBe(action);
  });

  test('the ACL-enforcement goal is done once the locked configuration is in place', () => {
    expect(nextStep({ ...base, configurationArn: LOCKED_CONFIG }, target, 'locked-configuration').action).toBe('done');
    expect(nextStep(base, target, 'locked-configuration').action).toBe('update-configuration');
  });
});
