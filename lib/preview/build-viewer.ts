/**
 * Production build of the viewer (the same `vite build` CDK runs), cached by the hash of its sources so the
 * preview, the browser tests and the benchmark build it once per change, even from parallel jest workers.
 *
 * The cache lives in a folder of the temporary directory that only we may write (0700, owned by us, checked on
 * every use): in a shared /tmp another user could otherwise plant a "build" that the preview would then serve.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
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

/**
 * The per-user cache folder, created private if absent. Throws if it is not a real directory owned by us and closed
 * to everyone else (then someone else made it, and nothing in it can be trusted).
 */
export function privateCacheDir(parent = tmpdir()): string {
  const uid = process.getuid?.();
  const dir = join(parent, `perftool-viewer-cache-${uid ?? 'user'}`);
  mkdirSync(dir, { mode: 0o700, recursive: true });
  if (uid === undefined) return dir; // no POSIX owners (Windows): the user's own temporary directory
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    throw new Error(`${dir} is not a private directory of this user (owner ${st.uid}, mode ${(st.mode & 0o777).toString(8)}): remove it and start again`);
  }
  return dir;
}

/** Builds (or reuses) the production bundle; returns the directory holding index.html and assets/. */
export function buildViewer(cacheParent?: string): string {
  const outDir = join(privateCacheDir(cacheParent), viewerSourceHash());
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
