/**
 * Embeds sql/migrations/*.sql into migrations.generated.ts, because esbuild (NodejsFunction) bundles only what
 * is imported: the Lambda ships exactly these strings. test/data-path/migrations-embedded.test.ts fails when the
 * .sql files and the generated module diverge.
 *
 * Regenerate after editing a migration:  npx tsx lambda/db-init/generate-migrations.ts
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SQL_MIGRATIONS_DIR = join(__dirname, '..', '..', 'sql', 'migrations');
export const GENERATED_MODULE_PATH = join(__dirname, 'migrations.generated.ts');

const FILE_NAME = /^(\d{3})_([a-z0-9_]+)\.sql$/;

export interface MigrationSource {
  version: number;
  name: string;
  sql: string;
}

export function readMigrationFiles(dir = SQL_MIGRATIONS_DIR): MigrationSource[] {
  const migrations = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((file) => {
      const match = FILE_NAME.exec(file);
      if (!match) throw new Error(`${file}: migration files must be named NNN_snake_case.sql`);
      return { version: Number(match[1]), name: `${match[1]}_${match[2]}`, sql: readFileSync(join(dir, file), 'utf8') };
    });
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`${m.name}: expected migration version ${i + 1} (no gaps, no duplicates)`);
  });
  return migrations;
}

export function renderMigrationsModule(migrations: MigrationSource[]): string {
  const entries = migrations
    .map((m) => `  {\n    version: ${m.version},\n    name: ${JSON.stringify(m.name)},\n    sql: ${JSON.stringify(m.sql)},\n  },`)
    .join('\n');
  return [
    '// Generated from sql/migrations/*.sql by lambda/db-init/generate-migrations.ts. Do not edit.',
    "import type { MigrationSource } from './generate-migrations';",
    '',
    'export const MIGRATIONS: readonly MigrationSource[] = [',
    entries,
    '];',
    '',
  ].join('\n');
}

if (require.main === module) {
  writeFileSync(GENERATED_MODULE_PATH, renderMigrationsModule(readMigrationFiles()));
  console.log(`wrote ${GENERATED_MODULE_PATH}`);
}
