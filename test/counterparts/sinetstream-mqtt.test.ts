import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderNatsConfig } from '../../lib/nats-config';
import { RUNNER_ENV_FILE, SINETSTREAM_CONFIG_FILE, TARGET_SERVICE } from '../../lib/operator/pi-config';
import { piConfigMain } from '../../lib/operator/pi-config-cli';
import { captureIo, mockDeployedStack } from '../operator/aws-fixture';
import { RunningNatsServer, startNatsServer, testServerSettings } from '../support/nats-server';
import { SINETSTREAM_VERSIONS, sinetStreamVenv } from '../support/test-deps';
import { runPython } from '../support/venv-python';

/**
 * The Pi's side of the measured broker, with the real SINETStream MQTT plugin (paho-mqtt underneath): what perftool
 * does (a MessageReader on a thread, a MessageWriter publishing BYTE_ARRAY messages, both from the service's
 * config), against the real nats-server started exactly as the ECS task starts it, with the files pi-config writes.
 */

/**
 * The Pi's MQTT password: characters YAML, env files, the runner's conversion or NATS's config language could eat.
 * The single quote is tried separately: the env file cannot carry it (pi-config refuses it), which is one reason the
 * generated password is letters and digits only.
 */
const PI_MQTT_PASSWORD = `p$a.s-s#w-rd`;
const QUOTE_PASSWORD = `p$a.s-s'w#rd`;
const MESSAGES = 50;

/**
 * The runner's start (original runner's scripts/parseargs.py), reproduced in test/support/python: .env.perftool as
 * docker compose passes it, PERF_TGT_* turned into the perf-target service, written to .sinetstream_config.yml.
 */
const RUNNER_ENV_TO_CONFIG = `
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from perftool_result_writer import compose_env_file, runner_service
service = runner_service(compose_env_file(Path('${RUNNER_ENV_FILE}').read_text()), prefix='PERF_TGT_')
Path('${SINETSTREAM_CONFIG_FILE}').write_text(json.dumps({sys.argv[1]: service}))
`;
const PYTHON_SUPPORT = join(__dirname, '..', 'support', 'python');

/** Reader thread + writer as perftool's sync mode; prints what the reader got and both plugins' QoS. */
const EXCHANGE = `
import json, sys, threading, time
from sinetstream import MessageReader, MessageWriter, BYTE_ARRAY
service, count = sys.argv[1], int(sys.argv[2])
got, errors = [], []
ready = threading.Event()
def read():
    try:
        with MessageReader(service, value_type=BYTE_ARRAY, receive_timeout_ms=20000) as reader:
            got.append(('qos', reader._debug_get_plugin().qos))
            ready.set()
            for message in reader:
                got.append(('msg', message.value.decode()))
                if sum(1 for kind, v in got if kind == 'msg' and v.startswith('m-')) >= count:
                    break
    except Exception as e:
        errors.append(f'{type(e).__name__}: {e}')
        ready.set()
thread = threading.Thread(target=read, daemon=True)
thread.start()
ready.wait(30)
writer_qos = None
if not errors:
    with MessageWriter(service, value_type=BYTE_ARRAY) as writer:
        writer_qos = writer._debug_get_plugin().qos
        # The reader subscribes once connected: probe until one probe arrives, then send the numbered messages.
        deadline = time.time() + 20
        while not any(kind == 'msg' for kind, _ in got) and time.time() < deadline and thread.is_alive():
            writer.publish(b'probe')
            time.sleep(0.1)
        for i in range(count):
            writer.publish(f'm-{i}'.encode())
    thread.join(30)
print(json.dumps({
    'writerQos': writer_qos,
    'readerQos': next((v for kind, v in got if kind == 'qos'), None),
    'received': [v for kind, v in got if kind == 'msg' and v.startswith('m-')],
    'errors': errors,
}))
`;

/** Opens a MessageWriter; prints the error SINETStream raises, or null. */
const OPEN_WRITER = `
import json, sys
from sinetstream import MessageWriter, BYTE_ARRAY
try:
    with MessageWriter(sys.argv[1], value_type=BYTE_ARRAY) as writer:
        error = None
except Exception as e:
    error = f'{type(e).__name__}: {e}'
print(json.dumps({'error': error}))
`;

interface Exchange {
  writerQos: number | null;
  readerQos: number | null;
  received: string[];
  errors: string[];
}

/** QoS 1 publishes are kept in NATS's $MQTT_msgs stream; QoS 0 ones never reach JetStream. */
async function storedQos1Publishes(server: RunningNatsServer): Promise<number> {
  const jsz = (await (await fetch(`${server.monitorUrl}/jsz?accounts=true&streams=true`)).json()) as {
    account_details?: { stream_detail?: { name: string; state: { last_seq: number } }[] }[];
  };
  const streams = (jsz.account_details ?? []).flatMap((a) => a.stream_detail ?? []);
  return streams.find((s) => s.name === '$MQTT_msgs')?.state.last_seq ?? 0;
}

