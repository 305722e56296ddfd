import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { CopyBinaryWriter } from '../../lambda/sink/copy-binary';
import { isoFromMicros } from '../../lambda/sink/decode-record';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

let db: TestDatabase;
let c: Client;
beforeAll(async () => {
  db = await createTestDatabase('copybinary');
  c = new Client(db.config);
  await c.connect();
  await c.query(`CREATE TABLE copied (i serial, t text, j json, n integer, b bigint, f float8, ts timestamptz, w timestamptz)`);
});
afterAll(async () => {
  await c.end();
  await db.drop();
});

interface Row { t: string | null; j: string | null; n: number | null; b: number | null; f: number | null; ts: string | null; w: number | null }

/** Writes the rows with the writer (split into two chunks, as the sink streams them) and COPYs them in. */
async function copyRows(rows: Row[]): Promise<void> {
  const w = new CopyBinaryWriter();
  const chunks: Buffer[] = [];
  rows.forEach((r, i) => {
    w.row(7).text(r.t).text(r.j).int4(r.n).int8(r.b).float8(r.f).timestamptz(r.ts).timestamptzFromEpochSeconds(r.w);
    if (i === Math.floor(rows.length / 2)) chunks.push(w.take());
  });
  chunks.push(w.finish());
  await c.query('TRUNCATE copied RESTART IDENTITY');
  await pipeline(Readable.from(chunks), c.query(copyFrom('COPY copied (t, j, n, b, f, ts, w) FROM STDIN (FORMAT binary)')));
}

const row = (over: Partial<Row>): Row => ({ t: null, j: null, n: null, b: null, f: null, ts: null, w: null, ...over });

test('text, json, integers, floats and NULLs arrive exactly as written', async () => {
  const text = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes('\0'));
  const values = fc.record({
    t: fc.option(text, { nil: null }),
    j: fc.option(fc.jsonValue().map((v) => ` ${JSON.stringify(v)}\n`), { nil: null }),
    n: fc.option(fc.integer(), { nil: null }),
    b: fc.option(fc.oneof(fc.maxSafeInteger(), fc.constantFrom(2 ** 53 + 2, -(2 ** 60), 2 ** 62)), { nil: null }),
    f: fc.option(fc.double({ noNaN: true }), { nil: null }),
    ts: fc.constant(null),
    w: fc.constant(null),
  });
  await fc.assert(fc.asyncProperty(fc.array(values, { minLength: 1, maxLength: 20 }), async (rows) => {
    await copyRows(rows);
    const { rows: stored } = await c.query(`SELECT t, j::text AS j, n, b::text AS b, f FROM copied ORDER BY i`);
    expect(stored).toEqual(rows.map((r) => ({
      t: r.t, j: r.j, n: r.n, b: r.b === null ? null : BigInt(r.b).toString(), f: r.f,
    })));
  }), { numRuns: 30 });
});

test('booleans arrive as written', async () => {
  await c.query('CREATE TEMP TABLE flags (i serial, v boolean)');
  const w = new CopyBinaryWriter();
  for (const v of [true, false, true]) w.row(1).bool(v);
  await pipeline(Readable.from([w.finish()]), c.query(copyFrom('COPY flags (v) FROM STDIN (FORMAT binary)')));
  const { rows } = await c.query('SELECT v FROM flags ORDER BY i');
  expect(rows.map((r) => r.v)).toEqual([true, false, true]);
});

test('timestamps: both ISO spellings decodeRecord writes, to the microsecond, years 1970-9999', async () => {
  const micros = fc.bigInt({ min: 0n, max: 253_402_300_799_999_999n });
  await fc.assert(fc.asyncProperty(fc.array(fc.tuple(micros, fc.boolean()), { minLength: 1, maxLength: 20 }), async (values) => {
    const isos = values.map(([us, msOnly]) => (msOnly ? new Date(Number(us / 1000n)).toISOString() : isoFromMicros(us) as string));
    await copyRows(isos.map((ts) => row({ ts })));
    const { rows } = await c.query(`SELECT bool_and(ts = v::timestamptz) AS same FROM copied JOIN unnest($1::text[]) WITH ORDINALITY AS u(v, i) USING (i)`, [isos]);
    expect(rows[0].same).toBe(true);
  }), { numRuns: 30 });
  // Where µs since PostgreSQL's epoch (2000) pass 2^53, in 2285: the last exact Number and the first BigInt values.
  const edge = 2n ** 53n + 946_684_800_000_000n;
  const isos = [edge - 2n, edge - 1n, edge, edge + 1n, 9_953_884_054_740_999n].map((us) => isoFromMicros(us) as string);
  await copyRows(isos.map((ts) => row({ ts })));
  const { rows } = await c.query(`SELECT array_agg(to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') ORDER BY i) AS stored FROM copied`);
  expect(rows[0].stored).toEqual(isos);
});

test('window edges equal what PostgreSQL to_timestamp() makes of the same epoch seconds, to the microsecond', async () => {
  // Seconds with many fraction digits, exact half-microsecond ties (rounded to even) and whole seconds.
  const seconds = fc.oneof(
    fc.double({ min: 0, max: 253_402_300_799, noNaN: true }),
    fc.integer({ min: 0, max: 4_102_444_800 }).chain((s) => fc.integer({ min: 0, max: 999_999 }).map((us) => s + (us + 0.5) / 1e6)),
    fc.integer({ min: 0, max: 4_102_444_800 }),
  );
  await fc.assert(fc.asyncProperty(fc.array(seconds, { minLength: 1, maxLength: 50 }), async (values) => {
    await copyRows(values.map((w) => row({ w })));
    const { rows } = await c.query(`SELECT array_agg(s) FILTER (WHERE to_timestamp(s) IS DISTINCT FROM w) AS differing
      FROM copied JOIN unnest($1::float8[]) WITH ORDINALITY AS u(s, i) USING (i)`, [values]);
    expect(rows[0].differing).toBeNull();
  }), { numRuns: 30 });
});
