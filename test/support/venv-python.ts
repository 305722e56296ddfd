import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { venvPython } from './test-deps';

export interface PythonRun {
  /** Virtualenv name as installed by setup-test-deps.sh (e.g. sinetstream-1.10.0). */
  venv: string;
  /** Python source run as `python -c`; it reports by printing ONE JSON document as its last stdout line. */
  script: string;
  args?: string[];
  /** Files written into the working directory first (name → content; mode 0600 like a secret file). */
  files?: Record<string, string>;
  /** Working directory; a fresh temporary one (removed afterwards) when omitted. HOME points at it too. */
  cwd?: string;
  /** Added to a minimal environment (PATH, LANG, HOME). */
  env?: Record<string, string>;
  timeoutMs?: number;
}

export class PythonRunError extends Error {
  constructor(
    message: string,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'PythonRunError';
  }
}

/**
 * Runs a Python snippet in one of the test virtualenvs (a real library, e.g. SINETStream, talking to a real server
 * started by the test) and returns the JSON it printed last. Non-zero exit, time-out or no JSON → PythonRunError
 * quoting the end of stderr. The child runs asynchronously, so servers in this process keep serving it.
 */
export async function runPython<T = unknown>(run: PythonRun): Promise<T> {
  const python = venvPython(run.venv);
  const tempDir = run.cwd ? undefined : mkdtempSync(join(tmpdir(), 'perftool-py-'));
  const cwd = run.cwd ?? tempDir!;
  try {
    for (const [name, content] of Object.entries(run.files ?? {})) writeFileSync(join(cwd, name), content, { mode: 0o600 });
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: cwd, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...run.env };
    const { code, signal, stdout, stderr } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(python, ['-c', run.script, ...(run.args ?? [])], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), run.timeoutMs ?? 60_000);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once('close', (c, s) => {
        clearTimeout(timer);
        resolve({ code: c, signal: s, stdout: out, stderr: err });
      });
    });
    const tail = (text: string) => text.trim().split('\n').slice(-15).join('\n');
    if (code !== 0) {
      const how = signal ? `was killed (${signal}${signal === 'SIGKILL' ? ', time-out' : ''})` : `exited ${code}`;
      throw new PythonRunError(`python in venv ${run.venv} ${how}:\n${tail(stderr) || tail(stdout)}`, stdout, stderr);
    }
    const last = stdout.trim().split('\n').pop() ?? '';
    try {
      return JSON.parse(last) as T;
    } catch {
      throw new PythonRunError(`python in venv ${run.venv} printed no JSON on its last line: ${JSON.stringify(last.slice(0, 200))}\n${tail(stderr)}`, stdout, stderr);
    }
  } finally {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  }
}
