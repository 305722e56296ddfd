import { Client } from 'pg';
import { applyMigrations } from '../../lambda/db-init/migrate';
import { decodeRecord } from '../../lambda/sink/decode-record';
import { ingestBatch } from '../../lambda/sink/ingest';
import { publishResult } from '../../lib/operator/smoke/kafka-publish';
import { smokePerftoolResult, smokePublisherName } from '../../lib/operator/smoke/perftool-result';
import { createTestDatabase } from '../support/postgres';
import { producerDouble } from './producer-double';

const BROKERS = 'b-1-public.perftool.abcd.kafka.ap-northeast-1.amazonaws.com:9196,b-2-public.perftool.abcd.kafka.ap-northeast-1.amazonaws.com:9196';
const CREDENTIALS = { username: 'pi', password: 'pw-from-the-secret' };

describe('smoke step kafka-publish', () => {
  test('connects like a Pi (SCRAM-SHA-512 over TLS to every public broker) and sends one record acked by all replicas', async () => {
    const kafka = producerDouble();
    const result = smokePerftoolResult('smoke-a', Date.UTC(2026, 10, 24, 1, 2, 3));
    await publishResult({ bootstrapBrokers: BROKERS, credentials: CREDENTIALS, topic: 'perftool-sinetstream-result', result, tstampMicros: 1n, kafka: kafka.factory });
    expect(kafka.configs).toHaveLength(1);
    expect(kafka.configs[0]).toMatchObject({
      brokers: BROKERS.split(','),
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'pi', password: 'pw-from-the-secret' },
    });
    expect(kafka.calls).toEqual(['connect', 'send', 'disconnect']);
    expect(kafka.sent).toEqual([{ topic: 'perftool-sinetstream-result', acks: -1, messages: [{ value: expect.any(Buffer) }] }]);
  });

  test('the bytes it sends become the expected perftool row through the sink', async () => {
    const kafka = producerDouble();
    const publisher = smokePublisherName(new Date(Date.UTC(2026, 10, 24, 1, 2, 3)));
    expect(publisher).toMatch(/^smoke-20261124T010203Z-[0-9a-f]{6}$/);
    const endMs = Date.UTC(2026, 10, 24, 1, 2, 3, 456);
    const result = smokePerftoolResult(publisher, endMs);
    const tstampMicros = BigInt(endMs) * 1000n + 789n;
    const bytes = await publishResult({ bootstrapBrokers: BROKERS, credentials: CREDENTIALS, topic: 'perftool-sinetstream-result', result, tstampMicros, kafka: kafka.factory });
    expect(kafka.sent[0].messages[0].value).toBe(bytes);
    // SINETStream v3, key version 0 (not encrypted).
    expect(bytes.subarray(0, 6)).toEqual(Buffer.from([0xdf, 0x03, 0, 0, 0, 0]));

    // As the MSK event source mapping hands it to the sink: base64 value with Kafka coordinates.
    const record = { topic: 'perftool-sinetstream-result', partition: 0, offset: 41, timestamp: endMs + 5, value: bytes.toString('base64') };
    const decoded = decodeRecord(record);
    expect(decoded).toEqual({ kind: 'result', row: expect.objectContaining({ format: 'v3', timestamp: '2026-11-24T01:02:03.456789Z', publisher }) });
    expect(JSON.parse((decoded as { row: { msg: string } }).row.msg)).toEqual(result);

    // Through the real sink into PostgreSQL: the perftool row the viewer and the smoke test's GraphQL step read.
    const db = await createTestDatabase('smokekafka');
    const client = new Client(db.config);
    await client.connect();
    try {
      await client.query("SET TIME ZONE 'UTC'");
      await applyMigrations(client, { defaultPerftoolName: 'perftool-sinetstream-target' });
      expect(await ingestBatch(client, [record])).toMatchObject({ stored: 1, rejected: 0 });
      const { rows } = await client.query(
        `SELECT to_char("timestamp", 'YYYY-MM-DD"T"HH24:MI:SS.US') AS ts, publisher, reader_bytes_rate, writer_bytes_rate, reader_count_rate,
                writer_count_rate, reader_error_rate, writer_error_rate, reader_error_count, writer_error_count, thread_number,
                writer_msg_count, writer_msg_size_avg, window_start, window_end
           FROM perftool`,
      );
      expect(rows).toEqual([
        {
          ts: '2026-11-24T01:02:03.456789',
          publisher,
          writer_bytes_rate: (300 * 1044) / 0.648,
          reader_bytes_rate: (300 * 1044) / 0.65,
          writer_count_rate: 300 / 0.648,
          reader_count_rate: 300 / 0.65,
          writer_error_rate: 0,
          reader_error_rate: 0,
          writer_error_count: 0,
          reader_error_count: 0,
          thread_number: 0,
          writer_msg_count: 300,
          writer_msg_size_avg: 1044,
          window_start: new Date('2026-11-24T01:02:02.806Z'),
          window_end: new Date('2026-11-24T01:02:03.454Z'),
        },
      ]);
    } finally {
      await client.end();
      await db.drop();
    }
  });

  test('a failed send still disconnects and reports the kafkajs error', async () => {
    const kafka = producerDouble({ failSend: Object.assign(new Error('Topic authorization failed'), { name: 'KafkaJSProtocolError' }) });
    const result = smokePerftoolResult('smoke-b', Date.now());
    await expect(
      publishResult({ bootstrapBrokers: BROKERS, credentials: CREDENTIALS, topic: 'perftool-sinetstream-result', result, tstampMicros: 1n, kafka: kafka.factory }),
    ).rejects.toThrow('Topic authorization failed');
    expect(kafka.calls).toEqual(['connect', 'send', 'disconnect']);
  });
});
