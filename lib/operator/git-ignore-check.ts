import { execFile } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';

/** git's exit code and output, or undefined when git cannot run (not installed). */
function git(args: string[], cwd: string): Promise<{ code: number; stdout: string } | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, encoding: 'utf8' }, (err, stdout) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number') resolve(undefined);
      else resolve({ code: err ? Number((err as { code?: unknown }).code) : 0, stdout });
    });
  });
}

/** The real path of `dir` as far as it exists, and the part below that does not exist yet. */
async function deepestExisting(dir: string): Promise<{ existing: string; rest: string }> {
  let rest = '';
  for (let current = dir; ; current = dirname(current)) {
    try {
      return { existing: await realpath(current), rest };
    } catch {
      if (dirname(current) === current) return { existing: current, rest };
      rest = join(basename(current), rest);
    }
  }
}

/**
 * Which of `files` (names inside `dir`, which need not exist yet) a git work tree around `dir` would not ignore,
 * i.e. could commit. Undefined when `dir` is in no work tree or git cannot tell (not installed, broken repository).
 */
export async function filesGitWouldTrack(dir: string, files: string[]): Promise<{ workTree: string; files: string[] } | undefined> {
  const { existing, rest } = await deepestExisting(dir);
  const top = await git(['rev-parse', '--show-toplevel'], existing);
  if (!top || top.code !== 0) return undefined;
  const workTree = top.stdout.trim();
  const paths = files.map((file) => relative(workTree, join(existing, rest, file)));
  // Exit 0: some listed paths are ignored (printed); 1: none is; anything else: git could not tell.
  const ignored = await git(['-C', workTree, 'check-ignore', '--', ...paths], existing);
  if (!ignored || ignored.code > 1) return undefined;
  const ignoredPaths = new Set(ignored.stdout.split('\n').filter(Boolean));
  return { workTree, files: files.filter((_, i) => !ignoredPaths.has(paths[i])) };
}
