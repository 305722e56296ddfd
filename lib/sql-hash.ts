import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * sha256 over the migration files (names and contents, in order). The schema custom resource carries it as a
 * property, so CloudFormation re-runs the migrations exactly when the SQL changes.
 */
export function sqlMigrationsHash(dir: string): string {
  const hash = createHash('sha256');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sql')).sort() : [];
  for (const file of files) {
    hash.update(file).update('\0').update(readFileSync(join(dir, file))).update('\0');
  }
  return hash.digest('hex');
}
