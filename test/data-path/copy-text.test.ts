import fc from 'fast-check';
import { Client } from 'pg';
import { copyField, timestamptzFromEpochSeconds } from '../../lambda/sink/copy-text';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

let db: TestDatabase;
let c: Client;
beforeAll(async () => {
  db = await createTestDatabase('copytext');
  c = new Client(db.config);
  await c.connect();
});
afterAll(async () => {
  await c.end();
  await db.drop();
});

test('window edges equal what PostgreSQL to_timestamp() makes of the same epoch seconds, to the microsecond', async () => {
  // Seconds with many fraction digits, exact half-microsecond ties (rounded to even) and whole seconds.
  const seconds = fc.oneof(
    fc.double({ min: 0, max: 4_102_444_800, noNaN: true }),
    fc.integer({ min: 0, max: 4_102_444_800 }).chain((s) => fc.integer({ min: 0, max: 999_999 }).map((us) => s + (us + 0.5) / 1e6)),
    fc.integer({ min: 0, max: 4_102_444_800 }),
  );
  await fc.assert(fc.asyncProperty(fc.array(seconds, { minLength: 1, maxLength: 50 }), async (values) => {
    const ours = values.map(timestamptzFromEpochSeconds);
    const { rows } = await c.query(`SELECT bool_and(to_timestamp(s) = o::timestamptz) AS same,
        array_agg(to_timestamp(s)::text) FILTER (WHERE to_timestamp(s) <> o::timestamptz) AS differing
      FROM unnest($1::float8[], $2::text[]) AS v(s, o)`, [values, ours]);
    expect(rows[0]).toEqual({ same: true, differing: null });
  }), { numRuns: 30 });
  expect(timestamptzFromEpochSeconds(null)).toBeNull();
  expect(timestamptzFromEpochSeconds(1648491955.007)).toBe('2022-03-28T18:25:55.007000Z');
});

test('copyField escapes exactly the characters COPY text format treats specially and writes NULL as \\N', () => {
  expect(copyField(null)).toBe('\\N');
  expect(copyField(0.1)).toBe('0.1');
  expect(copyField('a\\b\tc\nd\re "x"')).toBe('a\\\\b\\tc\\nd\\re "x"');
  expect(copyField('\\N')).toBe('\\\\N');
});
