/**
 * Every difference between the two databases lives here, as capability flags read by the code
 * that needs them, instead of `if (dialect === …)` scattered through repositories.
 */
export type DialectName = 'sqlite' | 'postgres';

export interface DialectCapabilities {
  name: DialectName;
  /** `SELECT … FOR UPDATE SKIP LOCKED`: lets several processes claim queue rows without blocking. */
  skipLocked: boolean;
  /** Several processes may share the database (SQLite: one process owns the file). */
  multiProcess: boolean;
}

export const capabilities: Record<DialectName, DialectCapabilities> = {
  sqlite: { name: 'sqlite', skipLocked: false, multiProcess: false },
  postgres: { name: 'postgres', skipLocked: true, multiProcess: true },
};

/** True when `error` is a unique-constraint violation, on either database. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
