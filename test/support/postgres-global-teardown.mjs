// Stops the run's PostgreSQL and removes its temporary folder (see postgres-global-setup.mjs).
export default async function globalTeardown() {
  const pg = globalThis.__EMBEDDED_PG__;
  if (pg) await pg.stop();
}
