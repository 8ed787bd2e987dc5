import { Migrator, sql, type MigrationResult } from 'kysely';
import type { Db } from './database.js';
import { migrations } from './migrations/index.js';

function migrator(db: Db): Migrator {
  return new Migrator({
    db: db.kysely,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    // Without it, Kysely on PostgreSQL finds its bookkeeping tables in *any* schema.
    ...(db.schema ? { migrationTableSchema: db.schema } : {}),
  });
}

/** Thrown when a migration fails; the database is left at the last migration that succeeded. */
export class MigrationError extends Error {
  constructor(
    message: string,
    readonly results: MigrationResult[],
    override readonly cause: unknown,
  ) {
    super(message);
    this.name = 'MigrationError';
  }
}

/** Applies every pending migration; returns the names applied. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const { error, results = [] } = await migrator(db).migrateToLatest();
  if (error) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    const reason = error instanceof Error ? error.message : JSON.stringify(error);
    // No migration named: Kysely failed before the first one (its lock or bookkeeping tables).
    const what = failed ? `Migration ${failed} failed` : 'Migrations could not start';
    throw new MigrationError(`${what}: ${reason}`, results, error);
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Names of migrations not yet applied (empty when the schema is current). Reads Kysely's
 * bookkeeping table directly: `/readyz` calls this often, and Kysely's own check introspects
 * every schema of the database, which is slow and fails when another schema is dropped meanwhile.
 */
export async function pendingMigrations(db: Db): Promise<string[]> {
  let applied: Set<string>;
  try {
    const rows = await sql<{
      name: string;
    }>`select name from ${sql.table('kysely_migration')}`.execute(db.kysely);
    applied = new Set(rows.rows.map((r) => r.name));
  } catch {
    applied = new Set(); // no bookkeeping table yet: nothing applied
  }
  return Object.keys(migrations).filter((name) => !applied.has(name));
}
