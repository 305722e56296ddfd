/**
 * `npm start`: the viewer on http://127.0.0.1:$PORT (default 8080) with `/v1/graphql` on the same origin.
 * - DATABASE_URL set: that database as it is; nothing is generated.
 * - otherwise: a throw-away embedded PostgreSQL, the project schema, synthetic history ingested through the real
 *   sink code, and a new result every few seconds.
 * Production uses Hasura for `/v1/graphql`; here a local stand-in with the same schema subset answers.
 */
import { parseArgs } from 'node:util';
import type { PoolConfig } from 'pg';
import { startPreview } from '../lib/preview';
import { startEmbeddedPostgres } from '../lib/dev/embedded-postgres';
import { assertPortFree, PortInUse } from '../lib/preview/port';

const HOST = '127.0.0.1';

const USAGE = `Usage: npm start [-- --help]

The viewer on http://127.0.0.1:PORT with a local stand-in for Hasura's /v1/graphql, over a throw-away embedded
PostgreSQL with synthetic history (or over DATABASE_URL as it is). Ctrl-C stops it and removes what it created.

Options:
  --help, -h      show this help and exit

Environment:
  PORT            port on 127.0.0.1 (default 8080)
  DATABASE_URL    use this PostgreSQL database as it is; nothing is generated
  TARGET_TOPIC    perftool name of the default dashboard (default perftool-sinetstream-target)
`;

const cleanups: Array<() => Promise<void>> = [];

async function runCleanups() {
  for (const c of cleanups.splice(0)) await c().catch((e: Error) => console.error(e.message));
}

async function main() {
  const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const port = process.env.PORT ? Number(process.env.PORT) : 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got "${process.env.PORT}"`);
  const log = (line: string) => console.log(`[preview] ${line}`);
  // Before seeding, which takes a while: a busy port should fail at once.
  await assertPortFree(HOST, port);

  const databaseUrl = process.env.DATABASE_URL;
  const seed = !databaseUrl;
  let database: PoolConfig | undefined;
  if (!databaseUrl) {
    // A throw-away embedded PostgreSQL (the helper the benchmarks use).
    log('starting an embedded PostgreSQL…');
    const pg = await startEmbeddedPostgres();
    cleanups.push(() => pg.stop());
    database = (await pg.createDatabase('preview')).config;
  }

  const preview = await startPreview({ port, host: HOST, databaseUrl, database, seed, defaultPerftoolName: process.env.TARGET_TOPIC, log });
  cleanups.unshift(() => preview.close());
  log(`viewer: ${preview.url}/  (GraphQL: ${preview.url}/v1/graphql, a local stand-in; production uses Hasura)`);
  if (!seed) log('using DATABASE_URL as it is; no data is generated');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await runCleanups();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch(async (e: Error) => {
  const usage = (e as { code?: unknown }).code?.toString().startsWith('ERR_PARSE_ARGS') ? ' (see "npm start -- --help")' : '';
  console.error(e instanceof PortInUse ? e.message : `preview: ${e.message}${usage}`);
  await runCleanups();
  process.exit(1);
});
