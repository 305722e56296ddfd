import { Deployment } from './deployment';
import { OperatorError } from './errors';
import { publisherNameProblem, runnerReadsAsNumber } from '../../viewer-assets/src/model/publisherName';

/** SINETStream service names the perftool runner uses (reference/original-viewer.md §4.2). */
export const TARGET_SERVICE = 'perf-target';
export const RESULT_SERVICE = 'perf-result';

/** File names the original Pi set-up guide uses, so the files drop into its docker compose directory. */
export const SINETSTREAM_CONFIG_FILE = '.sinetstream_config.yml';
export const RUNNER_ENV_FILE = '.env.perftool';

/** One SINETStream service: parameters in the order they are written; a map is a paho-mqtt method's arguments. */
export type ServiceParams = Record<string, string | boolean | Record<string, string>>;

export interface RunnerSettings {
  /** Publisher name the viewer selects by (`name` in each result). */
  name: string;
  /** Seconds between runs, or a schedule expression such as "every 10 minutes at :30". */
  schedule: string;
  outputCount: number;
  numSamples: number;
  payloadSize: number;
}

export const DEFAULT_RUNNER_SETTINGS: Omit<RunnerSettings, 'name'> = { schedule: '60', outputCount: 1, numSamples: 300, payloadSize: 1024 };

export interface PiServices {
  [TARGET_SERVICE]: ServiceParams;
  [RESULT_SERVICE]: ServiceParams;
}

/** The two SINETStream services of a Pi: the MQTT target under test behind the NLB and the Kafka result topic on MSK. */
export function piServices(deployment: Deployment): PiServices {
  const { outputs, bootstrapBrokers, credentials, mqttCredentials } = deployment;
  return {
    [TARGET_SERVICE]: {
      type: 'mqtt',
      brokers: outputs.MqttEndpoint,
      topic: outputs.TargetTopic,
      consistency: 'AT_LEAST_ONCE',
      // SINETStream's MQTT plugin calls paho-mqtt's username_pw_set(**this) (the key of flat config files).
      username_pw_set: { username: mqttCredentials.username, password: mqttCredentials.password },
    },
    [RESULT_SERVICE]: {
      type: 'kafka',
      brokers: bootstrapBrokers,
      topic: outputs.ResultTopic,
      consistency: 'AT_LEAST_ONCE',
      tls: true,
      security_protocol: 'SASL_SSL',
      sasl_mechanism: 'SCRAM-SHA-512',
      sasl_plain_username: credentials.username,
      sasl_plain_password: credentials.password,
    },
  };
}

/** The viewer applies the same rule to the publisher names it accepts (one module for both). */
export function checkRunnerName(name: string): void {
  const problem = publisherNameProblem(name);
  if (problem === 'invalid') {
    throw new OperatorError(`runner name must be 1-200 characters without spaces, quotes, '#', '=' or '$', got ${JSON.stringify(name)}`);
  }
  // The runner turns numeric env values into numbers, and the sink rejects a result whose name is not a string.
  if (problem === 'number') {
    throw new OperatorError(`runner name must not be a number (the runner would send it as one), got ${JSON.stringify(name)}`);
  }
}

export function checkSchedule(schedule: string): void {
  if (!/^[1-9]\d*$/.test(schedule) && !/^every [A-Za-z0-9 :]+$/.test(schedule)) {
    throw new OperatorError(`schedule must be seconds (e.g. 60) or an expression like "every 10 minutes at :30", got ${JSON.stringify(schedule)}`);
  }
}

