/**
 * Benchmarks (through bench/support/cli.ts) answer --help and reject unknown options in one line, and on Ctrl-C or
 * a failure stop their embedded PostgreSQL and remove its folder.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchUsage, parseBenchArgs } from '../../bench/support/cli';

const root = join(__dirname, '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const probe = 'test/dev/bench-cli-driver.ts';
const definition = { script: 'bench:x', description: 'Measures x.', options: [{ name: 'runs', value: 'N', help: 'timed runs' }, { name: 'quick', help: 'fewer rows' }] };

function scratchTmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'perftool-benchtest-'));
  chmodSync(dir, 0o755);
  return dir;
}

const leftovers = (tmp: string) => readdirSync(tmp).filter((n) => n.startsWith('perftool-') || n.startsWith('pg-password-'));

describe('bench option parsing', () => {
  it('lists every option and --help in the usage', () => {
    const usage = benchUsage(definition);
    expect(usage).toMatch(/^Usage: npm run bench:x -- \[options\]\n\nMeasures x\./);
    expect(usage).toMatch(/--runs N +timed runs/);
    expect(usage).toMatch(/--quick +fewer rows/);
    expect(usage).toMatch(/--help, -h +show this help and exit/);
  });

  it('reads values and flags', () => {
    expect(parseBenchArgs(definition, ['--runs', '5', '--quick'])).toMatchObject({ runs: '5', quick: true, help: false });
  });

  it('rejects an unknown option in one line pointing to --help', () => {
    expect(() => parseBenchArgs(definition, ['--bogus'])).toThrow(/^Unknown option '--bogus'.* \(see "npm run bench:x -- --help"\)$/);
  });
});

describe('a running benchmark', () => {
  it('prints its usage for --help and exits 0 without starting anything', () => {
    const tmp = scratchTmp();
    try {
      const run = spawnSync(tsx, [probe, '--help'], { cwd: root, env: { ...process.env, TMPDIR: tmp }, encoding: 'utf8', timeout: 60_000 });
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/^Usage: npm run bench:probe -- \[options\]/);
      expect(leftovers(tmp)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('stops on Ctrl-C (SIGINT to its process group), exits 130 and removes its PostgreSQL folder', async () => {
    const tmp = scratchTmp();
    try {
      // detached: its own process group, which the test signals as a terminal's Ctrl-C would.
      const child = spawn(tsx, [probe], { cwd: root, env: { ...process.env, TMPDIR: tmp }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      const ready = new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (d) => {
          stderr += d;
          if (/ready /.test(stderr)) resolve();
        });
        child.once('exit', () => reject(new Error(`exited before it was ready: ${stderr}`)));
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await ready;
      expect(leftovers(tmp)).toHaveLength(1);
      process.kill(-child.pid!, 'SIGINT');
      expect(await exited).toBe(130);
      expect(stderr).toContain('bench:probe: interrupted; removing what it created');
      expect(stderr).not.toMatch(/at .*\.(ts|js):\d+/); // no stack trace
      expect(leftovers(tmp)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('reports a failure in one line, exits 1 and removes its PostgreSQL folder', () => {
    const tmp = scratchTmp();
    try {
      const run = spawnSync(tsx, [probe, '--fail'], { cwd: root, env: { ...process.env, TMPDIR: tmp }, encoding: 'utf8', timeout: 120_000 });
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/\nbench:probe: error: probe failure with a second line\n$/);
      expect(leftovers(tmp)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
