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
