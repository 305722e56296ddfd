import { renderNatsConfig } from '../../lib/nats-config';
import { mqttRoundTrip } from '../../lib/operator/smoke/mqtt-round-trip';
import { freePort, RunningNatsServer, startNatsServer, testServerSettings } from '../support/nats-server';

describe('smoke step mqtt-qos1 against the real nats-server with the deployed configuration', () => {
  let server: RunningNatsServer;
  let endpoint: string;
  let credentials: { username: string; password: string };

  beforeAll(async () => {
    const s = await testServerSettings();
    const config = renderNatsConfig({ ...s, serverName: 'perftool-smoke-test' });
    server = await startNatsServer(config, s);
    endpoint = `${s.host}:${s.mqttPort}`;
    credentials = server.mqttCredentials;
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("a QoS 1 message published with MQTT 3.1.1 as the Pi comes back to the subscriber, given the host:port stack output", async () => {
    await expect(mqttRoundTrip({ endpoint, topic: 'perftool-smoke/smoke-20261124T000000Z-abc123', credentials, timeoutMs: 10000 })).resolves.toEqual({
      roundTripMs: expect.any(Number),
    });
    // The message really went through this server.
    const varz = (await (await fetch(`${server.monitorUrl}/varz`)).json()) as { in_msgs: number };
    expect(varz.in_msgs).toBeGreaterThan(0);
  });

  test('an endpoint where nothing listens fails with the URL in the message', async () => {
    const port = await freePort();
    await expect(mqttRoundTrip({ endpoint: `127.0.0.1:${port}`, topic: 'perftool-smoke/x', credentials, timeoutMs: 5000 })).rejects.toThrow(
      `cannot connect to mqtt://127.0.0.1:${port} with MQTT 3.1.1`,
    );
  });

  test('without the Pi password the broker refuses the round trip, and the error names the user but not the password', async () => {
    const wrong = { username: credentials.username, password: 'not-the-secret' };
    const error = await mqttRoundTrip({ endpoint, topic: 'perftool-smoke/x', credentials: wrong, timeoutMs: 5000 }).then(() => undefined, (e: Error) => e);
    expect(error?.message).toMatch(/^cannot connect to mqtt:\/\/127\.0\.0\.1:\d+ with MQTT 3\.1\.1 as user pi \(is the Pi MQTT secret .*\): .*Not authorized/);
    expect(error?.message).not.toContain('not-the-secret');
  });
});