describe.each(SINETSTREAM_VERSIONS)('SINETStream %s MQTT client through the deployed NATS configuration', (version) => {
  const venv = sinetStreamVenv(version);
  let server: RunningNatsServer;
  let files: Record<string, string>;

  beforeAll(async () => {
    const s = await testServerSettings();
    server = await startNatsServer(renderNatsConfig({ ...s, serverName: 'sinetstream-mqtt' }), { ...s, mqttPassword: PI_MQTT_PASSWORD });
    const aws = mockDeployedStack({ outputs: { MqttEndpoint: `${s.host}:${s.mqttPort}` }, mqttPassword: PI_MQTT_PASSWORD });
    const outDir = await mkdtemp(join(tmpdir(), 'pi-config-mqtt-'));
    try {
      const out = captureIo();
      const code = await piConfigMain(['--out-dir', outDir, '--name', 'pi-mqtt-test'], out.io, aws.clients);
      if (code !== 0) throw new Error(`pi-config failed: ${out.stderr}`);
      files = {
        [SINETSTREAM_CONFIG_FILE]: await readFile(join(outDir, SINETSTREAM_CONFIG_FILE), 'utf8'),
        [RUNNER_ENV_FILE]: await readFile(join(outDir, RUNNER_ENV_FILE), 'utf8'),
      };
    } finally {
      aws.restore();
      await rm(outDir, { recursive: true, force: true });
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** Runs the exchange in a directory holding only `file` (as on the Pi); an env file goes through the runner first. */
  async function exchangeWith(file: typeof SINETSTREAM_CONFIG_FILE | typeof RUNNER_ENV_FILE, text: string, broker = server): Promise<Exchange> {
    const before = await storedQos1Publishes(broker);
    const result = await runPython<Exchange>({
      venv,
      script: file === RUNNER_ENV_FILE ? RUNNER_ENV_TO_CONFIG + EXCHANGE : EXCHANGE,
      args: [TARGET_SERVICE, String(MESSAGES), PYTHON_SUPPORT],
      files: { [file]: text },
      timeoutMs: 90_000,
    });
    expect(result.errors).toEqual([]);
    expect(result.received).toEqual(Array.from({ length: MESSAGES }, (_, i) => `m-${i}`));
    expect({ writerQos: result.writerQos, readerQos: result.readerQos }).toEqual({ writerQos: 1, readerQos: 1 });
    // The broker saw them as QoS 1 publishes (the probes come on top).
    expect((await storedQos1Publishes(broker)) - before).toBeGreaterThanOrEqual(MESSAGES);
    return result;
  }

  test(`${SINETSTREAM_CONFIG_FILE}: a MessageWriter and a MessageReader exchange every message at QoS 1 (AT_LEAST_ONCE)`, async () => {
    expect(files[SINETSTREAM_CONFIG_FILE]).toContain('consistency: "AT_LEAST_ONCE"');
    await exchangeWith(SINETSTREAM_CONFIG_FILE, files[SINETSTREAM_CONFIG_FILE]);
  });

  test(`${RUNNER_ENV_FILE} through the runner's conversion: the same`, async () => {
    expect(files[RUNNER_ENV_FILE]).toContain('PERF_TGT_CONSISTENCY=AT_LEAST_ONCE');
    await exchangeWith(RUNNER_ENV_FILE, files[RUNNER_ENV_FILE]);
  });

  test(`a password with a single quote works in ${SINETSTREAM_CONFIG_FILE}; pi-config refuses to put it in ${RUNNER_ENV_FILE}`, async () => {
    const s = await testServerSettings();
    const quoteServer = await startNatsServer(renderNatsConfig({ ...s, serverName: 'quote' }), { ...s, mqttPassword: QUOTE_PASSWORD });
    try {
      const config = files[SINETSTREAM_CONFIG_FILE]
        .replace(JSON.stringify(PI_MQTT_PASSWORD), JSON.stringify(QUOTE_PASSWORD))
        .replace(/brokers: "127\.0\.0\.1:\d+"/, `brokers: "${s.host}:${s.mqttPort}"`);
      expect(config).toContain(`brokers: "${s.host}:${s.mqttPort}"`);
      await exchangeWith(SINETSTREAM_CONFIG_FILE, config, quoteServer);
    } finally {
      await quoteServer.stop();
    }

    const aws = mockDeployedStack({ mqttPassword: QUOTE_PASSWORD });
    const outDir = await mkdtemp(join(tmpdir(), 'pi-config-quote-'));
    try {
      const out = captureIo();
      expect(await piConfigMain(['--out-dir', outDir], out.io, aws.clients)).toBe(1);
      expect(out.stderrLines()).toEqual([expect.stringMatching(/^pi-config: error: PERF_TGT_USERNAME_PW_SET__PASSWORD contains a quote/)]);
      expect(out.stderr).not.toContain(QUOTE_PASSWORD);
    } finally {
      aws.restore();
      await rm(outDir, { recursive: true, force: true });
    }
  });

  test('the same file with another password, or without the login, is refused when the writer opens', async () => {
    const wrong = files[SINETSTREAM_CONFIG_FILE].replace(JSON.stringify(PI_MQTT_PASSWORD), JSON.stringify(`${PI_MQTT_PASSWORD}x`));
    const anonymous = files[SINETSTREAM_CONFIG_FILE].replace(/ {2}username_pw_set:\n( {4}.*\n)+/, '');
    expect(wrong).not.toBe(files[SINETSTREAM_CONFIG_FILE]);
    expect(anonymous).not.toContain('username_pw_set');
    for (const config of [wrong, anonymous]) {
      const { error } = await runPython<{ error: string | null }>({ venv, script: OPEN_WRITER, args: [TARGET_SERVICE], files: { [SINETSTREAM_CONFIG_FILE]: config } });
      expect(error).toMatch(/ConnectionError: .*not authori[sz]ed/i);
    }
  });
});
