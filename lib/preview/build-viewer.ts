/**
 * Production build of the viewer (the same `vite build` CDK runs), cached by the hash of its sources so the
 * preview, the browser tests and the benchmark build it once per change, even from parallel jest workers.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');
export const VIEWER_DIR = join(REPO_ROOT, 'viewer-assets');

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

/** Hash of everything the bundle is made from. */
export function viewerSourceHash(): string {
  const hash = createHash('sha256');
  const files = [join(VIEWER_DIR, 'index.html'), join(VIEWER_DIR, 'vite.config.ts'), ...listFiles(join(VIEWER_DIR, 'src'))].sort();
  for (const f of files) hash.update(relative(REPO_ROOT, f)).update('\0').update(readFileSync(f)).update('\0');
  hash.update(readFileSync(join(REPO_ROOT, 'package-lock.json')));
  return hash.digest('hex').slice(0, 16);
}

/** Builds (or reuses) the production bundle; returns the directory holding index.html and assets/. */
export function buildViewer(): string {
  const outDir = join(tmpdir(), `perftool-viewer-${viewerSourceHash()}`);
  if (existsSync(join(outDir, 'index.html'))) return outDir;
  const staging = `${outDir}.${randomBytes(4).toString('hex')}`;
  const vite = join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--config', join(VIEWER_DIR, 'vite.config.ts'), '--outDir', staging, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}\n${r.stderr}`);
  try {
    renameSync(staging, outDir);
  } catch {
    // Another process finished the same build first; theirs is identical.
    rmSync(staging, { recursive: true, force: true });
  }
  return outDir;
}
