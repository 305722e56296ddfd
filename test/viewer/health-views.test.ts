/**
 * The publisher-health views (sql/migrations/004) on a real PostgreSQL, fed through the real sink: results per
 * publisher, their usual interval and silence, and rejected records counted per publisher name read from their
 * bytes (SINETStream envelope or plain JSON) without exposing the bytes or the reason.
 */
import { Client } from 'pg';
import { applyMigrations } from '../../lambda/db-init/migrate';
import { ingestBatch } from '../../lambda/sink/ingest';
import { encodeSinetStream } from '../../lambda/shared/sinetstream';
import { kafkaRecord } from '../../lib/dev/records';
import { seededRandom, syntheticResult, toMskRecord } from '../../lib/preview/synthetic';
import { createTestDatabase, TestDatabase } from '../support/postgres';

let db: TestDatabase;
let c: Client;
const MIN = 60_000;
const now = Date.now();
let offset = 1;

const result = (publisher: string, tMs: number) => toMskRecord(syntheticResult({ name: publisher, bytesRate: 100_000 }, tMs, tMs, seededRandom(3)), tMs, offset++);
const envelope = (text: string | Buffer) => kafkaRecord(offset++, encodeSinetStream(text, BigInt(now) * 1000n), { timestamp: now });

beforeAll(async () => {
  db = await createTestDatabase('health');
  c = new Client(db.config);
  await c.connect();
  await applyMigrations(c, { defaultPerftoolName: 'perftool-sinetstream-target' });
  const records = [
    // pi-a: one result a minute for the last 10 minutes, two threads at the same time once.
    ...Array.from({ length: 10 }, (_, i) => result('pi-a', now - (10 - i) * MIN)),
    result('pi-a', now - MIN),
    // pi-b: every 5 minutes, three hours ago, then silence.
    ...Array.from({ length: 12 }, (_, i) => result('pi-b', now - 3 * 60 * MIN - (12 - i) * 5 * MIN)),
    // Rejections: a result whose writer is not an object (name readable), a truncated text (name before the cut),
    // plain JSON with a numeric name, bytes that are no message at all, and one for pi-a received two days ago.
    envelope(JSON.stringify({ name: 'pi-a', writer: 'broken', reader: {} })),
    envelope('{"name": "pi-b", "writer": {"thread_number": 0, "start_ti'),
    kafkaRecord(offset++, Buffer.from(JSON.stringify({ name: 42 })), { timestamp: now }),
    kafkaRecord(offset++, Buffer.from([0xff, 0xfe, 0x7b, 0x80, 0x00]), { timestamp: now }),
    envelope(JSON.stringify({ name: 'pi-a', writer: 5 })),
  ];
  const outcome = await ingestBatch(c, records);
  expect(outcome.rejected).toBe(5);
  // The last rejection arrived two days ago: outside the 24 h.
  await c.query(`UPDATE perftool_rejected SET received_at = now() - interval '2 days' WHERE kafka_offset = $1`, [offset - 1]);
});
afterAll(async () => {
  await c?.end();
  await db?.drop();
});

test('health: last result, results in the last hour, usual interval learnt from recent results, silence', async () => {
  const { rows } = await c.query('SELECT * FROM perftool_publisher_health ORDER BY publisher');
  expect(rows.map((r) => r.publisher)).toEqual(['pi-a', 'pi-b']);
  const [a, b] = rows;
  expect(Number(a.results_last_hour)).toBe(11);
  expect(Number(a.result_count)).toBe(11);
  expect(a.usual_interval_seconds).toBeCloseTo(60, 0); // the same-time pair is not a zero interval
  expect(a.silent_seconds).toBeGreaterThan(50);
  expect(a.silent_seconds).toBeLessThan(600);
  expect(Number(b.results_last_hour)).toBe(0);
  expect(b.usual_interval_seconds).toBeCloseTo(300, 0);
  expect(b.silent_seconds).toBeGreaterThan(3 * 3600);
});

test('rejections of the last 24 h per publisher name read from the record; unreadable ones apart; no bytes, no reason', async () => {
  const { rows, fields } = await c.query('SELECT * FROM perftool_rejections_24h ORDER BY publisher NULLS LAST');
  expect(fields.map((f) => f.name)).toEqual(['publisher', 'attributed', 'rejected_count', 'last_rejected_at']);
  expect(rows.map((r) => [r.publisher, r.attributed, Number(r.rejected_count)])).toEqual([
    ['pi-a', true, 1],
    ['pi-b', true, 1],
    [null, false, 2],
  ]);
});

test('reading a name never fails, whatever the bytes', async () => {
  const { rows } = await c.query(
    `SELECT perftool_rejected_publisher(x) AS name FROM unnest(ARRAY[NULL, ''::bytea, '\\x7b7b7b7b7b'::bytea, '\\x7bff'::bytea, convert_to('{"name":"ok-1"}', 'UTF8'), convert_to('{"name":"${'x'.repeat(201)}"}', 'UTF8')]) AS x`,
  );
  expect(rows.map((r) => r.name)).toEqual([null, null, null, null, 'ok-1', null]);
});
