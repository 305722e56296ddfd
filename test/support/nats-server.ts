import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from '../../lib/dev/embedded-postgres';
import { MQTT_PASSWORD_ENV, MQTT_USERNAME, NATS_START_COMMAND } from '../../lib/nats-config';
import { requireProgram } from './prerequisites';

// Debian installs nats-server in /usr/sbin, which a non-root PATH may lack.
export const NATS_SERVER_BIN =
  process.env.NATS_SERVER_BIN ?? ['/usr/bin/nats-server', '/usr/sbin/nats-server'].find((p) => existsSync(p)) ?? 'nats-server';

/** MQTT password of the test servers unless a test chooses another; characters that need quoting on purpose. */
const TEST_MQTT_PASSWORD = `t3st-$HOME.'#"\\ {x}`;

export interface RunningNatsServer {
  mqttUrl: string;
  /** The credentials the server's configuration accepts (the Pi's). */
  mqttCredentials: { username: string; password: string };
  monitorUrl: string;
  /** Everything the server printed so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

// One free-port helper for the tests and lib/dev; re-exported here, where the test helpers already import it from.
export { freePort } from '../../lib/dev/embedded-postgres';

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
 * Runs the real nats-server with exactly `configText`, started as the ECS task starts it (NATS_START_COMMAND with
 * NATS_CONFIG and the MQTT password in the environment), in a temp dir, until /healthz answers.
 * `ports` tells where the configuration makes the server listen (loopback).
 */
export async function startNatsServer(
  configText: string,
  ports: { host: string; mqttPort: number; monitorPort: number; dir?: string; mqttPassword?: string },
  timeoutMs = 20000,
): Promise<RunningNatsServer> {
  requireProgram(NATS_SERVER_BIN, 'nats-server (the MQTT tests need it)', 'sudo apt-get install -y nats-server');
  const dir = ports.dir ?? (await mkdtemp(join(tmpdir(), 'perftool-nats-')));
  const password = ports.mqttPassword ?? TEST_MQTT_PASSWORD;
  const child = spawn('/bin/sh', ['-c', NATS_START_COMMAND], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: `${dirname(NATS_SERVER_BIN)}:/usr/bin:/bin`, TMPDIR: dir, NATS_CONFIG: configText, [MQTT_PASSWORD_ENV]: password },
  });
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
  return {
    mqttUrl: `mqtt://${ports.host}:${ports.mqttPort}`,
    mqttCredentials: { username: MQTT_USERNAME, password },
    monitorUrl,
    output: () => log,
    stop,
  };
}
