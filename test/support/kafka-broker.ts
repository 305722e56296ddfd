import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls = require('node:tls');
import type { KafkaConfig } from 'kafkajs';
import { logLevel } from 'kafkajs';
import { BOOTSTRAP_BROKER_PROPERTIES, KAFKA_USERS, KafkaUserRole, renderLockedBrokerProperties } from '../../lib/kafka-properties';
import { freePort } from '../../lib/dev/embedded-postgres';
import { requireProgram } from './prerequisites';
import { kafkaClasspath } from './test-deps';

/** The broker's own principal: the only super user, as on MSK (whose operators are not Kafka users at all). */
const BROKER_USER = 'broker';
/** MSK brokers answer on host names; the certificate names localhost (and 127.0.0.1). */
const HOST = 'localhost';

export interface ScramUser {
  username: string;
  password: string;
}

export interface KafkaBroker {
  /** `localhost:<port>`: the SASL_SSL (SCRAM-SHA-512) listener, like MSK's public bootstrap string. */
  bootstrapBrokers: string;
  /** PEM of the throwaway CA that signed the broker's certificate, and a file holding it. */
  caPem: string;
  caFile: string;
  /** SCRAM-SHA-512 users named as lib/kafka-properties.ts names them. */
  users: Record<KafkaUserRole, ScramUser>;
  /** The SecretString of each AmazonMSK_* secret (`{"username":…,"password":…}`), as lib/constructs/kafka.ts makes it. */
  secretString(role: KafkaUserRole): string;
  /** Current value of allow.everyone.if.no.acl.found. */
  readonly allowEveryoneIfNoAclFound: boolean;
  /** Milliseconds from launching the JVM (after formatting storage) to the broker accepting clients, per start. */
  readonly startupMs: number[];
  /**
   * Applies the Locked configuration (allow.everyone.if.no.acl.found=false) by restarting the broker, as MSK applies a
   * configuration revision by rolling its brokers. A restart, not a dynamic config change: Kafka's
   * StandardAuthorizer is not Reconfigurable, so it reads allow.everyone.if.no.acl.found only when it starts.
   */
  applyLockedConfiguration(): Promise<void>;
  /**
   * Gives a user a new SCRAM-SHA-512 password through the Admin API (AlterUserScramCredentials, as the broker's
   * super user), as MSK does when the user's AmazonMSK_* secret gets a new value.
   */
  setPassword(role: KafkaUserRole, password: string): Promise<void>;
  /** kafkajs settings for a user (TLS trusting the test CA). */
  kafkaConfig(user: ScramUser, clientId?: string): KafkaConfig;
  /** What the broker printed lately (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

export interface KafkaBrokerOptions {
  /** Passwords instead of generated ones (generated: 32 letters and digits, as excludePunctuation makes them). */
  passwords?: Partial<Record<KafkaUserRole, string>>;
  startTimeoutMs?: number;
}

/** Like Secrets Manager's generateSecretString with excludePunctuation and passwordLength 32. */
function generatedPassword(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(32), (b) => alphabet[b % alphabet.length]).join('');
}

