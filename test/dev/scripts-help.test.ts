/**
 * Every `npm run` script answers `--help` with its usage (or, for a tool, its options) and exits without doing its work. A new script must be
 * added to one of the two lists below.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/** Scripts whose `-- --help` is checked here: this project's CLIs and tools that print their own usage. */
const CHECKED = ['start', 'pi-config', 'smoke', 'bench:ingest', 'bench:query', 'bench:viewer', 'build:viewer', 'synth', 'cdk'];

/**
 * Not checked here, with the reason:
 * - typecheck, test: run tsc (and jest) over the whole project first; flags after `--` go to the last tool (the
 *   viewer's tsc, jest), as the README says;
 */
const NOT_CHECKED = ['typecheck', 'test'];

describe('npm run <script> -- --help', () => {
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

  it('every script is in one of the lists', () => {
    expect(Object.keys(scripts).filter((s) => !CHECKED.includes(s) && !NOT_CHECKED.includes(s))).toEqual([]);
  });

  it.each(CHECKED)('%s prints its usage and exits 0', (script) => {
    const run = spawnSync('npm', ['run', '-s', script, '--', '--help'], { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' } });
    expect({ status: run.status, usage: /usage|^options:/im.test(run.stdout) }).toEqual({ status: 0, usage: true });
  });
});
