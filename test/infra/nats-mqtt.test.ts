import mqtt from 'mqtt';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MQTT_MAX_FILE_STORE, MQTT_PASSWORD_ENV, MQTT_USERNAME, NATS_START_COMMAND, renderNatsConfig } from '../../lib/nats-config';
import { NATS_SERVER_BIN, RunningNatsServer, startNatsServer, testServerSettings } from '../support/nats-server';
import { synthesise } from './synth';

/** CONNACK return code of an MQTT 3.1.1 connection attempt: 0 accepted, 5 not authorised (NATS's answer to bad credentials). */
async function connackCode(url: string, opts: mqtt.IClientOptions): Promise<number> {
  const client = mqtt.connect(url, { protocolVersion: 4, clean: true, reconnectPeriod: 0, connectTimeout: 10000, ...opts });
  try {
    return await new Promise<number>((resolve, reject) => {
      client.once('connect', (packet) => resolve(packet.returnCode ?? 0));
      client.once('error', (err) => {
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'number') resolve(code);
        else reject(err);
      });
      client.once('close', () => reject(new Error('closed without a CONNACK')));
    });
  } finally {
    client.end(true);
  }
}

describe('renderNatsConfig with the real nats-server, started by the task start command', () => {
  let server: RunningNatsServer;
  let pi: { username: string; password: string };

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
    pi = server.mqttCredentials;
  });

  afterAll(async () => {
    await server?.stop();
  });

  test('the server reports JetStream healthy, the configured server name, and the MQTT-sized store limit', async () => {
    const health = await fetch(`${server.monitorUrl}/healthz?js-enabled-only=true`);
    expect(health.status).toBe(200);
    const varz = (await (await fetch(`${server.monitorUrl}/varz`)).json()) as {
      server_name: string;
      host: string;
      mqtt?: { port: number };
      jetstream?: { config?: { max_storage: number } };
    };
    expect(varz.server_name).toBe('perftool-nats-test');
    expect(varz.mqtt?.port).toBe(Number(new URL(server.mqttUrl).port));
    expect(varz.jetstream?.config?.max_storage).toBe(MQTT_MAX_FILE_STORE);
    // The NATS protocol port has no authentication: it must not listen beyond the task.
    expect(varz.host).toBe('127.0.0.1');
  });

  test('an anonymous MQTT client is refused', async () => {
    await expect(connackCode(server.mqttUrl, { clientId: 'anon-1' })).resolves.toBe(5);
  });

  test('a wrong password, another user name, or the password without a user name is refused', async () => {
    expect(await connackCode(server.mqttUrl, { clientId: 'wrong-1', username: pi.username, password: `${pi.password}x` })).toBe(5);
    expect(await connackCode(server.mqttUrl, { clientId: 'wrong-2', username: 'admin', password: pi.password })).toBe(5);
    expect(await connackCode(server.mqttUrl, { clientId: 'wrong-3', username: pi.username })).toBe(5);
  });

  test("the Pi's credentials are accepted", async () => {
    expect(pi.username).toBe(MQTT_USERNAME);
    await expect(connackCode(server.mqttUrl, { clientId: 'pi-1', ...pi })).resolves.toBe(0);
  });

  test("an MQTT 3.1.1 client receives a QoS 1 message another client published, both with the Pi's credentials", async () => {
    const topic = 'perftool-sinetstream-target';
    const payload = `hello ${Date.now()}`;
    const subscriber = await mqtt.connectAsync(server.mqttUrl, { protocolVersion: 4, clientId: 'sub-1', clean: true, ...pi });
    const publisher = await mqtt.connectAsync(server.mqttUrl, { protocolVersion: 4, clientId: 'pub-1', clean: true, ...pi });
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
    const first = await mqtt.connectAsync(server.mqttUrl, { protocolVersion: 4, clientId: 'durable-1', clean: false, ...pi });
    await first.subscribeAsync(topic, { qos: 1 });
    await first.endAsync();

    const publisher = await mqtt.connectAsync(server.mqttUrl, { protocolVersion: 4, clientId: 'pub-2', clean: true, ...pi });
    await publisher.publishAsync(topic, 'while away', { qos: 1 });
    await publisher.endAsync();

    const again = mqtt.connect(server.mqttUrl, { protocolVersion: 4, clientId: 'durable-1', clean: false, ...pi });
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

describe('the MQTT password reaches nats-server exactly as the secret holds it', () => {
  // Characters the NATS configuration language would otherwise read as a comment, a variable, a quote, an escape,
  // a number or the end of a value.
  test.each([`a$b.c-d'e#f`, `"quoted" \\x41 \\\\ $HOME \${HOME} $(id) \`id\``, `1.5`, `{x: 1}, y; z = 2 // c`, `パス ワード`])('password %j', async (password) => {
    const s = await testServerSettings();
    const server = await startNatsServer(renderNatsConfig({ ...s, serverName: 'password-test' }), { ...s, mqttPassword: password });
    try {
      expect(await connackCode(server.mqttUrl, { clientId: 'pi-ok', username: MQTT_USERNAME, password })).toBe(0);
      // Neither a cut-off value (comment, end of value) nor one with escapes interpreted gets in.
      const variants = [password.slice(0, -1), password.replace(/\\x41/g, 'A').replace(/\\\\/g, '\\')].filter((v) => v !== password);
      for (const variant of variants) {
        expect(await connackCode(server.mqttUrl, { clientId: 'pi-variant', username: MQTT_USERNAME, password: variant })).toBe(5);
      }
    } finally {
      await server.stop();
    }
  });
});

test.each([
  ['unset', undefined],
  ['empty', ''],
])('the container start command refuses to start NATS when the MQTT password is %s', async (_label, password) => {
  const s = await testServerSettings();
  const env: Record<string, string> = { PATH: `${dirname(NATS_SERVER_BIN)}:/usr/bin:/bin`, TMPDIR: s.dir, NATS_CONFIG: renderNatsConfig({ ...s, serverName: 'no-pw' }) };
  if (password !== undefined) env[MQTT_PASSWORD_ENV] = password;
  const child = spawn('/bin/sh', ['-c', NATS_START_COMMAND], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  try {
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).not.toBe(0);
    expect(stderr).toContain('the MQTT password secret is missing or empty');
  } finally {
    await rm(s.dir, { recursive: true, force: true });
  }
});

test('the ECS task gets the MQTT password from the Pi MQTT secret, and the template holds neither password nor a way around it', () => {
  const { stack, template } = synthesise();
  const json = template.toJSON();
  const [task] = Object.values(json.Resources as Record<string, { Type: string; Properties: any }>).filter(
    (r) => r.Type === 'AWS::ECS::TaskDefinition' && JSON.stringify(r.Properties).includes('NATS_CONFIG'),
  );
  const container = task.Properties.ContainerDefinitions[0];
  const secretId = stack.getLogicalId(stack.mqtt.piSecret.node.defaultChild as never);
  expect(container.Secrets).toEqual([{ Name: MQTT_PASSWORD_ENV, ValueFrom: { 'Fn::Join': ['', [{ Ref: secretId }, ':password::']] } }]);
  expect(container.Environment).toEqual([{ Name: 'NATS_CONFIG', Value: expect.stringContaining(`username: "${MQTT_USERNAME}"`) }]);
  expect(json.Resources[secretId].Properties.GenerateSecretString).toMatchObject({
    SecretStringTemplate: JSON.stringify({ username: MQTT_USERNAME }),
    GenerateStringKey: 'password',
  });
  expect(json.Outputs.PiMqttSecretArn.Value).toEqual({ Ref: secretId });
});

describe('renderNatsConfig input checks', () => {
  const base = { mqttPort: 1883, monitorPort: 8222, serverName: 'nats-0', storeDir: '/data/js' };

  test('renders JetStream, MQTT with its login, monitoring and server name', () => {
    const text = renderNatsConfig(base);
    expect(text).toContain('server_name: "nats-0"');
    expect(text).toMatch(/jetstream \{\n {2}store_dir: "\/data\/js"/);
    expect(text).toMatch(/mqtt \{\n {2}host: "0\.0\.0\.0"\n {2}port: 1883\n/);
    expect(text).toMatch(/ {2}authorization \{\n {4}username: "pi"\n {4}password: \$NATS_MQTT_PASSWORD\n {2}\}/);
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
