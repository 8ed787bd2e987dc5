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
  /**
   * Write transactions one process runs at once: SQLite has one connection and one writer;
   * PostgreSQL runs several, and the single-message API, one commit per group of requests, was
   * bound by the round trips of one transaction at a time (389 msg/s).
   */
  concurrentWriters: number;
}

export const capabilities: Record<DialectName, DialectCapabilities> = {
  sqlite: { name: 'sqlite', skipLocked: false, multiProcess: false, concurrentWriters: 1 },
  postgres: { name: 'postgres', skipLocked: true, multiProcess: true, concurrentWriters: 4 },
};

// PostgreSQL: connection exceptions (08…), shutdown and startup (57P01–57P03); socket errors.
const UNAVAILABLE_CODES = new Set([
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
]);
// node-postgres reports a lost or unobtainable connection without a code.
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection refused/i;

/**
 * True when `error` says the database cannot be reached right now (down, restarting, the
 * connection lost, or SQLite's lock held past the busy timeout): a request that failed so can be
 * retried later, unlike a bug.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  // SQLite: the lock held elsewhere, SQLITE_BUSY and its extended codes (…_SNAPSHOT, …_RECOVERY).
  if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) return true;
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable);
  return UNAVAILABLE_MESSAGE.test(error.message);
}

/** True when `error` is a unique-constraint violation, on either database. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