/** A CA made for this broker only, and the broker's certificate (localhost, 127.0.0.1) signed by it. */
function makeCertificates(dir: string): { caFile: string; keystoreFile: string } {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=perftool test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  ssl('req', ...ec, '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', `/CN=${HOST}`);
  writeFileSync(join(dir, 'broker.ext'), `subjectAltName=DNS:${HOST},IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n`);
  ssl('x509', '-req', '-in', 'broker.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'broker.crt', '-days', '2', '-extfile', 'broker.ext');
  const keystoreFile = join(dir, 'broker-keystore.pem');
  // Kafka's PEM key store: the PKCS#8 key, then the certificate chain.
  writeFileSync(keystoreFile, ['broker.key', 'broker.crt', 'ca.pem'].map((f) => readFileSync(join(dir, f), 'utf8')).join(''));
  rmSync(join(dir, 'ca.key'));
  return { caFile: join(dir, 'ca.pem'), keystoreFile };
}

const jaasQuote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * A real Apache Kafka broker (KRaft, one node as broker and controller) on free loopback ports, configured like MSK's
 * public endpoint: SASL_SSL with SCRAM-SHA-512 only, the standard authorizer, the broker the only super user, and
 * the broker properties the stack deploys (lib/kafka-properties.ts): the Bootstrap text first, the Locked text on
 * applyLockedConfiguration(). The controller listener is internal (loopback, SASL/PLAIN for the broker alone).
 */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  requireProgram('java', 'Java 17+ (runs the Kafka broker)', 'sudo apt-get install -y openjdk-17-jre-headless');
  requireProgram('openssl', 'OpenSSL (makes the broker\'s test CA)', 'sudo apt-get install -y openssl');
  const classpath = kafkaClasspath();
  const dir = mkdtempSync(join(tmpdir(), 'perftool-kafka-'));
  // One cleanup for every step that can fail before the broker is handed out (certificates, storage, first start).
  try {
    return await startIn(dir, classpath, options);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function startIn(dir: string, classpath: string, options: KafkaBrokerOptions): Promise<KafkaBroker> {
  const { caFile, keystoreFile } = makeCertificates(dir);
  const caPem = readFileSync(caFile, 'utf8');
  const port = await freePort();
  const controllerPort = await freePort();
  const brokerPassword = generatedPassword();
  const users = Object.fromEntries(
    (Object.keys(KAFKA_USERS) as KafkaUserRole[]).map((role) => [role, { username: KAFKA_USERS[role], password: options.passwords?.[role] ?? generatedPassword() }]),
  ) as Record<KafkaUserRole, ScramUser>;

  let allowEveryone = true;
  const propertiesFile = join(dir, 'server.properties');
  const writeProperties = () => {
    const harness = [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=SASL_SSL://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=SASL_SSL://${HOST}:${port}`,
      'listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT',
      'inter.broker.listener.name=SASL_SSL',
      'controller.listener.names=CONTROLLER',
      'sasl.enabled.mechanisms=SCRAM-SHA-512',
      'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
      `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=${jaasQuote(BROKER_USER)} password=${jaasQuote(brokerPassword)};`,
      'sasl.mechanism.controller.protocol=PLAIN',
      'listener.name.controller.sasl.enabled.mechanisms=PLAIN',
      `listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=${jaasQuote(BROKER_USER)} password=${jaasQuote(brokerPassword)} user_${BROKER_USER}=${jaasQuote(brokerPassword)};`,
      'ssl.keystore.type=PEM',
      `ssl.keystore.location=${keystoreFile}`,
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${caFile}`,
      'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      `super.users=User:${BROKER_USER}`,
      `log.dirs=${join(dir, 'data')}`,
      // One node: internal topics cannot have more replicas.
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
    ];
    // The stack's own broker properties come last, so they win over any harness default.
    const product = allowEveryone ? BOOTSTRAP_BROKER_PROPERTIES : renderLockedBrokerProperties({ replicationFactor: 1 });
    writeFileSync(propertiesFile, `${harness.join('\n')}\n${product}`, { mode: 0o600 });
  };
  writeFileSync(
    join(dir, 'log4j.properties'),
    ['log4j.rootLogger=INFO, stdout', 'log4j.appender.stdout=org.apache.log4j.ConsoleAppender', 'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout', 'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n', ''].join('\n'),
  );
  const jvm = ['-Xms256m', '-Xmx768m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true', `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`, '-cp', classpath];

  writeProperties();
  // SCRAM credentials in the first metadata records (KIP-900): the broker's own, and the three users MSK would
  // create from the AmazonMSK_* secrets (username and password from the secret, SCRAM-SHA-512, 4096 iterations).
  const scram = [{ username: BROKER_USER, password: brokerPassword }, ...Object.values(users)].flatMap((u) => ['--add-scram', `SCRAM-SHA-512=[name=${u.username},password=${jaasQuote(u.password)}]`]);
  try {
    execFileSync('java', [...jvm, 'kafka.tools.StorageTool', 'format', '-t', randomUUID(), '-c', propertiesFile, ...scram], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`kafka-storage format failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }

  let child: ChildProcess | undefined;
  let log: string[] = [];
  const startupMs: number[] = [];
  const output = () => log.slice(-80).join('\n');

  const launch = async () => {
    const started = performance.now();
    log = [];
    const proc = spawn('java', [...jvm, 'kafka.Kafka', propertiesFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    // A test process that dies without stop() must not leave the JVM behind.
    const killOnExit = () => proc.kill('SIGKILL');
    process.once('exit', killOnExit);
    proc.once('exit', () => process.removeListener('exit', killOnExit));
    let ready: () => void;
    let failed: (e: Error) => void;
    const readyPromise = new Promise<void>((resolve, reject) => ((ready = resolve), (failed = reject)));
    const onData = (d: Buffer) => {
      for (const line of d.toString().split('\n')) {
        if (!line) continue;
        log.push(line);
        if (log.length > 2000) log = log.slice(-500);
        if (line.includes('Kafka Server started')) ready();
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code, signal) => failed(new Error(`Kafka broker exited (${signal ?? code}) before it started:\n${output()}`)));
    const timeoutMs = options.startTimeoutMs ?? 90_000;
    const timer = setTimeout(() => failed(new Error(`Kafka broker not started after ${timeoutMs} ms:\n${output()}`)), timeoutMs);
    try {
      await readyPromise;
    } catch (err) {
      proc.kill('SIGKILL');
      throw err;
    } finally {
      clearTimeout(timer);
    }
    startupMs.push(Math.round(performance.now() - started));
  };

  const halt = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };

  await launch();

  return {
    bootstrapBrokers: `${HOST}:${port}`,
    caPem,
    caFile,
    users,
    secretString: (role) => JSON.stringify(users[role]),
    get allowEveryoneIfNoAclFound() {
      return allowEveryone;
    },
    startupMs,
    async applyLockedConfiguration() {
      await halt();
      allowEveryone = false;
      writeProperties();
      await launch();
    },
    async setPassword(role, password) {
      if (/[,\]=]/.test(password)) throw new Error('kafka-configs cannot pass a SCRAM password containing "," "]" or "="');
      const clientProperties = join(dir, 'broker-client.properties');
      writeFileSync(
        clientProperties,
        [
          'security.protocol=SASL_SSL',
          'sasl.mechanism=SCRAM-SHA-512',
          `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=${jaasQuote(BROKER_USER)} password=${jaasQuote(brokerPassword)};`,
          'ssl.truststore.type=PEM',
          `ssl.truststore.location=${caFile}`,
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      const args = ['kafka.admin.ConfigCommand', '--bootstrap-server', `${HOST}:${port}`, '--command-config', clientProperties, '--alter', '--entity-type', 'users', '--entity-name', users[role].username];
      await new Promise<void>((resolve, reject) => {
        const proc = spawn('java', [...jvm, ...args, '--add-config', `SCRAM-SHA-512=[password=${password}]`], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        proc.stdout.on('data', (d) => (out += d));
        proc.stderr.on('data', (d) => (out += d));
        proc.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kafka-configs --alter (SCRAM password of ${users[role].username}) exited ${code}:\n${out}`))));
      });
      users[role] = { ...users[role], password };
    },
    kafkaConfig: (user, clientId = 'perftool-test') => ({
      clientId,
      brokers: [`${HOST}:${port}`],
      ssl: { ca: [caPem] },
      sasl: { mechanism: 'scram-sha-512', username: user.username, password: user.password },
      connectionTimeout: 10_000,
      retry: { retries: 2, initialRetryTime: 200 },
      logLevel: logLevel.NOTHING,
    }),
    output,
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Makes every TLS connection of this process that names no CA of its own trust the test CA besides the public
 * ones, as production code (`ssl: true`) trusts Amazon's CA through Node's store. Returns the undo.
 */
export function trustCaForDefaultTls(caPem: string): () => void {
  const original = tls.connect;
  const patched = ((...args: unknown[]) => {
    const i = args.findIndex((a) => typeof a === 'object' && a !== null);
    if (i >= 0 && !(args[i] as tls.ConnectionOptions).ca) args[i] = { ...(args[i] as object), ca: [...tls.rootCertificates, caPem] };
    return (original as (...a: unknown[]) => tls.TLSSocket).apply(tls, args);
  }) as typeof tls.connect;
  (tls as { connect: typeof tls.connect }).connect = patched;
  return () => {
    (tls as { connect: typeof tls.connect }).connect = original;
  };
}
