import fc from 'fast-check';
import { recordsOf } from '../../lambda/sink/records';
import { kafkaRecord, mskEvent } from '../../lib/dev/records';
import { mskEventVector } from './vectors';

const good = (offset: number) => kafkaRecord(offset, Buffer.from('{}'), { topic: 'perftool.results-1', partition: 2 });

test('the records of a well-formed event come out in delivery order, across partitions', () => {
  const records = [good(1), { ...good(2), partition: 0 }, good(3)];
  expect(recordsOf(mskEvent(records))).toEqual({ ok: true, records: [records[0], records[2], records[1]], unusable: [] });
  expect(recordsOf(mskEventVector())).toMatchObject({ ok: true, records: [{ offset: 15 }], unusable: [] });
});

test.each<[string, unknown, string]>([
  ['a null event', null, 'the event is not a JSON object (got null)'],
  ['a string event', 'abc', 'the event is not a JSON object (got string)'],
  ['an array event', [good(1)], 'the event is not a JSON object (got array)'],
  ['an event without records', { eventSource: 'aws:kafka' }, 'the event\'s "records" is not an object of record arrays (got undefined)'],
  ['records: "abc"', { records: 'abc' }, 'the event\'s "records" is not an object of record arrays (got string)'],
  ['records: null', { records: null }, 'the event\'s "records" is not an object of record arrays (got null)'],
])('%s is malformed as a whole', (_name, event, reason) => {
  expect(recordsOf(event)).toEqual({ ok: false, reason });
});

test.each<[string, (r: Record<string, unknown>) => unknown, string]>([
  ['a null record', () => null, 'Kafka record is not a JSON object (got null)'],
  ['a missing topic', ({ topic: _t, ...r }) => r, 'Kafka topic must be 1-249 letters, digits, ".", "_" or "-" (missing)'],
  ['a numeric topic', (r) => ({ ...r, topic: 42 }), 'Kafka topic must be 1-249 letters, digits, ".", "_" or "-" (got number 42)'],
  ['a topic with a NUL', (r) => ({ ...r, topic: 'a\u0000b' }), 'Kafka topic must be 1-249 letters, digits, ".", "_" or "-" (got string "a\\u0000b")'],
  ['a missing partition', ({ partition: _p, ...r }) => r, 'Kafka partition must be an integer from 0 to 2147483647 (missing)'],
  ['partition "abc"', (r) => ({ ...r, partition: 'abc' }), 'Kafka partition must be an integer from 0 to 2147483647 (got string "abc")'],
  ['partition 2^31', (r) => ({ ...r, partition: 2 ** 31 }), 'Kafka partition must be an integer from 0 to 2147483647 (got number 2147483648)'],
  ['a missing offset', ({ offset: _o, ...r }) => r, 'Kafka offset must be an integer from 0 to 9007199254740991 (missing)'],
  ['offset "abc"', (r) => ({ ...r, offset: 'abc' }), 'Kafka offset must be an integer from 0 to 9007199254740991 (got string "abc")'],
  ['offset 1.5', (r) => ({ ...r, offset: 1.5 }), 'Kafka offset must be an integer from 0 to 9007199254740991 (got number 1.5)'],
  ['offset 2^63', (r) => ({ ...r, offset: 2 ** 63 }), 'Kafka offset must be an integer from 0 to 9007199254740991 (got number 9223372036854776000)'],
  ['offset -1', (r) => ({ ...r, offset: -1 }), 'Kafka offset must be an integer from 0 to 9007199254740991 (got number -1)'],
])('a record with %s is unusable: listed with its index and reason, never given a default', (_name, spoil, reason) => {
  const bad = spoil({ ...good(5) });
  const event = { records: { 'perftool.results-1': [good(4), bad, good(6)] } };
  expect(recordsOf(event)).toEqual({ ok: true, records: [good(4), good(6)], unusable: [{ index: 1, reason }] });
});

test('a "records" entry that is not an array counts as one unusable record; the other partitions go through', () => {
  const event = { records: { 'a-0': [good(1)], 'a-1': 'abc', 'a-2': [good(2)] } };
  expect(recordsOf(event)).toEqual({
    ok: true, records: [good(1), good(2)], unusable: [{ index: 1, reason: '"records" entry "a-1" is not an array (got string)' }],
  });
});

test('value, timestamp and other fields are left to decodeRecord (the record can be rejected with its coordinates)', () => {
  const record = { topic: 't', partition: 0, offset: 1, value: 12345, timestamp: 'yesterday', headers: 'x' };
  expect(recordsOf({ records: { 't-0': [record] } })).toEqual({ ok: true, records: [record], unusable: [] });
});

test('arbitrary events never make recordsOf throw, and every record is either kept or listed as unusable', () => {
  const record = fc.oneof(fc.anything(), fc.record({ topic: fc.anything(), partition: fc.anything(), offset: fc.anything() }, { requiredKeys: [] }));
  const event = fc.oneof(fc.anything(), fc.record({ records: fc.oneof(fc.anything(), fc.dictionary(fc.string(), fc.oneof(fc.array(record), fc.anything()))) }));
  fc.assert(fc.property(event, (e) => {
    const parsed = recordsOf(e);
    if (!parsed.ok) return;
    const groups = Object.values((e as { records: Record<string, unknown> }).records);
    const entries = groups.reduce<number>((n, g) => n + (Array.isArray(g) ? g.length : 1), 0);
    expect(parsed.records.length + parsed.unusable.length).toBe(entries);
  }), { numRuns: 2000 });
});
