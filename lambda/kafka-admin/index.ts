import { Logger } from '@aws-lambda-powertools/logger';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { Kafka, logCreator, logLevel } from 'kafkajs';
import { z } from 'zod';
import { parseProperties, positiveInt } from '../custom-resource/properties';
import { type AwsCalls, getSecretCall } from '../shared/aws-calls';
import { ensureTopicAndAcls } from './topic-acls';

const logger = new Logger({ serviceName: 'kafka-admin' });

export const AWS_CALLS: AwsCalls = { handler: [getSecretCall({ property: 'AdminSecretArn' })] };

const Properties = z.object({
  BootstrapBrokers: z.string().min(1),
  AdminSecretArn: z.string().min(1),
  Topic: z.string().min(1),
  Partitions: positiveInt,
  ReplicationFactor: positiveInt,
  AdminUser: z.string().min(1),
  ProducerUser: z.string().min(1),
  ConsumerUser: z.string().min(1),
  ConsumerGroup: z.string().min(1),
});
/** kafkajs warnings and errors go through the same structured logger (and its level) as the handler's own lines. */
const kafkajsLogs: logCreator = () => ({ namespace, level, log }) => {
  const { message, timestamp: _timestamp, ...extra } = log;
  (level === logLevel.ERROR ? logger.error : logger.warn).call(logger, message, { kafkajs: namespace, ...extra });
};

const ScramSecret = z.object({ username: z.string().min(1), password: z.string().min(1) });

/** Custom resource (Provider framework): the result topic and its ACLs. Delete keeps the topic and its data. */
export async function handler(event: CloudFormationCustomResourceEvent, context: Context) {
  const props = parseProperties(Properties, event.ResourceProperties);
  if (event.RequestType === 'Delete') {
    logger.info('delete: keeping the topic and ACLs (the cluster goes with the stack)', { topic: props.Topic });
    return { PhysicalResourceId: event.PhysicalResourceId };
  }
  const credentials = parseProperties(ScramSecret, await getSecret(props.AdminSecretArn, { transform: 'json', maxAge: 0 }), 'admin SCRAM secret');
  const kafka = new Kafka({
    clientId: 'perftool-kafka-admin',
    brokers: props.BootstrapBrokers.split(',').map((b) => b.trim()),
    ssl: true,
    sasl: { mechanism: 'scram-sha-512', username: credentials.username, password: credentials.password },
    connectionTimeout: 10_000,
    retry: { retries: 2 },
    logLevel: logLevel.WARN,
    logCreator: kafkajsLogs,
  });
  const result = await ensureTopicAndAcls(
    kafka.admin(),
    {
      topic: props.Topic,
      partitions: props.Partitions,
      replicationFactor: props.ReplicationFactor,
      adminUser: props.AdminUser,
      producerUser: props.ProducerUser,
      consumerUser: props.ConsumerUser,
      consumerGroup: props.ConsumerGroup,
    },
    // Leave a minute for the response before the Lambda timeout.
    { deadline: Date.now() + context.getRemainingTimeInMillis() - 60_000, delayMs: 15_000 },
    (msg, extra) => logger.info(msg, extra ?? {}),
  );
  return { PhysicalResourceId: props.Topic, Data: { Topic: props.Topic, Partitions: result.partitions } };
}
