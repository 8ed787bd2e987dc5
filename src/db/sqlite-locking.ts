import type SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';
import { isDatabaseUnavailable } from './dialect.js';
import type { Database } from './schema.js';

const BEGIN_IMMEDIATE = CompiledQuery.raw('begin immediate');
const ROLLBACK = CompiledQuery.raw('rollback');

/**
 * After a statement met a lock held elsewhere, how long the statements after it fail at once
 * instead of waiting out the busy timeout. Each wait stalls the event loop (better-sqlite3 is
 * synchronous), and the worker, the webhook dispatcher, the group committer's retries and
 * /readyz each meet the lock on their own timers: one timers phase ran five 50 ms waits back to
 * back, and /healthz took 260 ms. With the cool-down at most one wait in 250 ms stalls the loop.
 */
export const BUSY_COOLDOWN_MS = 250;

const isBusy = (error: unknown) =>
  typeof (error as { code?: unknown } | null)?.code === 'string' &&
  (error as { code: string }).code.startsWith('SQLITE_BUSY');

/** Switches the connection's busy timeout off while the lock is known to be held elsewhere. */
class LockWaits {
  private coolUntil = 0;
  /** When a statement last met the lock (ms since the epoch; 0: never). */
  lastBusyAt = 0;

  constructor(
    private readonly sqlite: SQLite.Database,
    private readonly busyTimeoutMs: number,
  ) {}

  async run<R>(query: () => Promise<R>): Promise<R> {
    const now = Date.now();
    if (this.coolUntil !== 0 && now >= this.coolUntil) {
      this.sqlite.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
      this.coolUntil = 0;
    }
    try {
      return await query();
    } catch (error) {
      if (isBusy(error)) {
        if (this.coolUntil === 0) this.sqlite.pragma('busy_timeout = 0');
        this.lastBusyAt = Date.now();
        this.coolUntil = this.lastBusyAt + BUSY_COOLDOWN_MS;
      }
      throw error;
    }
  }
}

/**
 * Kysely's SQLite driver, with two changes for a lock another process holds:
 *
 * - Transactions take the write lock when they begin (`BEGIN IMMEDIATE`), not at their first
 *   write. A lock held elsewhere then fails the BEGIN, before any of the transaction's work has
 *   run, so a caller may simply run it again (the group committer does); and a transaction that
 *   read first can no longer fail half-way with SQLITE_BUSY_SNAPSHOT, which no busy timeout
 *   waits out. Tern's transactions all write, so none takes the lock for nothing.
 * - Lock waits cool down ({@link BUSY_COOLDOWN_MS}).
 */
class WriteLockingSqliteDriver extends SqliteDriver {
  constructor(
    sqlite: SQLite.Database,
    private readonly waits: LockWaits,
  ) {
    super({ database: sqlite });
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    const { waits } = this;
    // The base driver's releaseConnection ignores which connection it is given.
    return {
      executeQuery: <R>(query: CompiledQuery): Promise<QueryResult<R>> =>
        waits.run(() => connection.executeQuery<R>(query)),
      streamQuery: <R>(query: CompiledQuery, chunkSize?: number) =>
        connection.streamQuery<R>(query, chunkSize),
    };
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(BEGIN_IMMEDIATE);
  }
}

/** Kysely's SQLite dialect over {@link WriteLockingSqliteDriver}. */
export class WriteLockingSqliteDialect extends SqliteDialect {
  private readonly waits: LockWaits;

  constructor(
    private readonly sqlite: SQLite.Database,
    busyTimeoutMs: number,
  ) {
    super({ database: sqlite });
    this.waits = new LockWaits(sqlite, busyTimeoutMs);
  }

  override createDriver(): Driver {
    return new WriteLockingSqliteDriver(this.sqlite, this.waits);
  }

  /** When a statement last met a lock held elsewhere (ms since the epoch; 0: never). */
  lastBusyAt(): number {
    return this.waits.lastBusyAt;
  }
}

/**
 * Probes whether a write could start now (`BEGIN IMMEDIATE; ROLLBACK`). While another
 * connection holds the lock the probe may stall the thread for the busy timeout (50 ms), so its
 * answer is reused for {@link PROBE_REUSE_MS}: /readyz, open to anyone, cannot turn into a
 * stream of stalls. A "writable" answer is dropped as soon as any statement meets the lock.
 */
export const PROBE_REUSE_MS = 1000;

export function writeLockProbe(
  kysely: Kysely<Database>,
  lastBusyAt: () => number,
): () => Promise<boolean> {
  let last: { at: number; answer: Promise<boolean>; writable?: boolean } | undefined;
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
    const stale =
      !last ||
      now - last.at >= PROBE_REUSE_MS ||
      // "Writable", but a statement has met the lock since: ask again.
      (last.writable === true && lastBusyAt() >= last.at);
    if (stale) {
      const answer = probe();
      const entry: NonNullable<typeof last> = { at: now, answer };
      last = entry;
      answer.then(
        (writable) => (entry.writable = writable),
        // A probe that threw is not reused: the next call asks again.
        () => {
          if (last === entry) last = undefined;
        },
      );
    }
    return last!.answer;
  };
}
