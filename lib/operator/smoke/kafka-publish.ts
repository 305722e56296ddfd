import { Kafka, KafkaConfig, logLevel, Producer } from 'kafkajs';
import { encodeSinetStream } from '../../../lambda/shared/sinetstream';
import { PiCredentials } from '../deployment';
import { PerftoolResult } from './perftool-result';

/** The part of kafkajs the smoke test uses, so tests can pass a producer test double. */
export type KafkaFactory = (config: KafkaConfig) => { producer(): Pick<Producer, 'connect' | 'send' | 'disconnect'> };

export const createKafka: KafkaFactory = (config) => new Kafka(config);

export interface PublishOptions {
  bootstrapBrokers: string;
  credentials: PiCredentials;
  topic: string;
  result: PerftoolResult;
  /** Publish time written into the SINETStream envelope (µs since the epoch). */
  tstampMicros: bigint;
  kafka?: KafkaFactory;
}

/** The kafkajs client settings of a Pi: SASL/SCRAM-SHA-512 over TLS to the public bootstrap brokers. */
export function piKafkaConfig(bootstrapBrokers: string, credentials: PiCredentials): KafkaConfig {
  return {
    clientId: 'perftool-smoke',
    brokers: bootstrapBrokers.split(',').map((b) => b.trim()).filter(Boolean),
    ssl: true,
    sasl: { mechanism: 'scram-sha-512', username: credentials.username, password: credentials.password },
    connectionTimeout: 10000,
    requestTimeout: 30000,
    retry: { retries: 3 },
    // kafkajs would print multi-line JSON logs; the smoke test reports failures itself.
    logLevel: logLevel.NOTHING,
  };
}

/**
 * Publishes one perftool result exactly as the Pi runner does: the JSON text in a SINETStream v3 envelope
 * (the sink's own codec), acknowledged by all in-sync replicas. Returns the bytes sent.
 */
export async function publishResult(opts: PublishOptions): Promise<Buffer> {
  const value = encodeSinetStream(JSON.stringify(opts.result), opts.tstampMicros);
  const producer = (opts.kafka ?? createKafka)(piKafkaConfig(opts.bootstrapBrokers, opts.credentials)).producer();
  try {
    // Inside the try: a failed connect can leave sockets and retry timers behind that only disconnect clears.
    await producer.connect();
    await producer.send({ topic: opts.topic, acks: -1, messages: [{ value }] });
  } finally {
    await producer.disconnect();
  }
  return value;
}
