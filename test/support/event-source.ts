import type { MSKEvent, MSKRecord } from 'aws-lambda';
import { Batch, Consumer, Kafka, KafkaConfig, KafkaMessage } from 'kafkajs';

/**
 * An emulation of Lambda's MSK event source mapping, for tests against a real broker: a Kafka consumer with the
 * mapping's credentials and consumer group reads a batch, turns it into the event Lambda would deliver, invokes the
 * handler and commits the batch's offsets only after the handler returned. A handler error leaves the offsets
 * uncommitted and the same batch is delivered again (Lambda retries a failed batch).
 */
export interface EventSourceOptions {
  kafka: KafkaConfig;
  topic: string;
  groupId: string;
  handler: (event: MSKEvent) => Promise<void>;
  eventSourceArn?: string;
  /**
   * Called after the handler succeeded and before the commit; returning true emulates a crash there: nothing is
   * committed and the consumer stops delivering (call stop(); a new event source on the group gets the batch again).
   */
  crashBeforeCommit?: (event: MSKEvent) => boolean;
  /** Pause after a handler error before the batch is delivered again. */
  retryDelayMs?: number;
}

export interface RunningEventSource {
  /** Every event handed to the handler, in order (retries and redeliveries included). */
  readonly events: MSKEvent[];
  /** Handler errors, in order. */
  readonly errors: unknown[];
  /** Resolves once offsets up to `offset` (inclusive) of the partition are committed. */
  committed(partition: number, offset: number, timeoutMs?: number): Promise<void>;
  /** Resolves when crashBeforeCommit has fired. */
  crashed(timeoutMs?: number): Promise<MSKEvent>;
  stop(): Promise<void>;
}

/** The event key Lambda uses for a partition's records. */
const eventKey = (topic: string, partition: number) => `${topic}-${partition}`;

/** One Kafka record as Lambda delivers it: base64 key (when present) and value, header values as byte arrays. */
function mskRecord(topic: string, partition: number, message: KafkaMessage): MSKRecord {
  const record: Partial<MSKRecord> = {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    // The result topic keeps Kafka's default message.timestamp.type (CreateTime): the writer's timestamp.
    timestampType: 'CREATE_TIME',
  };
  if (message.key) record.key = message.key.toString('base64');
  if (message.value) record.value = message.value.toString('base64');
  record.headers = Object.entries(message.headers ?? {}).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).map((v) => ({ [name]: v === undefined ? [] : [...(Buffer.isBuffer(v) ? v : Buffer.from(v))] })),
  );
  return record as MSKRecord;
}

function mskEventOf(batch: Pick<Batch, 'topic' | 'partition' | 'messages'>, bootstrapServers: string, eventSourceArn: string): MSKEvent {
  return {
    eventSource: 'aws:kafka',
    eventSourceArn,
    bootstrapServers,
    records: { [eventKey(batch.topic, batch.partition)]: batch.messages.map((m) => mskRecord(batch.topic, batch.partition, m)) },
  };
}

const waitFor = async (what: string, done: () => boolean, timeoutMs: number, detail: () => string) => {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`event source: ${what} not reached within ${timeoutMs} ms (${detail()})`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

export async function startEventSource(opts: EventSourceOptions): Promise<RunningEventSource> {
  const bootstrapServers = opts.kafka.brokers.toString();
  const eventSourceArn = opts.eventSourceArn ?? 'arn:aws:kafka:us-east-1:123456789012:cluster/perftool-test/00000000-0000-0000-0000-000000000000-1';
  const consumer: Consumer = new Kafka(opts.kafka).consumer({ groupId: opts.groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 250 });
  const events: MSKEvent[] = [];
  const errors: unknown[] = [];
  const committedUpTo = new Map<number, number>();
  let crashEvent: MSKEvent | undefined;

  await consumer.connect();
  await consumer.subscribe({ topic: opts.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, pause }) => {
      if (crashEvent || batch.messages.length === 0) return;
      const event = mskEventOf(batch, bootstrapServers, eventSourceArn);
      events.push(event);
      try {
        await opts.handler(event);
      } catch (err) {
        errors.push(err);
        await new Promise((r) => setTimeout(r, opts.retryDelayMs ?? 200));
        // Nothing resolved: the next fetch delivers the same batch again.
        consumer.seek({ topic: batch.topic, partition: batch.partition, offset: batch.firstOffset() ?? batch.messages[0].offset });
        return;
      }
      if (opts.crashBeforeCommit?.(event)) {
        crashEvent = event;
        pause();
        return;
      }
      const last = batch.lastOffset();
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(Number(last) + 1) }]);
      resolveOffset(last);
      committedUpTo.set(batch.partition, Number(last));
      await heartbeat();
    },
  });

  return {
    events,
    errors,
    committed: (partition, offset, timeoutMs = 60_000) =>
      waitFor(`commit of partition ${partition} offset ${offset}`, () => (committedUpTo.get(partition) ?? -1) >= offset, timeoutMs, () =>
        `committed ${JSON.stringify([...committedUpTo])}, ${events.length} events, ${errors.length} handler errors${errors.length ? `: ${String(errors[errors.length - 1])}` : ''}`,
      ),
    crashed: async (timeoutMs = 60_000) => {
      await waitFor('the emulated crash', () => crashEvent !== undefined, timeoutMs, () => `${events.length} events`);
      return crashEvent!;
    },
    stop: () => consumer.disconnect(),
  };
}
