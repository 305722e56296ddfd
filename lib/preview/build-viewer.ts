/**
 * Production build of the viewer (the same `vite build` CDK runs), cached by the hash of its sources so the
 * preview, the browser tests and the benchmark build it once per change, even from parallel jest workers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { VIEWER_VITE_CONFIG, buildViewerInto } from '../web/viewer-build';

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
  const files = [join(VIEWER_DIR, 'index.html'), join(REPO_ROOT, VIEWER_VITE_CONFIG), ...listFiles(join(VIEWER_DIR, 'src'))].sort();
  for (const f of files) hash.update(relative(REPO_ROOT, f)).update('\0').update(readFileSync(f)).update('\0');
  hash.update(readFileSync(join(REPO_ROOT, 'package-lock.json')));
  return hash.digest('hex').slice(0, 16);
}

/** Builds (or reuses) the production bundle; returns the directory holding index.html and assets/. */
export function buildViewer(): string {
  const outDir = join(tmpdir(), `perftool-viewer-${viewerSourceHash()}`);
  if (existsSync(join(outDir, 'index.html'))) return outDir;
  const staging = `${outDir}.${randomBytes(4).toString('hex')}`;
  buildViewerInto(staging);
  try {
    renameSync(staging, outDir);
  } catch {
    // Another process finished the same build first; theirs is identical.
    rmSync(staging, { recursive: true, force: true });
  }
  return outDir;
}
