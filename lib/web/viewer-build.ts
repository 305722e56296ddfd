import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const REPO_ROOT = join(__dirname, '..', '..');

/** The viewer's Vite config; `.mts` so Node loads it as ESM (a `.ts` one makes Vite warn about ESM in CommonJS). */
export const VIEWER_VITE_CONFIG = 'viewer-assets/vite.config.mts';

/**
 * `vite build` of the viewer into `outputDir`, run with the repository's own Vite (no Docker). Returns what Vite
 * printed on stderr at log level "warn" (empty when the build is clean); throws with that text if the build fails.
 */
export function buildViewerInto(outputDir: string): string {
  const vite = join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const run = spawnSync(process.execPath, [vite, 'build', '--config', VIEWER_VITE_CONFIG, '--outDir', outputDir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`vite build of the viewer failed (exit ${run.status}):\n${run.stderr}`);
  return run.stderr;
}
