import { Client } from 'pg';
import { createTestDatabase } from './postgres';

test('the run has a real PostgreSQL 17 and a fresh database per file', async () => {
  const db = await createTestDatabase();
  const c = new Client(db.config);
  await c.connect();
  const r = await c.query('SHOW server_version_num');
  await c.end();
  await db.drop();
  expect(Number(r.rows[0].server_version_num)).toBeGreaterThanOrEqual(140000);
});
