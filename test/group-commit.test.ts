import { sql, type Transaction } from 'kysely';
import { expect, it } from 'vitest';
import { isUniqueViolation } from '../src/db/dialect.js';
import { GroupCommitter } from '../src/db/group-commit.js';
import type { Database } from '../src/db/schema.js';
import { describeEachDialect } from './helpers/databases.js';

type Trx = Transaction<Database>;

describeEachDialect(
  'group commit',
  ({ db, testDb }) => {
    const setUp = async () => {
      await sql`create table gc_parent (id text primary key, note text)`.execute(db().kysely);
      await sql`create table gc_child (id text primary key, parent text references gc_parent(id) deferrable initially deferred)`.execute(
        db().kysely,
      );
    };
    const insert = (trx: Trx, id: string, note = '') =>
      sql`insert into gc_parent (id, note) values (${id}, ${note})`.execute(trx);
    const ids = async () =>
      (
        await sql<{ id: string }>`select id from gc_parent order by id`.execute(db().kysely)
      ).rows.map((r) => r.id);
    const deferred = () => {
      let release!: () => void;
      const promise = new Promise<void>((r) => (release = r));
      return { promise, release };
    };

    it('rolls back a failing item alone and rejects only its promise', async () => {
      await setUp();
      const committer = new GroupCommitter(db());
      const results = await Promise.allSettled([
        committer.run(async (trx) => {
          await insert(trx, 'a');
          return 'A';
        }),
        committer.run(async (trx) => {
          await insert(trx, 'b');
          await insert(trx, 'a'); // unique violation: 'b' must go too
          return 'B';
        }),
        committer.run(async (trx) => {
          await insert(trx, 'c');
          return 'C';
        }),
      ]);
      expect(results[0]).toEqual({ status: 'fulfilled', value: 'A' });
      expect(results[1]?.status).toBe('rejected');
      expect(isUniqueViolation((results[1] as PromiseRejectedResult).reason)).toBe(true);
      expect(results[2]).toEqual({ status: 'fulfilled', value: 'C' });
      expect(await ids()).toEqual(['a', 'c']);
    });

    it('rolls back a lone failing item and rejects it', async () => {
      await setUp();
      const committer = new GroupCommitter(db());
      await expect(
        committer.run(async (trx) => {
          await insert(trx, 'x');
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await ids()).toEqual([]);
    });

    it('settles every item only after the commit, when another connection sees its rows', async () => {
      await setUp();
      const committer = new GroupCommitter(db());
      const other = testDb().open();
      try {
        const gate = deferred();
        let firstSettled = false;
        const first = committer
          .run(async (trx) => {
            await insert(trx, 'first');
            return 1;
          })
          .then(async (value) => {
            firstSettled = true;
            const seen = await sql<{ id: string }>`select id from gc_parent`.execute(other.kysely);
            return { value, seen: seen.rows.map((r) => r.id).sort() };
          });
        const second = committer.run(async (trx) => {
          await insert(trx, 'second');
          await gate.promise;
          return 2;
        });
        // The first item has run, but its batch has not committed: its promise must wait.
        await new Promise((r) => setTimeout(r, 50));
        expect(firstSettled).toBe(false);
        gate.release();
        expect(await first).toEqual({ value: 1, seen: ['first', 'second'] });
        expect(await second).toBe(2);
      } finally {
        await other.close();
      }
    });

    it('rejects every item of a batch whose commit fails', async () => {
      await setUp();
      const committer = new GroupCommitter(db());
      const results = await Promise.allSettled([
        committer.run(async (trx) => {
          await insert(trx, 'ok');
          return 'ok';
        }),
        committer.run(async (trx) => {
          // A deferred foreign key is checked at COMMIT: this fails the commit, not the item.
          await sql`insert into gc_child (id, parent) values ('orphan', 'nobody')`.execute(trx);
          return 'orphan';
        }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      expect(await ids()).toEqual([]);
      // The committer carries on with the next batch.
      await committer.run((trx) => insert(trx, 'later'));
      expect(await ids()).toEqual(['later']);
    });

    it('runs items in queue order, each seeing the ones before; caps a batch; queues newcomers for the next', async () => {
      await setUp();
      const committer = new GroupCommitter(db(), 2);
      const trxOf: Trx[] = [];
      const seenBefore: number[] = [];
      const order: string[] = [];
      const late: Promise<string>[] = [];
      const items = Array.from({ length: 5 }, (_, i) =>
        committer.run(async (trx) => {
          const n = await sql<{ n: number | string }>`select count(*) as n from gc_parent`.execute(
            trx,
          );
          seenBefore.push(Number(n.rows[0]?.n));
          await insert(trx, `item${i}`);
          trxOf[i] = trx;
          order.push(`item${i}`);
          if (i === 0) {
            // Queued while this batch runs: it must go into a later batch.
            late.push(
              committer.run(async (t) => {
                expect(t).not.toBe(trx);
                order.push('late');
                await insert(t, 'late');
                return 'late';
              }),
            );
          }
          return i;
        }),
      );
      const settledOrder: number[] = [];
      await Promise.all(items.map((p) => p.then((i) => settledOrder.push(i))));
      expect(await Promise.all(late)).toEqual(['late']);
      expect(order).toEqual(['item0', 'item1', 'item2', 'item3', 'item4', 'late']);
      expect(seenBefore).toEqual([0, 1, 2, 3, 4]);
      expect(settledOrder).toEqual([0, 1, 2, 3, 4]);
      // At most two items a transaction: batches {0,1}, {2,3}, {4}.
      expect(trxOf[0]).toBe(trxOf[1]);
      expect(trxOf[1]).not.toBe(trxOf[2]);
      expect(trxOf[2]).toBe(trxOf[3]);
      expect(trxOf[3]).not.toBe(trxOf[4]);
      expect(await ids()).toEqual(['item0', 'item1', 'item2', 'item3', 'item4', 'late']);
    });

    it('runs up to `parallel` batches at once on the database that allows it, and commits them all', async () => {
      await setUp();
      const writers = db().capabilities.concurrentWriters;
      const committer = new GroupCommitter(db(), 1, writers);
      let inside = 0;
      let most = 0;
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          committer.run(async (trx) => {
            most = Math.max(most, ++inside);
            await insert(trx, `p${String(i).padStart(2, '0')}`);
            await new Promise((r) => setTimeout(r, 20));
            inside--;
            return i;
          }),
        ),
      );
      expect(results).toEqual(Array.from({ length: 12 }, (_, i) => i));
      expect(most).toBe(writers);
      expect(await ids()).toHaveLength(12);
    });
  },
  { migrate: false },
);
