import {
  CompiledQuery,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type Kysely,
  type SqliteDialectConfig,
} from 'kysely';
import { isDatabaseUnavailable } from './dialect.js';
import type { Database } from './schema.js';

const BEGIN_IMMEDIATE = CompiledQuery.raw('begin immediate');
const ROLLBACK = CompiledQuery.raw('rollback');

/**
 * Transactions take SQLite's write lock when they begin (`BEGIN IMMEDIATE`), not at their first
 * write. A lock held elsewhere then fails the BEGIN, before any of the transaction's work has
 * run, so a caller may simply run it again (the group committer does); and a transaction that
 * read first can no longer fail half-way with SQLITE_BUSY_SNAPSHOT, which no busy timeout
 * waits out. Tern's transactions all write, so none takes the lock for nothing.
 */
class WriteLockingSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(BEGIN_IMMEDIATE);
  }
}

/** Kysely's SQLite dialect with {@link WriteLockingSqliteDriver}. */
export class WriteLockingSqliteDialect extends SqliteDialect {
  constructor(private readonly driverConfig: SqliteDialectConfig) {
    super(driverConfig);
  }

  override createDriver(): Driver {
    return new WriteLockingSqliteDriver(this.driverConfig);
  }
}

/**
 * Probes whether a write could start now (`BEGIN IMMEDIATE; ROLLBACK`). While another
 * connection holds the lock the probe stalls the thread for the busy timeout (50 ms), so its
 * answer is reused for {@link PROBE_REUSE_MS}: /readyz, open to anyone, cannot turn into a
 * stream of stalls.
 */
export const PROBE_REUSE_MS = 1000;

export function writeLockProbe(kysely: Kysely<Database>): () => Promise<boolean> {
  let last: { at: number; answer: Promise<boolean> } | undefined;
  const probe = () =>
    kysely.connection().execute(async (connection) => {
      try {
        await connection.executeQuery(BEGIN_IMMEDIATE);
      } catch (error) {
        if (isDatabaseUnavailable(error)) return false;
        throw error;
      }
      await connection.executeQuery(ROLLBACK);
      return true;
    });
  return () => {
    const now = Date.now();
    if (!last || now - last.at >= PROBE_REUSE_MS) {
      const answer = probe();
      last = { at: now, answer };
      // A probe that threw is not reused: the next call asks again.
      answer.catch(() => {
        if (last?.answer === answer) last = undefined;
      });
    }
    return last.answer;
  };
}
