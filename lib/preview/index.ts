/**
 * Local preview: the production viewer bundle and a GraphQL endpoint on one origin (http://127.0.0.1:PORT).
 *
 * Production serves `/v1/graphql` with Hasura behind CloudFront. Hasura cannot run here, so `/v1/graphql` is a
 * local stand-in (hasura-schema.ts) implementing the part of Hasura's generated schema the viewer uses, for the
 * anonymous role of lib/hasura/metadata.json, over the same PostgreSQL schema (lambda/db-init).
 *
 * It runs on developers' and operators' machines, so it is a careful neighbour: it listens on 127.0.0.1, runs only
 * the allow-listed viewer documents (which also bounds aliases and rows per request), answers only requests whose
 * Host names this server (DNS rebinding) and whose Origin, if any, is its own, takes GraphQL only as
 * application/json (a cross-site form or text/plain POST cannot), and answers bad requests with 400 and no
 * internals. Every response carries the same security headers.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { Pool, PoolConfig } from 'pg';
import { applyMigrations } from '../../lambda/db-init/migrate';
import { connectionConfig } from '../../lambda/shared/db';
import { buildViewer } from './build-viewer';
import { createHasuraStandIn, hasuraTypeParsers, runGraphqlRequest } from './graphql-endpoint';
import { listenOn } from './port';
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

/** Sent with every response, whatever it is (the viewer's CSP also keeps an error page inert). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': VIEWER_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, ...extra });
  res.end(body);
}

/** A request refused before it reaches anything: the status and a fixed text, nothing from inside. */
class BadRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The Host values that name this server: anything else is another name pointed at loopback (DNS rebinding). */
export function allowedHostHeaders(host: string, port: number): Set<string> {
  const names = new Set([host.includes(':') ? `[${host}]` : host, '127.0.0.1', 'localhost', '[::1]']);
  return new Set([...names].map((n) => `${n}:${port}`.toLowerCase()));
}

/** Refuses requests that a web page on another site (or a rebound DNS name) could make a browser send. */
export function checkRequestSource(req: IncomingMessage, hosts: ReadonlySet<string>): void {
  const host = (req.headers.host ?? '').toLowerCase();
  if (!hosts.has(host)) throw new BadRequest(403, 'unexpected Host header: open the preview at the address it printed');
  const origin = req.headers.origin;
  if (origin !== undefined && !(origin.startsWith('http://') && hosts.has(origin.slice('http://'.length).toLowerCase()))) {
    throw new BadRequest(403, 'cross-origin requests are not accepted');
  }
}

const isJson = (type: string | undefined) => /^application\/json\s*(;|$)/i.test(type ?? '');

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
    const standIn = await createHasuraStandIn(pool);
    const assetsDir = options.assetsDir ?? buildViewer();
    const indexHtml = await readFile(join(assetsDir, 'index.html'));
    let hosts: ReadonlySet<string> = new Set();

    server = createServer((req, res) => {
      void (async () => {
        checkRequestSource(req, hosts);
        const url = new URL(req.url ?? '/', 'http://preview');
        if (url.pathname === '/v1/graphql') {
          if (req.method !== 'POST') return send(res, 405, 'text/plain; charset=utf-8', 'POST a GraphQL request', { allow: 'POST' });
          if (!isJson(req.headers['content-type'])) throw new BadRequest(415, 'send GraphQL requests as application/json');
          let body: unknown;
          try {
            body = JSON.parse(await readBody(req));
          } catch (e) {
            const tooLarge = e instanceof BodyTooLarge;
            const error = { message: tooLarge ? `request body larger than ${MAX_BODY_BYTES} bytes` : 'invalid JSON in the request body', extensions: { path: '$', code: tooLarge ? 'request-too-large' : 'invalid-json' } };
            return send(res, tooLarge ? 413 : 400, 'application/json', JSON.stringify({ errors: [error] }), { 'cache-control': 'no-store' });
          }
          const result = await runGraphqlRequest(standIn, body);
          return send(res, 200, 'application/json', JSON.stringify(result), { 'cache-control': 'no-store' });
        }
        if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed', { allow: 'GET, HEAD' });
        let decoded: string;
        try {
          decoded = decodeURIComponent(url.pathname);
        } catch {
          throw new BadRequest(400, 'bad path');
        }
        if (decoded.includes('\0')) throw new BadRequest(400, 'bad path');
        const path = normalize(decoded).replace(/^([/\\])+/, '');
        if (path.split(sep).includes('..')) throw new BadRequest(400, 'bad path');
        if (path !== '' && extname(path) !== '') {
          let file: Buffer;
          try {
            file = await readFile(join(assetsDir, path));
          } catch {
            return send(res, 404, 'text/plain; charset=utf-8', 'not found');
          }
          const immutable = path.startsWith(`assets${sep}`);
          return send(res, 200, CONTENT_TYPES[extname(path)] ?? 'application/octet-stream', file, {
            'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
          });
        }
        // Client-side routes (no file extension) get the app, as CloudFront's viewer-request function does.
        return send(res, 200, CONTENT_TYPES['.html'], indexHtml, { 'cache-control': 'no-cache' });
      })().catch((e: Error) => {
        if (res.headersSent) return void res.end();
        if (e instanceof BadRequest) return send(res, e.status, 'text/plain; charset=utf-8', e.message);
        log(`request failed: ${e.message}`);
        send(res, 500, 'text/plain; charset=utf-8', 'internal error');
      });
    });
    const port = options.port ?? 8080;
    const host = options.host ?? '127.0.0.1';
    const actualPort = await listenOn(server, host, port);
    hosts = allowedHostHeaders(host, actualPort);
    const srv = server;
    return {
      url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`,
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
