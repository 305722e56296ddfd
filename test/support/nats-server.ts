import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireProgram } from './prerequisites';

// Debian installs nats-server in /usr/sbin, which a non-root PATH may lack.
export const NATS_SERVER_BIN =
  process.env.NATS_SERVER_BIN ?? ['/usr/bin/nats-server', '/usr/sbin/nats-server'].find((p) => existsSync(p)) ?? 'nats-server';

export interface RunningNatsServer {
  mqttUrl: string;
  monitorUrl: string;
  /** Everything the server printed so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** A free TCP port on the loopback interface (released before returning, so bind it promptly). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Ports and directories to render a configuration for a test server (loopback only). */
export async function testServerSettings(): Promise<{ host: string; mqttPort: number; monitorPort: number; clientPort: number; storeDir: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'perftool-nats-'));
  return {
    host: '127.0.0.1',
    mqttPort: await freePort(),
    monitorPort: await freePort(),
    clientPort: await freePort(),
    storeDir: join(dir, 'jetstream'),
    dir,
  };
}

async function waitForHealthz(monitorUrl: string, exited: () => string | null, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exit = exited();
    if (exit !== null) throw new Error(`nats-server exited (${exit}) before becoming healthy:\n${output()}`);
    try {
      const res = await fetch(`${monitorUrl}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`nats-server not healthy after ${timeoutMs} ms:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Runs the real nats-server with exactly `configText`, in a temp dir, until /healthz answers.
 * `ports` tells where the configuration makes the server listen (loopback).
 */
export async function startNatsServer(
  configText: string,
  ports: { host: string; mqttPort: number; monitorPort: number; dir?: string },
  timeoutMs = 20000,
): Promise<RunningNatsServer> {
  requireProgram(NATS_SERVER_BIN, 'nats-server (the MQTT tests need it)', 'sudo apt-get install -y nats-server');
  const dir = ports.dir ?? (await mkdtemp(join(tmpdir(), 'perftool-nats-')));
  const configPath = join(dir, 'nats-server.conf');
  await writeFile(configPath, configText);
  const child = spawn(NATS_SERVER_BIN, ['-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  let exit: string | null = null;
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = `code ${code}, signal ${signal}`;
      resolve();
    });
    child.once('error', (err) => {
      exit = `spawn error ${err.message}`;
      resolve();
    });
  });
  const monitorUrl = `http://${ports.host}:${ports.monitorPort}`;
  const stop = async (): Promise<void> => {
    if (exit === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForHealthz(monitorUrl, () => exit, () => log, timeoutMs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { mqttUrl: `mqtt://${ports.host}:${ports.mqttPort}`, monitorUrl, output: () => log, stop };
}
