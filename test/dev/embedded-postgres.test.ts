/**
 * The embedded PostgreSQL that the jest run, the benchmarks and `npm start` use: a missing prerequisite stops it at
 * once with one line saying what to install, initdb's own error is shown instead of embedded-postgres's guess, and
 * nothing is left in the temp dir, whether it started or not.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { localeProblem } from '../../lib/dev/embedded-postgres';

const root = join(__dirname, '..', '..');

/** What embedded PostgreSQL could leave in a temp dir: its folder (`perftool-pg-…`) and initdb's password file. */
function ourLeftovers(tmp: string): string[] {
  return readdirSync(tmp).filter((name) => name.startsWith('perftool-pg-') || name.startsWith('pg-password-'));
}

/** A folder standing in for the OS temp dir, so other processes' temp files never mix with what is checked. */
function scratchTmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'perftool-pgtest-'));
  chmodSync(dir, 0o755);
  return dir;
}

describe('localeProblem', () => {
  it('names a missing locale and the command that installs it, in one line', () => {
    const problem = localeProblem('xx_YY.UTF-8');
    expect(problem).toMatch(/^embedded PostgreSQL needs the xx_YY\.UTF-8 locale, which is not installed .*locale-gen$/);
    expect(problem).not.toContain('\n');
  });

  it('finds an installed locale under either spelling (locale -a lists en_US.utf8)', () => {
    expect(localeProblem('en_US.UTF-8')).toBeNull();
    expect(localeProblem('en_US.utf8')).toBeNull();
  });
});

describe('the jest global setup', () => {
  it('stops with one line naming the missing en_US.UTF-8 locale and leaves nothing behind', () => {
    const tmp = scratchTmp();
    const fakeBin = mkdtempSync(join(tmpdir(), 'perftool-fakebin-'));
    try {
      // A machine without the locale: `locale -a` lists only the built-in ones.
      writeFileSync(join(fakeBin, 'locale'), '#!/bin/sh\nprintf "C\\nC.utf8\\nPOSIX\\n"\n', { mode: 0o755 });
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', "const m = await import('./test/support/postgres-global-setup.mjs'); await m.default();"], {
        cwd: root,
        env: { ...process.env, PATH: `${fakeBin}:${process.env.PATH}`, TMPDIR: tmp },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status).toBe(1);
      const lines = run.stderr.trim().split('\n');
      expect(lines).toEqual([expect.stringMatching(/^embedded PostgreSQL needs the en_US\.UTF-8 locale, which is not installed .*install it with: .*locale-gen$/)]);
      expect(ourLeftovers(tmp)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
      rmSync(fakeBin, { recursive: true, force: true });
    }
  });
});

describe('startEmbeddedPostgres', () => {
  /** Runs test/dev/embedded-postgres-driver.ts with `tmp` as the OS temp dir; returns what it printed. */
  function runDriver(tmp: string, port?: number): { started: boolean; error?: string; dir?: string; whileRunning?: string[]; two?: number } {
    const run = spawnSync(join(root, 'node_modules', '.bin', 'tsx'), ['test/dev/embedded-postgres-driver.ts', ...(port ? [String(port)] : [])], {
      cwd: root,
      env: { ...process.env, TMPDIR: tmp },
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (run.status !== 0) throw new Error(`driver exited with ${run.status}: ${run.stderr}`);
    return JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}');
  }

  it('serves a database and removes its folder when stopped', () => {
    const tmp = scratchTmp();
    try {
      const result = runDriver(tmp);
      expect(result).toMatchObject({ started: true, two: 2 });
      expect(result.whileRunning).toContain(result.dir?.split('/').pop());
      expect(ourLeftovers(tmp)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("shows initdb's own error when initdb fails, and removes its folder and the password file", () => {
    // As root, PostgreSQL runs as the `postgres` user, which cannot enter a temp dir only root may open: initdb
    // fails there. Run as another user, the server runs as that user, who can.
    const tmp = mkdtempSync(join(tmpdir(), 'perftool-pgtest-'));
    chmodSync(tmp, 0o700);
    try {
      const result = runDriver(tmp);
      if (process.getuid?.() === 0) {
        expect(result.started).toBe(false);
        expect(result.error).toMatch(/^embedded PostgreSQL: initdb exited with code 1: initdb: error: could not \w+ directory .*Permission denied$/);
      } else {
        expect(result).toMatchObject({ started: true, two: 2 });
      }
      expect(ourLeftovers(tmp)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('names a busy port in one line and removes its folder', async () => {
    const tmp = scratchTmp();
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    try {
      const port = (holder.address() as AddressInfo).port;
      // spawnSync would block this process's event loop, but the holder's listening socket needs none.
      const result = runDriver(tmp, port);
      expect(result).toEqual({ started: false, error: `embedded PostgreSQL: port ${port} on 127.0.0.1 is already in use by another program; stop it or choose another port` });
      expect(ourLeftovers(tmp)).toEqual([]);
    } finally {
      holder.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
