import { decodeRecord } from '../../lambda/sink/decode-record';
import { publishResult } from '../../lib/operator/smoke/kafka-publish';
import { smokePerftoolResult, smokePublisherName } from '../../lib/operator/smoke/perftool-result';
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

  test('the bytes it sends become the expected perftool row in the sink decoder', async () => {
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
    const decoded = decodeRecord({ topic: 'perftool-sinetstream-result', partition: 0, offset: 41, timestamp: endMs + 5, value: bytes.toString('base64') });
    expect(decoded).toEqual({
      kind: 'result',
      row: expect.objectContaining({
        format: 'v3',
        timestamp: '2026-11-24T01:02:03.456789Z',
        publisher,
        writerBytesRate: (300 * 1044) / 0.648,
        readerBytesRate: (300 * 1044) / 0.65,
        writerCountRate: 300 / 0.648,
        readerCountRate: 300 / 0.65,
        writerErrorRate: 0,
        readerErrorRate: 0,
        writerErrorCount: 0,
        readerErrorCount: 0,
        threadNumber: 0,
        writerMsgCount: 300,
        writerMsgSizeAvg: 1044,
        windowStart: '2026-11-24T01:02:02.806Z',
        windowEnd: '2026-11-24T01:02:03.454Z',
      }),
    });
    expect(JSON.parse((decoded as { row: { msg: string } }).row.msg)).toEqual(result);
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
