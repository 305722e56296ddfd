import { Duration, Size } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
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
 * Free space below which the results database alarms. Storage autoscaling grows the volume at 10 % free, so this
 * only fires when autoscaling has reached its maximum or cannot keep up.
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

    const sinkErrors = sink.function.metricErrors({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }).createAlarm(this, 'SinkErrors', {
      alarmDescription: 'The results sink failed a batch (database unreachable or a write failing). Lambda retries it; a batch that keeps failing ends in the failed-batches bucket. See the sink log group.',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // No healthy target for 5 minutes in a row; created once the service is up, so a first deploy does not alarm.
    const noHealthyTask = (alarmId: string, metric: cloudwatch.Metric, what: string, consequence: string) =>
      metric.createAlarm(this, alarmId, {
        alarmDescription: `No healthy ${what} for 5 minutes: ${consequence}. See the service's events and log group.`,
        threshold: 1,
        evaluationPeriods: 5,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
    const oneMinuteMinimum = { period: Duration.minutes(1), statistic: cloudwatch.Stats.MINIMUM };
    const graphqlDown = noHealthyTask('GraphqlUnhealthy', graphql.targetGroup.metrics.healthyHostCount(oneMinuteMinimum),
      'Hasura task behind the GraphQL load balancer', 'the viewer gets no data');
    graphqlDown.node.addDependency(graphql.service);
    const mqttDown = noHealthyTask('MqttUnhealthy', mqtt.targetGroup.metrics.healthyHostCount(oneMinuteMinimum),
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
      this.topic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
      const notify = new SnsAction(this.topic);
      for (const alarm of this.alarms) {
        alarm.addAlarmAction(notify);
        alarm.addOkAction(notify);
      }
    }
  }
}
