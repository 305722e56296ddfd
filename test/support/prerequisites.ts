/**
 * Programs the tests run that npm does not install. A missing one fails the test that needs it at once, with one
 * line naming the program and the command that installs it (Debian/Ubuntu), instead of a spawn error or a timeout.
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Where `program` (a path, or a name looked up in PATH) is, or null. */
export function findProgram(program: string, path = process.env.PATH ?? ''): string | null {
  if (program.includes('/')) return existsSync(program) ? program : null;
  for (const dir of path.split(delimiter)) {
    if (dir && existsSync(join(dir, program))) return join(dir, program);
  }
  return null;
}

/** Returns where `program` is; throws one line saying what to install when it is not there. */
export function requireProgram(program: string, what: string, install: string): string {
  const found = findProgram(program);
  if (!found) throw new Error(`${what} is not installed (no ${program}${program.includes('/') ? '' : ' in PATH'}); install it with: ${install}`);
  return found;
}
