/**
 * The one NATS server configuration of the MQTT target. The ECS task and the tests that run the real nats-server
 * both use this text, so what is tested is what is deployed.
 */
export interface NatsConfigOptions {
  /** MQTT 3.1.1 listener port (the NLB forwards the configured MQTT port to it). */
  mqttPort: number;
  /** HTTP monitoring port; serves /healthz for the load balancer health check. It has no auth: never expose it. */
  monitorPort: number;
  /** Stable server name: JetStream identifies its state by it, and clustered MQTT requires it. */
  serverName: string;
  /** JetStream file store directory (MQTT sessions, QoS 1 messages and retained messages live there). */
  storeDir: string;
  /** NATS client protocol port; not published through the load balancer. Default 4222. */
  clientPort?: number;
  /** Address every listener binds to. Default 0.0.0.0 (all interfaces of the task). */
  host?: string;
  /** JetStream limits, in bytes. Defaults suit a 0.5 GiB Fargate task with its 20 GiB ephemeral disk. */
  maxMemoryStore?: number;
  maxFileStore?: number;
}

const DEFAULT_MAX_MEMORY_STORE = 64 * 1024 * 1024;
const DEFAULT_MAX_FILE_STORE = 4 * 1024 * 1024 * 1024;

function checkPort(name: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`NATS config: ${name} must be an integer port 1-65535, got ${port}`);
  }
}

/** Quotes a string for the NATS configuration language (JSON-style double-quoted strings). */
function quote(value: string): string {
  return JSON.stringify(value);
}

export function renderNatsConfig(opts: NatsConfigOptions): string {
  const host = opts.host ?? '0.0.0.0';
  const clientPort = opts.clientPort ?? 4222;
  checkPort('mqttPort', opts.mqttPort);
  checkPort('monitorPort', opts.monitorPort);
  checkPort('clientPort', clientPort);
  if (new Set([opts.mqttPort, opts.monitorPort, clientPort]).size !== 3) {
    throw new Error(`NATS config: mqttPort, monitorPort and clientPort must differ, got ${opts.mqttPort}, ${opts.monitorPort}, ${clientPort}`);
  }
  if (!/^[A-Za-z0-9_-]+$/.test(opts.serverName)) {
    throw new Error(`NATS config: serverName must be letters, digits, '-' or '_', got ${quote(opts.serverName)}`);
  }
  if (opts.storeDir.length === 0) throw new Error('NATS config: storeDir must not be empty');
  return [
    `server_name: ${quote(opts.serverName)}`,
    `host: ${quote(host)}`,
    `port: ${clientPort}`,
    `http: ${quote(`${host}:${opts.monitorPort}`)}`,
    '',
    '# MQTT keeps sessions and QoS 1 state in JetStream; a standalone server refuses MQTT without it.',
    'jetstream {',
    `  store_dir: ${quote(opts.storeDir)}`,
    `  max_memory_store: ${opts.maxMemoryStore ?? DEFAULT_MAX_MEMORY_STORE}`,
    `  max_file_store: ${opts.maxFileStore ?? DEFAULT_MAX_FILE_STORE}`,
    '}',
    '',
    'mqtt {',
    `  host: ${quote(host)}`,
    `  port: ${opts.mqttPort}`,
    '}',
    '',
  ].join('\n');
}

/**
 * Container command of the NATS task: MQTT has no command-line flags, so the task writes the configuration text
 * (environment variable NATS_CONFIG, from renderNatsConfig) to a file and starts the server from it.
 */
export const NATS_START_COMMAND = 'printf "%s" "$NATS_CONFIG" > /tmp/nats-server.conf && exec nats-server -c /tmp/nats-server.conf';
