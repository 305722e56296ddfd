import type { KafkaConfig, ProducerRecord } from 'kafkajs';
import type { KafkaFactory } from '../../lib/operator/smoke/kafka-publish';

/**
 * A kafkajs test double (there is no broker here): records the client config and every call, and can fail
 * connect or send the way kafkajs does. `onSend` lets a test deliver what was sent (e.g. to the sink).
 */
export function producerDouble(behaviour: { failConnect?: Error; failSend?: Error; onSend?: (record: ProducerRecord) => Promise<void> } = {}) {
  const calls: string[] = [];
  const configs: KafkaConfig[] = [];
  const sent: ProducerRecord[] = [];
  const factory: KafkaFactory = (config) => {
    configs.push(config);
    return {
      producer: () => ({
        connect: async () => {
          calls.push('connect');
          if (behaviour.failConnect) throw behaviour.failConnect;
        },
        send: async (record: ProducerRecord) => {
          calls.push('send');
          if (behaviour.failSend) throw behaviour.failSend;
          sent.push(record);
          await behaviour.onSend?.(record);
          return [{ topicName: record.topic, partition: 0, errorCode: 0, baseOffset: String(sent.length - 1) }];
        },
        disconnect: async () => {
          calls.push('disconnect');
        },
      }),
    };
  };
  return { factory, calls, configs, sent };
}
