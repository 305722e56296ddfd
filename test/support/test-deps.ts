import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

/**
 * Where test/support/setup-test-deps.sh installed the real counterparts (Kafka jars, Python virtualenvs).
 * The directory names are computed exactly as the script does, so a changed pin is never served by a stale install.
 */
const REPO = resolve(__dirname, '../..');
export const SETUP_COMMAND = 'bash test/support/setup-test-deps.sh';

function testCacheDir(): string {
  return process.env.PERFTOOL_TEST_CACHE || join(homedir(), '.cache', 'perftool-test');
}

/** First 16 hex digits of the pin file's SHA-256 (setup-test-deps.sh: pin_key). */
function pinKey(repoPath: string): string {
  return createHash('sha256').update(readFileSync(join(REPO, repoPath))).digest('hex').slice(0, 16);
}

export class MissingTestDependency extends Error {
  constructor(what: string, path: string) {
    super(`${what} is not installed (${path}): run \`${SETUP_COMMAND}\``);
    this.name = 'MissingTestDependency';
  }
}

function installed(what: string, dir: string): string {
  if (!existsSync(join(dir, '.complete'))) throw new MissingTestDependency(what, dir);
  return dir;
}

/** The Java classpath of the Kafka broker pinned in test/support/kafka/pom.xml. */
export function kafkaClasspath(): string {
  const libs = join(installed('Apache Kafka (Maven)', join(testCacheDir(), `kafka-${pinKey('test/support/kafka/pom.xml')}`)), 'libs');
  return readdirSync(libs)
    .filter((f) => f.endsWith('.jar'))
    .map((f) => join(libs, f))
    .join(delimiter);
}

/** The python executable of virtualenv `name`, pinned by test/support/python/<requirements> (default `<name>.txt`). */
export function venvPython(name: string, requirements = `test/support/python/${name}.txt`): string {
  return join(installed(`Python virtualenv ${name}`, join(testCacheDir(), `venv-${name}-${pinKey(requirements)}`)), 'bin', 'python');
}

/** SINETStream versions the tests run against: the current release and the one the original Pi runner pins. */
export const SINETSTREAM_VERSIONS = ['1.10.0', '1.9.1'] as const;
export type SinetStreamVersion = (typeof SINETSTREAM_VERSIONS)[number];
export const sinetStreamVenv = (version: SinetStreamVersion) => `sinetstream-${version}`;
