/**
 * Applies the versioned schema (sql/migrations, embedded in migrations.generated.ts) and seeds the `default`
 * viewer_config. Safe to run any number of times and from two places at once.
 */
import { createHash } from 'node:crypto';
import type { ClientBase } from 'pg';
import type { MigrationSource } from './generate-migrations';
import { MIGRATIONS } from './migrations.generated';

/** Session advisory lock key: serialises concurrent inits (e.g. a custom resource and a local preview). */
const MIGRATION_LOCK_KEY = 7_263_601_223;

export interface MigrateOptions {
  /** The MQTT target topic: the viewer's default perftool name. */
  defaultPerftoolName: string;
  /**
   * The target topic the `default` row was seeded with before (a CloudFormation Update's old property). If the row
   * is still exactly that seed, it follows the new topic; a row an operator edited is left alone.
   */
  previousDefaultPerftoolName?: string;
  /** Only tests pass this; the Lambda applies the embedded migrations. */
  migrations?: readonly MigrationSource[];
}

export interface MigrateResult {
  /** Names of the migrations applied by this run (empty when the schema was already current). */
  applied: string[];
  schemaVersion: number;
}

/**
 * The server-side `default` dashboard, in the original viewer's config format (a partial V1 dashboard) so
 * "download settings from server" works with both viewers. `sensors`, not the original seed's buggy `sensor`.
 */
export function defaultViewerConfig(perftoolName: string) {
  return {
    android: { publisher: '', map: false, lte: false, sensors: [] as string[] },
    image: { topic: '', update: 'push', visible: false },
    perftool: { name: perftoolName, visible: true },
  };
}

export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}

export async function applyMigrations(client: ClientBase, options: MigrateOptions): Promise<MigrateResult> {
  const name = options.defaultPerftoolName;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new Error('defaultPerftoolName (the MQTT target topic) must be a non-empty string');
  }
  const migrations = options.migrations ?? MIGRATIONS;
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text        NOT NULL,
      checksum   text        NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM schema_migrations',
    );
    const done = new Map(rows.map((r) => [r.version, r]));
    const applied: string[] = [];
    for (const m of migrations) {
      const checksum = migrationChecksum(m.sql);
      const previous = done.get(m.version);
      if (previous) {
        if (previous.checksum !== checksum) {
          throw new Error(`migration ${m.name} differs from the one applied as ${previous.name}: add a new migration instead of editing an applied one`);
        }
        continue;
      }
      await applyOne(client, m, checksum);
      applied.push(m.name);
    }
    const previous = options.previousDefaultPerftoolName;
    if (previous !== undefined && previous !== name) {
      await client.query(
        `UPDATE viewer_config SET config = $1 WHERE name = 'default' AND comment IS NULL AND config = $2::jsonb`,
        [JSON.stringify(defaultViewerConfig(name)), JSON.stringify(defaultViewerConfig(previous))],
      );
    }
    await client.query(
      `INSERT INTO viewer_config (name, comment, config) VALUES ('default', NULL, $1)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(defaultViewerConfig(name))],
    );
    const schemaVersion = Math.max(0, ...rows.map((r) => r.version), ...migrations.map((m) => m.version));
    return { applied, schemaVersion };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
  }
}

async function applyOne(client: ClientBase, m: MigrationSource, checksum: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(m.sql);
    await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, checksum]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new Error(`migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
  }
}
