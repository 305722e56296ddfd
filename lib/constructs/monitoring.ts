import { Duration, Size, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { activeHoursOf, watchedExpressions } from '../active-hours';
import { PerftoolConfig } from '../config';
import { Database } from './database';
import { Graphql } from './graphql';
import { MqttTarget } from './mqtt-target';
import { Sink } from './sink';

export interface MonitoringProps {
  config: PerftoolConfig;
  sink: Sink;
  graphql: Graphql;
  mqtt: MqttTarget;
  database: Database;
}

/**
 * Free space below which the results database alarms. Storage autoscaling grows the volume at 10 % free (at most
 * every 6 hours, up to its maximum), so this only fires when autoscaling has reached its maximum or cannot keep up.
 * At the results' rate (tens of MB a day) 1 GiB still lasts weeks.
 */
export const DATABASE_FREE_STORAGE_ALARM = Size.gibibytes(1);

/**
 * CloudWatch alarms on what fails without anyone watching: the sink failing batches, no healthy Hasura or NATS
 * task, the database filling up. With `alarmEmail` they notify that address through an SNS topic.
 */
export class Monitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[];
  /** The topic the alarms notify; only when alarmEmail is configured. */
  readonly topic?: sns.Topic;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { config, sink, graphql, mqtt, database } = props;
    const fiveMinutes = Duration.minutes(5);

    // Two of three 5-minute periods: a lone failure that its retry repairs (a concurrent delivery of the same
    // records) does not page anyone; a database that stays unreachable does, within 10 minutes.
    const sinkErrors = sink.function.metricErrors({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }).createAlarm(this, 'SinkErrors', {
      alarmDescription: `The results sink keeps failing batches (database unreachable or a write failing). Lambda retries them; ${
        config.sinkPollerMode === 'provisioned'
          ? 'a batch that keeps failing ends in the failed-batches bucket'
          : 'the partition waits until the batch succeeds (records are kept for the topic retention, 7 days)'
      }. See the sink log group.`,
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // No healthy target during 5 whole minutes in a row (Maximum 0 each minute): a task replacement, which leaves
    // NATS without a target for a while (it runs one task, minHealthyPercent 0), rarely lasts that long. Created
    // once the service is up, so a first deploy does not start with a missing-data alarm. The load balancer level
    // counts targets in every AZ because cross-zone load balancing is on (NLB: explicitly; ALB: always).
    // With active hours the services are scaled to zero outside them on purpose: the alarm then watches a metric-math
    // series that is the healthy count while a task is expected and 1 otherwise (see lib/active-hours.ts).
    const activeHours = activeHoursOf(config);
    const clock = database.instance.metricCPUUtilization({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM });
    // Built once for both alarms: deriving the time-zone offsets from Intl scans 15 years.
    const watched = activeHours && watchedExpressions(activeHours, 'clock');
    const noHealthyTask = (alarmId: string, metric: cloudwatch.Metric, what: string, consequence: string) =>
      (watched ? expectedHealthy(metric, clock, watched) : metric).createAlarm(this, alarmId, {
        alarmDescription: `No healthy ${what} for 5 minutes${activeHours ? ` within the active hours ${config.activeHours} (${config.activeTimeZone})` : ''}: ${consequence}. See the service's events and log group.`,
        threshold: 1,
        evaluationPeriods: 5,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
    const oneMinuteMaximum = { period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM };
    const graphqlDown = noHealthyTask('GraphqlUnhealthy', graphql.targetGroup.metrics.healthyHostCount(oneMinuteMaximum),
      'Hasura task behind the GraphQL load balancer', 'the viewer gets no data');
    graphqlDown.node.addDependency(graphql.service);
    const mqttDown = noHealthyTask('MqttUnhealthy', mqtt.targetGroup.metrics.healthyHostCount(oneMinuteMaximum),
      'NATS task behind the MQTT load balancer', 'the Pis cannot measure');
    mqttDown.node.addDependency(mqtt.service);
    const storageLow = database.instance.metricFreeStorageSpace({ period: fiveMinutes, statistic: cloudwatch.Stats.MINIMUM })
      .createAlarm(this, 'DatabaseStorageLow', {
        alarmDescription: `Less than ${DATABASE_FREE_STORAGE_ALARM.toGibibytes()} GiB free on the results database: storage autoscaling has reached its maximum or cannot keep up. Raise the instance's maximum storage.`,
        threshold: DATABASE_FREE_STORAGE_ALARM.toBytes(),
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      });
    this.alarms = [sinkErrors, graphqlDown, mqttDown, storageLow];

    if (config.alarmEmail) {
      this.topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'perftool result server alarms', enforceSSL: true });
      // The TLS-only policy replaces the topic's default one, so CloudWatch needs its own grant (this account's alarms).
      const { account, region, partition } = Stack.of(this);
      this.topic.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
        },
      }));
      this.topic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
      const notify = new SnsAction(this.topic);
      for (const alarm of this.alarms) {
        alarm.addAlarmAction(notify);
        alarm.addOkAction(notify);
      }
    }
  }
}

/**
 * The healthy-target count while a task is expected (missing data counts as none), and 1 while the service is
 * scaled down on purpose, so the alarm cannot fire outside the active hours. The clock is the database's CPU metric,
 * which RDS publishes every minute whatever the services do: the target group may report nothing for hours while
 * no task is registered, and the time of day must not depend on it. `watched` is watchedExpressions over `clock`.
 */
function expectedHealthy(healthy: cloudwatch.Metric, clock: cloudwatch.Metric, watched: Record<string, string>): cloudwatch.MathExpression {
  const period = healthy.period;
  const usingMetrics: Record<string, cloudwatch.IMetric> = { healthy, clock };
  for (const [id, expression] of Object.entries(watched)) {
    usingMetrics[id] = new cloudwatch.MathExpression({ expression, usingMetrics: { ...usingMetrics }, period });
  }
  return new cloudwatch.MathExpression({ expression: 'IF(watched, FILL(healthy, 0), 1)', usingMetrics, period, label: 'healthy tasks while expected' });
}
