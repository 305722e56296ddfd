import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { venvPython } from './test-deps';

/** The venv setup-test-deps.sh installs cfn-lint into (pinned in test/support/python/cfn-lint.txt). */
export const CFN_LINT_VENV = 'cfn-lint';

export interface CfnLintFinding {
  /** Name the template was given. */
  template: string;
  rule: string;
  level: 'Error' | 'Warning' | 'Informational';
  message: string;
  path: string;
}

/**
 * Runs the real cfn-lint once over several templates (name → template JSON) for the given regions and returns its
 * findings. A run that does not produce cfn-lint's JSON report (crash, bad install) throws with the end of stderr.
 */
export async function cfnLint(templates: Record<string, unknown>, regions: string[]): Promise<CfnLintFinding[]> {
  const cfnLintBin = join(dirname(venvPython(CFN_LINT_VENV)), 'cfn-lint');
  const dir = mkdtempSync(join(tmpdir(), 'perftool-cfn-lint-'));
  try {
    const files: Record<string, string> = {};
    for (const [name, template] of Object.entries(templates)) {
      const file = join(dir, `${name.replace(/[^A-Za-z0-9_-]+/g, '-')}.json`);
      writeFileSync(file, JSON.stringify(template, null, 1));
      files[file] = name;
    }
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(cfnLintBin, ['--format', 'json', '--regions', ...regions, '--', ...Object.keys(files)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
    });
    let report: Array<{ Filename: string; Level: CfnLintFinding['level']; Message: string; Rule: { Id: string }; Location: { Path: Array<string | number> } }>;
    try {
      report = JSON.parse(stdout);
    } catch {
      throw new Error(`cfn-lint exited ${code} without a JSON report: ${stderr.trim().slice(-2000)}`);
    }
    return report.map((f) => ({ template: files[f.Filename] ?? f.Filename, rule: f.Rule.Id, level: f.Level, message: f.Message, path: f.Location.Path.join('/') }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
