/**
 * Local preview: the production viewer bundle and a GraphQL endpoint on one origin (http://127.0.0.1:PORT).
 *
 * Production serves `/v1/graphql` with Hasura behind CloudFront. Hasura cannot run here, so `/v1/graphql` is a
 * local stand-in (hasura-schema.ts) implementing the part of Hasura's generated schema the viewer uses, for the
 * anonymous role of lib/hasura/metadata.json, over the same PostgreSQL schema (lambda/db-init).
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { Pool, PoolConfig } from 'pg';
import { applyMigrations } from '../../lambda/db-init/migrate';
import { connectionConfig } from '../../lambda/shared/db';
import { buildViewer } from './build-viewer';
import { createHasuraStandInSchema, hasuraTypeParsers, runGraphqlRequest } from './graphql-endpoint';
import { seedHistory, startLiveResults } from './seed';
import { contentSecurityPolicy } from '../web/security-headers';

export interface SeedOptions {
  /** Days of synthetic history (default 3). */
  days?: number;
  /** A new result per publisher this often; 0 turns live results off (default 5000). */
  liveIntervalMs?: number;
}

export interface PreviewOptions {
  /** Default 8080; 0 picks a free port. */
  port?: number;
  host?: string;
  /** Use this database as it is (a connection URL, or pg connection settings). Without either, the libpq
   * variables (PGHOST, …) are used. */
  databaseUrl?: string;
  database?: PoolConfig;
  /** Apply the schema and generate synthetic data (history through the sink, then live results). */
  seed?: boolean | SeedOptions;
  /** MQTT target topic written into the `default` viewer_config when the schema is applied. */
  defaultPerftoolName?: string;
  /** A built viewer (index.html + assets/); default: build the current sources with Vite. */
  assetsDir?: string;
  log?: (line: string) => void;
}

export interface Preview {
  url: string;
  close(): Promise<void>;
}

/** The CSP the viewer runs under: the same text CloudFront sends without a custom domain. */
export const VIEWER_CSP = contentSecurityPolicy();

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

const MAX_BODY_BYTES = 1 << 20;

class BodyTooLarge extends Error {}

/** Reads a request body; a body over the limit is drained (so the client gets an answer) and refused. */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => (size > MAX_BODY_BYTES ? reject(new BodyTooLarge(`request body larger than ${MAX_BODY_BYTES} bytes`)) : resolve(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': type, 'x-content-type-options': 'nosniff', ...extra });
  res.end(body);
}

export async function startPreview(options: PreviewOptions = {}): Promise<Preview> {
  const log = options.log ?? (() => undefined);
  const base: PoolConfig = options.database ?? (options.databaseUrl ? { connectionString: options.databaseUrl } : await connectionConfig());
  // The session runs in UTC so timestamps print as Hasura prints them.
  const pool = new Pool({ ...base, max: 8, types: hasuraTypeParsers(), options: '-c TimeZone=UTC' });
  pool.on('error', (e) => log(`database: ${e.message}`));
  let stopLive: (() => Promise<void>) | undefined;
  let server: ReturnType<typeof createServer> | undefined;
  try {
    if (options.seed) {
      const seed = typeof options.seed === 'object' ? options.seed : {};
      const client = await pool.connect();
      try {
        await applyMigrations(client, { defaultPerftoolName: options.defaultPerftoolName ?? 'perftool-sinetstream-target' });
      } finally {
        client.release();
      }
      const n = await seedHistory(pool, { days: seed.days ?? 3 });
      if (n) log(`seeded ${n} synthetic results through the sink`);
      const interval = seed.liveIntervalMs ?? 5000;
      if (interval > 0) stopLive = startLiveResults(pool, interval, undefined, (e) => log(`live results: ${e.message}`));
    }
    const schema = await createHasuraStandInSchema(pool);
    const assetsDir = options.assetsDir ?? buildViewer();
    const indexHtml = await readFile(join(assetsDir, 'index.html'));
    const securityHeaders = { 'content-security-policy': VIEWER_CSP, 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' };

    server = createServer((req, res) => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://preview');
        if (url.pathname === '/v1/graphql') {
          if (req.method !== 'POST') return send(res, 405, 'text/plain', 'POST a GraphQL request', { allow: 'POST' });
          let body: unknown;
          try {
            body = JSON.parse(await readBody(req));
          } catch (e) {
            const tooLarge = e instanceof BodyTooLarge;
            const error = { message: `invalid request body: ${(e as Error).message}`, extensions: { path: '$', code: tooLarge ? 'request-too-large' : 'invalid-json' } };
            return send(res, tooLarge ? 413 : 400, 'application/json', JSON.stringify({ errors: [error] }));
          }
          const result = await runGraphqlRequest(schema, body);
          return send(res, 200, 'application/json', JSON.stringify(result), { 'cache-control': 'no-store' });
        }
        if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed');
        const path = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
        if (path.split(sep).includes('..')) return send(res, 400, 'text/plain', 'bad path');
        if (path !== '' && extname(path) !== '') {
          try {
            const file = await readFile(join(assetsDir, path));
            const immutable = path.startsWith(`assets${sep}`);
            return send(res, 200, CONTENT_TYPES[extname(path)] ?? 'application/octet-stream', file, {
              ...securityHeaders,
              'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
            });
          } catch {
            return send(res, 404, 'text/plain', 'not found');
          }
        }
        // Client-side routes (no file extension) get the app, as CloudFront's viewer-request function does.
        return send(res, 200, CONTENT_TYPES['.html'], indexHtml, { ...securityHeaders, 'cache-control': 'no-cache' });
      })().catch((e: Error) => {
        log(`request failed: ${e.message}`);
        if (!res.headersSent) send(res, 500, 'text/plain', 'internal error');
        else res.end();
      });
    });
    const port = options.port ?? 8080;
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(port, host, () => resolve());
    });
    const address = server.address();
    const actualPort = typeof address === 'object' && address ? address.port : port;
    const srv = server;
    return {
      url: `http://${host}:${actualPort}`,
      async close() {
        await stopLive?.();
        await new Promise<void>((resolve) => {
          srv.close(() => resolve());
          srv.closeAllConnections();
        });
        await pool.end();
      },
    };
  } catch (e) {
    await stopLive?.();
    server?.close();
    await pool.end();
    throw e;
  }
}
