import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MissingTestDependency, SETUP_COMMAND, SINETSTREAM_VERSIONS, kafkaClasspath, sinetStreamVenv, venvPython } from '../support/test-deps';
import { PythonRunError, runPython } from '../support/venv-python';

describe('test dependencies installed by setup-test-deps.sh', () => {
  it('the Kafka classpath holds the pinned broker and its runtime', () => {
    const jars = kafkaClasspath().split(':').map((p) => p.split('/').pop());
    expect(jars).toEqual(expect.arrayContaining(['kafka_2.13-3.9.1.jar', 'kafka-clients-3.9.1.jar', 'scala-library-2.13.15.jar']));
  });

  it.each(SINETSTREAM_VERSIONS)('venv sinetstream-%s runs the pinned SINETStream with both plugins', async (version) => {
    const found = await runPython<Record<string, string>>({
      venv: sinetStreamVenv(version),
      script: [
        'import json, importlib.metadata as m',
        'import sinetstream',
        'print(json.dumps({p: m.version(p) for p in ("sinetstream", "sinetstream-kafka", "sinetstream-mqtt")}))',
      ].join('\n'),
    });
    expect(found).toEqual({ sinetstream: version, 'sinetstream-kafka': version, 'sinetstream-mqtt': version });
  });

  it('a failing snippet reports its exit and the end of stderr', async () => {
    const run = runPython({ venv: sinetStreamVenv('1.10.0'), script: 'import sys\nprint("boom", file=sys.stderr)\nsys.exit(3)' });
    await expect(run).rejects.toThrow(PythonRunError);
    await expect(run).rejects.toThrow(/exited 3:\nboom/);
  });

  it('a missing install fails fast with one line naming what and the command that installs it', () => {
    const empty = mkdtempSync(join(tmpdir(), 'perftool-cache-'));
    const saved = process.env.PERFTOOL_TEST_CACHE;
    process.env.PERFTOOL_TEST_CACHE = empty;
    try {
      expect(() => venvPython('sinetstream-1.10.0')).toThrow(MissingTestDependency);
      expect(() => kafkaClasspath()).toThrow(new RegExp(`^Apache Kafka \\(Maven\\) is not installed \\(${empty}/kafka-[0-9a-f]{16}\\): run \`${SETUP_COMMAND}\`$`));
    } finally {
      if (saved === undefined) delete process.env.PERFTOOL_TEST_CACHE;
      else process.env.PERFTOOL_TEST_CACHE = saved;
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
