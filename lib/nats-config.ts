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
  /** NATS client protocol port. It has no auth, so it listens on loopback only (MQTT does not need it). Default 4222. */
  clientPort?: number;
  /** Address the MQTT and monitoring listeners bind to. Default 0.0.0.0 (all interfaces of the task). */
  host?: string;
  /** JetStream limits, in bytes (defaults: MQTT_MAX_MEMORY_STORE, MQTT_MAX_FILE_STORE). */
  maxMemoryStore?: number;
  maxFileStore?: number;
}

/** The one MQTT user: the Pi. Its password is the stack's MQTT secret, never part of the configuration text. */
export const MQTT_USERNAME = 'pi';
/** Environment variable through which the ECS task (or a test) gives NATS_START_COMMAND the MQTT password. */
export const MQTT_PASSWORD_ENV = 'MQTT_PASSWORD';
/** Set by NATS_START_COMMAND: the password as a double-quoted string of the NATS configuration language. */
const NATS_PASSWORD_VARIABLE = 'NATS_MQTT_PASSWORD';

/**
 * JetStream holds only MQTT state here: sessions, retained messages and QoS 1 messages not yet delivered, all in
 * file storage (NATS puts no MQTT stream in memory unless `consumer_memory_storage` is set, which it is not).
 * 1 GiB of file store holds a whole perftool run of 1,000 messages of NATS's largest payload (1 MiB) unread, or
 * about 3,400 default runs (300 messages of 1 KiB); it keeps the broker far from the task's 20 GiB disk.
 * The small memory store only bounds what a stray memory-backed stream could take from the 512 MiB task.
 */
export const MQTT_MAX_FILE_STORE = 1024 * 1024 * 1024;
export const MQTT_MAX_MEMORY_STORE = 16 * 1024 * 1024;

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
    `host: "127.0.0.1"`,
    `port: ${clientPort}`,
    `http: ${quote(`${host}:${opts.monitorPort}`)}`,
    '',
    '# MQTT keeps sessions and QoS 1 state in JetStream; a standalone server refuses MQTT without it.',
    'jetstream {',
    `  store_dir: ${quote(opts.storeDir)}`,
    `  max_memory_store: ${opts.maxMemoryStore ?? MQTT_MAX_MEMORY_STORE}`,
    `  max_file_store: ${opts.maxFileStore ?? MQTT_MAX_FILE_STORE}`,
    '}',
    '',
    'mqtt {',
    `  host: ${quote(host)}`,
    `  port: ${opts.mqttPort}`,
    '  # No anonymous clients. The password is read from the environment, where nats-server parses it as config text:',
    '  # NATS_START_COMMAND puts it there quoted, so that any character of it reaches the server as written.',
    '  authorization {',
    `    username: ${quote(MQTT_USERNAME)}`,
    `    password: $${NATS_PASSWORD_VARIABLE}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/**
 * Container command of the NATS task: MQTT has no command-line flags, so the task writes the configuration text
 * (environment variable NATS_CONFIG, from renderNatsConfig) to a file and starts the server from it. The MQTT
 * password (MQTT_PASSWORD_ENV, a secret of the task) is escaped for a double-quoted NATS string (`\` and `"`) and
 * handed over in NATS_PASSWORD_VARIABLE; it is never written to a file. No password, no server: an empty one would
 * let any client in that sends the user name. TMPDIR lets tests run several servers side by side.
 */
export const NATS_START_COMMAND = [
  `: "\${${MQTT_PASSWORD_ENV}:?the MQTT password secret is missing or empty}"`,
  'conf="${TMPDIR:-/tmp}/nats-server.conf"',
  'printf "%s" "$NATS_CONFIG" > "$conf"',
  String.raw`${NATS_PASSWORD_VARIABLE}="\"$(printf "%s" "$${MQTT_PASSWORD_ENV}" | sed 's/[\\"]/\\&/g')\""`,
  `export ${NATS_PASSWORD_VARIABLE}`,
  'exec nats-server -c "$conf"',
].join(' && ');
