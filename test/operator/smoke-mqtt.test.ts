import { renderNatsConfig } from '../../lib/nats-config';
import { mqttRoundTrip } from '../../lib/operator/smoke/mqtt-round-trip';
import { freePort, RunningNatsServer, startNatsServer, testServerSettings } from '../support/nats-server';

describe('smoke step mqtt-qos1 against the real nats-server with the deployed configuration', () => {
  let server: RunningNatsServer;
  let endpoint: string;

  beforeAll(async () => {
    const s = await testServerSettings();
    const config = renderNatsConfig({ ...s, serverName: 'perftool-smoke-test' });
    server = await startNatsServer(config, s);
    endpoint = `${s.host}:${s.mqttPort}`;
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('a QoS 1 message published with MQTT 3.1.1 comes back to the subscriber, given the host:port stack output', async () => {
    await expect(mqttRoundTrip({ endpoint, topic: 'perftool-smoke/smoke-20261124T000000Z-abc123', timeoutMs: 10000 })).resolves.toEqual({
      roundTripMs: expect.any(Number),
    });
    // The message really went through this server.
    const varz = (await (await fetch(`${server.monitorUrl}/varz`)).json()) as { in_msgs: number };
    expect(varz.in_msgs).toBeGreaterThan(0);
  });

  test('an endpoint where nothing listens fails with the URL in the message', async () => {
    const port = await freePort();
    await expect(mqttRoundTrip({ endpoint: `127.0.0.1:${port}`, topic: 'perftool-smoke/x', timeoutMs: 5000 })).rejects.toThrow(
      `cannot connect to mqtt://127.0.0.1:${port} with MQTT 3.1.1`,
    );
  });
});
