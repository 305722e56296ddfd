import mqtt from 'mqtt';

export interface RoundTripOptions {
  /** `host:port` (the stack's MqttEndpoint) or a full mqtt:// URL. */
  endpoint: string;
  topic: string;
  /** The Pi's MQTT login (the stack's Pi MQTT secret): NATS refuses anonymous clients. */
  credentials: { username: string; password: string };
  timeoutMs: number;
}

/**
 * Connects with MQTT 3.1.1 (all NATS speaks) as the Pi, subscribes with QoS 1, publishes one QoS 1 message to the same
 * topic and waits for it to come back. Returns the time from publish to delivery.
 */
export async function mqttRoundTrip(opts: RoundTripOptions): Promise<{ roundTripMs: number }> {
  const url = /^mqtts?:\/\//.test(opts.endpoint) ? opts.endpoint : `mqtt://${opts.endpoint}`;
  const payload = `perftool smoke ${opts.topic} ${Date.now()}`;
  let client: mqtt.MqttClient;
  try {
    // No retries: a closed connection rejects at once instead of reconnecting forever.
    client = await mqtt.connectAsync(
      url,
      {
        protocolVersion: 4,
        clean: true,
        clientId: `perftool-smoke-${Math.random().toString(16).slice(2, 10)}`,
        username: opts.credentials.username,
        password: opts.credentials.password,
        connectTimeout: opts.timeoutMs,
        reconnectPeriod: 0,
      },
      false,
    );
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const hint = /Not authorized|Bad username or password/i.test(message) ? ` as user ${opts.credentials.username} (is the Pi MQTT secret the one the NATS task started with?)` : '';
    throw new Error(`cannot connect to ${url} with MQTT 3.1.1${hint}: ${message}`);
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const granted = await client.subscribeAsync(opts.topic, { qos: 1 });
    if (granted[0]?.qos !== 1) throw new Error(`the broker granted QoS ${granted[0]?.qos} instead of 1 on ${opts.topic}`);
    const delivered = new Promise<number>((resolve, reject) => {
      client.on('message', (topic, message) => {
        if (topic === opts.topic && message.toString() === payload) resolve(Date.now());
      });
      timer = setTimeout(() => reject(new Error(`the QoS 1 message did not come back within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    });
    const sentAt = Date.now();
    await client.publishAsync(opts.topic, payload, { qos: 1 });
    return { roundTripMs: (await delivered) - sentAt };
  } finally {
    clearTimeout(timer);
    await client.endAsync(true);
  }
}
