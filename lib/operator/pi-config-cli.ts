import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CliIo, DEFAULT_STACK_NAME, positiveInteger, runCli, STACK_OPTIONS } from './cli';
import { AwsClients, createAwsClients, resolveDeployment } from './deployment';
import { filesGitWouldTrack } from './git-ignore-check';
import { checkRunnerName, checkSchedule, DEFAULT_RUNNER_SETTINGS, renderPiConfigFiles, RunnerSettings } from './pi-config';
import { writeSecretFile } from './secret-file';

export const PI_CONFIG_USAGE = `Usage: npm run pi-config -- [options]

Writes the SINETStream config file and the perftool runner env file for one Raspberry Pi,
from the deployed stack's outputs, the MSK public bootstrap brokers and the Pi's SCRAM secret.

Options:
  --stack NAME          CloudFormation stack name (default ${DEFAULT_STACK_NAME})
  --region REGION       AWS region (default: AWS_REGION or the profile's region)
  --out-dir DIR         where to write the files (default ./pi-config, which git ignores; the folder is made 0700)
  --name NAME           runner name shown in the viewer (default: the stack's target topic)
  --schedule S          seconds between runs, or e.g. "every 10 minutes at :30" (default ${DEFAULT_RUNNER_SETTINGS.schedule})
  --output-count N      perftool --output-count (default ${DEFAULT_RUNNER_SETTINGS.outputCount})
  --num-samples N       perftool --num-samples (default ${DEFAULT_RUNNER_SETTINGS.numSamples})
  --payload-size N      perftool --payload-size in bytes (default ${DEFAULT_RUNNER_SETTINGS.payloadSize})
  --print               print both files to stdout instead of writing them
  -h, --help            show this help
`;

/**
 * The files hold the Pi's passwords: say so on stderr when git could commit them or other users can open the
 * folder. Warnings only: the operator chose the folder, and the files themselves are always 0600.
 */
async function warnIfExposed(outDir: string, files: string[], io: CliIo): Promise<void> {
  const tracked = await filesGitWouldTrack(outDir, files);
  if (tracked && tracked.files.length > 0) {
    io.stderr(
      `pi-config: warning: ${outDir} is inside the git work tree ${tracked.workTree}, which does not ignore ${tracked.files.join(', ')}: ` +
        `the Pi's passwords could be committed. Add the folder to .gitignore or choose one outside the repository.\n`,
    );
  }
  const mode = await stat(outDir).then((s) => s.mode & 0o777, () => undefined);
  if (mode !== undefined && (mode & 0o077) !== 0) {
    io.stderr(`pi-config: warning: ${outDir} is open to other users (mode 0${mode.toString(8)}); the files are 0600, but prefer a 0700 folder.\n`);
  }
}

/** `npm run pi-config`; returns the exit code. `clients` is injectable for tests. */
export function piConfigMain(argv: string[], io: CliIo, clients: (region?: string) => AwsClients = createAwsClients): Promise<number> {
  return runCli('pi-config', io, async () => {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ...STACK_OPTIONS,
        'out-dir': { type: 'string', default: 'pi-config' },
        name: { type: 'string' },
        schedule: { type: 'string', default: DEFAULT_RUNNER_SETTINGS.schedule },
        'output-count': { type: 'string', default: String(DEFAULT_RUNNER_SETTINGS.outputCount) },
        'num-samples': { type: 'string', default: String(DEFAULT_RUNNER_SETTINGS.numSamples) },
        'payload-size': { type: 'string', default: String(DEFAULT_RUNNER_SETTINGS.payloadSize) },
        print: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      io.stdout(PI_CONFIG_USAGE);
      return 0;
    }
    const partialSettings = {
      schedule: values.schedule,
      outputCount: positiveInteger('output-count', values['output-count']),
      numSamples: positiveInteger('num-samples', values['num-samples']),
      payloadSize: positiveInteger('payload-size', values['payload-size']),
    };
    // Check what the operator typed before touching AWS.
    if (values.name !== undefined) checkRunnerName(values.name);
    checkSchedule(values.schedule);
    const deployment = await resolveDeployment(clients(values.region), values.stack);
    const settings: RunnerSettings = { name: values.name ?? deployment.outputs.TargetTopic, ...partialSettings };
    const files = renderPiConfigFiles(deployment, settings);
    if (values.print) {
      for (const [file, text] of Object.entries(files)) io.stdout(`# ==> ${file} <==\n${text}\n`);
      return 0;
    }
    const outDir = resolve(values['out-dir']);
    await warnIfExposed(outDir, Object.keys(files), io);
    for (const [file, text] of Object.entries(files)) {
      const path = join(outDir, file);
      await writeSecretFile(path, text);
      io.stdout(`wrote ${path} (mode 0600)\n`);
    }
    io.stdout(
      `Copy both files to the Pi's perftool directory (keep them private); the runner publishes as "${settings.name}" to ${deployment.outputs.ResultTopic}.\n`,
    );
    return 0;
  });
}
