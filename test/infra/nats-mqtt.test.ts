import mqtt from 'mqtt';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { NATS_START_COMMAND, renderNatsConfig } from '../../lib/nats-config';
import { NATS_SERVER_BIN, RunningNatsServer, startNatsServer, testServerSettings } from '../support/nats-server';

describe('renderNatsConfig with the real nats-server', () => {
  let server: RunningNatsServer;

  beforeAll(async () => {
    const s = await testServerSettings();
    const config = renderNatsConfig({
      mqttPort: s.mqttPort,
      monitorPort: s.monitorPort,
      clientPort: s.clientPort,
      host: s.host,
      serverName: 'perftool-nats-test',
      storeDir: s.storeDir,
    });
    server = await startNatsServer(config, s);
  });

  afterAll(async () => {
    await server?.stop();
  });

  test('the server reports JetStream healthy and the configured server name', async () => {
    const health = await fetch(`${server.monitorUrl}/healthz?js-enabled-only=true`);
    expect(health.status).toBe(200);
    const varz = (await (await fetch(`${server.monitorUrl}/varz`)).json()) as { server_name: string; mqtt?: { port: number } };
    expect(varz.server_name).toBe('perftool-nats-test');
    expect(varz.mqtt?.port).toBe(Number(new URL(server.mqttUrl).port));
  });

  test('an MQTT 3.1.1 client receives a QoS 1 message another client published', async () => {
    const topic = 'perftool-sinetstream-target';
    const payload = `hello ${Date.now()}`;
    const subscriber = await mqtt.connectAsync(server.mqttUrl, { protocolVersion: 4, clientId: 'sub-1', clean: true });
    const publisher = await mqtt.connectAsync(server.mqttUrl, { protocolVersion: 4, clientId: 'pub-1', clean: true });
    try {
      const received = new Promise<{ topic: string; payload: string; qos: number }>((resolve) => {
        subscriber.on('message', (t, p, packet) => resolve({ topic: t, payload: p.toString(), qos: packet.qos }));
      });
      const granted = await subscriber.subscribeAsync(topic, { qos: 1 });
      expect(granted[0].qos).toBe(1);
      // mqtt.js resolves a QoS 1 publish only after the broker's PUBACK for its message id.
      const sent = await publisher.publishAsync(topic, payload, { qos: 1 });
      expect(sent).toMatchObject({ cmd: 'publish', qos: 1, messageId: expect.any(Number) });
      await expect(received).resolves.toEqual({ topic, payload, qos: 1 });
    } finally {
      await publisher.endAsync();
      await subscriber.endAsync();
    }
  });

  test('a persistent session gets the QoS 1 messages published while it was away (JetStream-backed)', async () => {
    const topic = 'perftool/offline';
    const first = await mqtt.connectAsync(server.mqttUrl, { protocolVersion: 4, clientId: 'durable-1', clean: false });
    await first.subscribeAsync(topic, { qos: 1 });
    await first.endAsync();

    const publisher = await mqtt.connectAsync(server.mqttUrl, { protocolVersion: 4, clientId: 'pub-2', clean: true });
    await publisher.publishAsync(topic, 'while away', { qos: 1 });
    await publisher.endAsync();

    const again = mqtt.connect(server.mqttUrl, { protocolVersion: 4, clientId: 'durable-1', clean: false });
    try {
      const received = await new Promise<string>((resolve, reject) => {
        again.on('message', (_t, p) => resolve(p.toString()));
        again.on('error', reject);
      });
      expect(received).toBe('while away');
    } finally {
      await again.endAsync();
    }
  });
});

test('the container start command runs nats-server from the NATS_CONFIG text', async () => {
  const s = await testServerSettings();
  const config = renderNatsConfig({ ...s, serverName: 'from-env' });
  const child = spawn('/bin/sh', ['-c', NATS_START_COMMAND], {
    env: { PATH: `${dirname(NATS_SERVER_BIN)}:/usr/bin:/bin`, NATS_CONFIG: config },
    stdio: 'ignore',
  });
  try {
    let varz: { server_name?: string } = {};
    for (let i = 0; i < 100 && !varz.server_name; i++) {
      await new Promise((r) => setTimeout(r, 100));
      varz = await fetch(`http://${s.host}:${s.monitorPort}/varz`).then((r) => r.json() as Promise<{ server_name?: string }>, () => ({}));
    }
    expect(varz.server_name).toBe('from-env');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await rm(s.dir, { recursive: true, force: true });
  }
});

describe('renderNatsConfig input checks', () => {
  const base = { mqttPort: 1883, monitorPort: 8222, serverName: 'nats-0', storeDir: '/data/js' };

  test('renders JetStream, MQTT, monitoring and server name', () => {
    const text = renderNatsConfig(base);
    expect(text).toContain('server_name: "nats-0"');
    expect(text).toMatch(/jetstream \{\n {2}store_dir: "\/data\/js"/);
    expect(text).toMatch(/mqtt \{\n {2}host: "0\.0\.0\.0"\n {2}port: 1883\n\}/);
    expect(text).toContain('http: "0.0.0.0:8222"');
  });

  test.each([
    [{ mqttPort: 0 }, /mqttPort must be an integer port/],
    [{ monitorPort: 70000 }, /monitorPort must be an integer port/],
    [{ monitorPort: 1883 }, /must differ/],
    [{ serverName: 'a b' }, /serverName must be/],
    [{ storeDir: '' }, /storeDir must not be empty/],
  ])('rejects %p', (override, message) => {
    expect(() => renderNatsConfig({ ...base, ...override })).toThrow(message);
  });
});
