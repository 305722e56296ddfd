import { performance } from 'node:perf_hooks';
import { CliIo } from '../cli';
import { oneLine } from '../errors';

export interface SmokeStep {
  name: string;
  /** Names of earlier steps this one needs; if any did not pass, this one is skipped (and counts as failed). */
  needs?: string[];
  /** Does the check; returns a short detail line for the report, throws on failure. */
  run(): Promise<string>;
}

export type StepStatus = 'PASS' | 'FAIL' | 'SKIP';

export interface StepResult {
  name: string;
  status: StepStatus;
  ms: number;
  detail: string;
}

/** Runs the steps in order, printing one PASS/FAIL/SKIP line with its duration per step, then a summary. */
export async function runSmokeSteps(steps: SmokeStep[], io: CliIo): Promise<{ ok: boolean; results: StepResult[] }> {
  const results: StepResult[] = [];
  const width = Math.max(...steps.map((s) => s.name.length));
  for (const step of steps) {
    const blocker = (step.needs ?? []).find((need) => results.find((r) => r.name === need)?.status !== 'PASS');
    let result: StepResult;
    if (blocker) {
      result = { name: step.name, status: 'SKIP', ms: 0, detail: `needs ${blocker}, which did not pass` };
    } else {
      const start = performance.now();
      try {
        const detail = await step.run();
        result = { name: step.name, status: 'PASS', ms: performance.now() - start, detail };
      } catch (err) {
        result = { name: step.name, status: 'FAIL', ms: performance.now() - start, detail: oneLine(err) };
      }
    }
    results.push(result);
    io.stdout(`${result.status}  ${result.name.padEnd(width)}  ${String(Math.round(result.ms)).padStart(6)} ms  ${result.detail}\n`);
  }
  const failed = results.filter((r) => r.status !== 'PASS').length;
  io.stdout(failed === 0 ? `smoke: all ${results.length} steps passed\n` : `smoke: FAILED, ${failed} of ${results.length} steps did not pass\n`);
  return { ok: failed === 0, results };
}