export function validateRunnerSettings(settings: RunnerSettings): RunnerSettings {
  checkRunnerName(settings.name);
  checkSchedule(settings.schedule);
  for (const [key, value] of [
    ['output count', settings.outputCount],
    ['number of samples', settings.numSamples],
    ['payload size', settings.payloadSize],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new OperatorError(`${key} must be a positive integer, got ${value}`);
  }
  return settings;
}

/** A YAML scalar: JSON's double-quoted strings are valid YAML and need no further escaping rules. */
function yamlScalar(value: string | boolean): string {
  return typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

/** The SINETStream configuration file (`.sinetstream_config.yml` or `~/.config/sinetstream/config.yml`). */
export function renderSinetStreamConfig(services: PiServices, header: string): string {
  const lines = header.split('\n').map((l) => `# ${l}`);
  for (const [service, params] of Object.entries(services)) {
    lines.push(`${service}:`);
    for (const [key, value] of Object.entries(params as ServiceParams)) {
      if (typeof value !== 'object') lines.push(`  ${key}: ${yamlScalar(value)}`);
      else lines.push(`  ${key}:`, ...Object.entries(value).map(([k, v]) => `    ${k}: ${yamlScalar(v)}`));
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * One `KEY=value` line for docker compose env files. Plain values stay unquoted; others are single-quoted, which
 * compose reads literally (no `$` interpolation, no `#` comments). A value that cannot be written safely is refused.
 */
function envLine(key: string, value: string): string {
  if (/^[A-Za-z0-9_.:,/@+=-]*$/.test(value)) return `${key}=${value}`;
  if (/['\n\r]/.test(value)) throw new OperatorError(`${key} contains a quote or line break and cannot be written to an env file safely`);
  return `${key}='${value}'`;
}

/** Environment variables the runner turns back into a SINETStream service: upper-cased key after the prefix, `__` nests. */
export function serviceEnv(prefix: string, params: ServiceParams): [string, string][] {
  return Object.entries(params).flatMap(([key, value]): [string, string][] =>
    typeof value === 'object'
      ? Object.entries(value).map(([k, v]) => [`${prefix}${key.toUpperCase()}__${k.toUpperCase()}`, v])
      : [[`${prefix}${key.toUpperCase()}`, String(value)]],
  );
}

/** The env file the original Pi runner reads (NAME, SCHEDULE, PERFTOOL_*, PERF_TGT_*, PERF_RST_*). */
export function renderRunnerEnv(services: PiServices, settings: RunnerSettings, header: string): string {
  const entries: [string, string][] = [
    ['NAME', settings.name],
    ['SCHEDULE', settings.schedule],
    ['PERFTOOL_OUTPUT_COUNT', String(settings.outputCount)],
    ['PERFTOOL_NUM_SAMPLES', String(settings.numSamples)],
    ['PERFTOOL_PAYLOAD_SIZE', String(settings.payloadSize)],
    ...textOnlyServiceEnv('PERF_TGT_', services[TARGET_SERVICE]),
    ...textOnlyServiceEnv('PERF_RST_', runnerResultParams(services[RESULT_SERVICE])),
  ];
  const lines = [...header.split('\n').map((l) => `# ${l}`), ...entries.map(([k, v]) => envLine(k, v))];
  return `${lines.join('\n')}\n`;
}

/**
 * serviceEnv, refusing a value the runner would turn into a number: paho-mqtt and kafka-python need text (the
 * passwords above all). The error names the variable but not the value (it may be a password).
 */
function textOnlyServiceEnv(prefix: string, params: ServiceParams): [string, string][] {
  const env = serviceEnv(prefix, params);
  for (const [key, value] of env) {
    if (runnerReadsAsNumber(value)) throw new OperatorError(`${key} would reach SINETStream as a number (the runner converts numeric text); use ${SINETSTREAM_CONFIG_FILE} instead`);
  }
  return env;
}

/**
 * The result service as the runner's environment can carry it. The runner turns every value into a number or a
 * string, never a boolean, and SINETStream's Kafka plugin fails on `tls: "true"`; `security_protocol: SASL_SSL`
 * already gives TLS with the system's CA store, so `tls` stays out.
 */
function runnerResultParams(params: ServiceParams): ServiceParams {
  const { tls: _tls, ...rest } = params;
  if (rest.security_protocol !== 'SASL_SSL') throw new OperatorError('the runner env file needs security_protocol SASL_SSL to keep TLS without `tls`');
  return rest;
}

export interface PiConfigFiles {
  [SINETSTREAM_CONFIG_FILE]: string;
  [RUNNER_ENV_FILE]: string;
}

/** Both files for one Pi. Both hold the Pi's Kafka and MQTT passwords. */
export function renderPiConfigFiles(deployment: Deployment, settings: RunnerSettings): PiConfigFiles {
  validateRunnerSettings(settings);
  const services = piServices(deployment);
  const header = [
    `perftool runner "${settings.name}" for stack ${deployment.stackName}, written by "npm run pi-config".`,
    'Contains the Pi\'s Kafka and MQTT passwords: keep it private (mode 0600), never commit it.',
  ].join('\n');
  return {
    [SINETSTREAM_CONFIG_FILE]: renderSinetStreamConfig(services, header),
    [RUNNER_ENV_FILE]: renderRunnerEnv(services, settings, header),
  };
}
