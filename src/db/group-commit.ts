import { CompiledQuery, type Transaction } from 'kysely';
import type { Db } from './database.js';
import { isDatabaseUnavailable } from './dialect.js';
import type { Database } from './schema.js';

/** Most work items one transaction carries; the rest wait for the next batch. */
export const GROUP_COMMIT_MAX_ITEMS = 256;

/**
 * How long a batch whose transaction could not begin (SQLite's write lock held by another
 * process, PostgreSQL away) is tried again, first after 50 ms, doubling: a lock held for a CLI
 * command's few milliseconds costs a short wait instead of a 503. Nothing of the batch has run
 * then, so running it again is safe. Past the budget its items fail (503 with Retry-After).
 */
export const BEGIN_RETRY_BUDGET_MS = 1000;
const FIRST_RETRY_PAUSE_MS = 50;

const SAVEPOINT = CompiledQuery.raw('savepoint tern_item');
const RELEASE = CompiledQuery.raw('release savepoint tern_item');
const ROLLBACK_TO = CompiledQuery.raw('rollback to savepoint tern_item');

interface Item {
  work: (trx: Transaction<Database>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit (design §6): work items from concurrent requests share one transaction, and so
 * one commit (one WAL sync on SQLite, one round trip and flush on PostgreSQL), instead of one
 * each.
 *
 * - Items queued while a batch runs go into the next one; a batch starts on the next turn of
 *   the event loop (so every request parsed in one turn joins it) and holds at most
 *   {@link GROUP_COMMIT_MAX_ITEMS} items. One batch runs at a time, or up to `parallel`.
 * - The items of a batch run one after the other, in queue order, each inside a SAVEPOINT: an
 *   item that throws (a unique violation, say) is rolled back to its savepoint, alone, and only
 *   its promise rejects. Each item sees the effects of the items before it, exactly as if they
 *   had been committed one by one in that order.
 * - Every promise settles only after the COMMIT: a caller answers 2xx only once its work is
 *   durable. If the commit fails, every item of the batch rejects.
 * - A batch of one item runs without a savepoint: its failure rolls the transaction back.
 * - A transaction that cannot begin is begun again for up to {@link BEGIN_RETRY_BUDGET_MS},
 *   pausing between attempts (the event loop is free meanwhile); one whose work began is not.
 *
 * The work function must do every read and write through the transaction it is given. On
 * SQLite, Kysely has a single connection: a query on `db.kysely` inside the work would wait for
 * the very transaction it runs in, forever. Reads that need no transaction belong before `run`.
 */
export class GroupCommitter {
  private queue: Item[] = [];
  /** Batches running now, each in its own transaction. */
  private running = 0;
  private scheduled = false;

  /**
   * `parallel`: batches that may run at once, each on its own connection (PostgreSQL only: SQLite
   * has one connection). Items of concurrent batches do not see each other's effects until
   * commit, as for concurrent requests; use 1 where items must see every earlier item.
   */
  constructor(
    private readonly db: Db,
    private readonly maxItems = GROUP_COMMIT_MAX_ITEMS,
    private readonly parallel = 1,
  ) {}

  /** Runs `work` in the next batch; settles after that batch's commit. */
  run<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /**
   * Runs `work` in a transaction of its own, now, beside the batches (a large request that should
   * not hold small ones behind it), with the same retries while the transaction cannot begin
   * (on SQLite another connection, a CLI command or the send worker's thread, may hold the lock).
   */
  runAlone<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      void this.runBatch([{ work, resolve: resolve as (value: unknown) => void, reject }]);
    });
  }

  private schedule(): void {
    if (this.running >= this.parallel || this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running >= this.parallel) return;
    this.running++;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxItems);
        this.schedule(); // what is left may start another batch beside this one
        await this.runBatch(batch);
      }
    } finally {
      this.running--;
      this.schedule();
    }
  }

  private async runBatch(batch: Item[]): Promise<void> {
    const start = Date.now();
    for (let pause = FIRST_RETRY_PAUSE_MS; ; pause *= 2) {
      const outcome = await this.attempt(batch);
      const again =
        !outcome.began &&
        isDatabaseUnavailable(outcome.error) &&
        Date.now() + pause - start <= BEGIN_RETRY_BUDGET_MS;
      if (outcome.error === undefined || !again) return this.settle(batch, outcome);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  private async attempt(
    batch: Item[],
  ): Promise<{ began: boolean; settled: Settled[]; error?: unknown }> {
    const settled: Settled[] = [];
    let began = false;
    try {
      await this.db.kysely.transaction().execute(async (trx) => {
        began = true;
        if (batch.length === 1) {
          // Alone: the transaction is the item's; its failure rolls it back and rejects it.
          settled.push({ ok: true, value: await batch[0]!.work(trx) });
          return;
        }
        for (const item of batch) {
          await trx.executeQuery(SAVEPOINT);
          try {
            const value = await item.work(trx);
            await trx.executeQuery(RELEASE);
            settled.push({ ok: true, value });
          } catch (error) {
            // Undo this item only; a failure here fails the whole batch (caught below).
            await trx.executeQuery(ROLLBACK_TO);
            await trx.executeQuery(RELEASE);
            settled.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      return { began, settled, error: error ?? new Error('group commit failed') };
    }
    return { began, settled };
  }

  private settle(batch: Item[], outcome: { settled: Settled[]; error?: unknown }): void {
    const { settled, error } = outcome;
    if (error !== undefined) {
      // The commit (or a rollback to a savepoint) failed: nothing of the batch is durable.
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = settled[i];
      if (!outcome) item.reject(new Error('group commit: item was not run'));
      else if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }
}
