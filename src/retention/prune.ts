import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { Executor } from '../db/executor.js';
import { isFinal, MESSAGE_STATUSES } from '../messages/status.js';

/**
 * What retention deletes, one delete chunk at a time. Each chunk reads the oldest candidate
 * keys outside any transaction (an index range read on migration 0015's age indexes), then
 * deletes them in one short transaction that checks the age again: on SQLite that transaction
 * is the only time the chunk holds the write lock. The consent ledger (`consent_events`),
 * profiles, configuration and audit rows are never named here, so nothing here can prune them.
 */
export const PRUNE_TARGETS = [
  'messages', // with their message_events history and their delivery_reports
  'unmatched_reports', // delivery reports for no known message (matched ones go with theirs)
  'webhook_rejects',
  'inbound_messages',
  'events',
  'event_webhook_deliveries',
] as const;
export type PruneTarget = (typeof PRUNE_TARGETS)[number];

/** Which retention setting each target follows. */
export type RetentionGroup = 'messages' | 'inbound' | 'events';
export const TARGET_GROUP: Record<PruneTarget, RetentionGroup> = {
  messages: 'messages',
  unmatched_reports: 'messages',
  webhook_rejects: 'inbound',
  inbound_messages: 'inbound',
  events: 'events',
  event_webhook_deliveries: 'events',
};

/**
 * Final statuses only: a queued, sending or accepted message (a send or report still to come)
 * is never pruned whatever its age; `accepted` ones past their validity are made final by the
 * reports sweep first (messages/queue.ts `acceptedPastValidity`).
 */
export const PRUNABLE_STATUSES = MESSAGE_STATUSES.filter(isFinal);
const PRUNABLE = new Set<string>(PRUNABLE_STATUSES);

export interface ChunkResult {
  /** Rows deleted, per table. */
  deleted: Partial<Record<string, number>>;
  /** Candidates read: fewer than asked means the target has nothing older left. */
  candidates: number;
  /** The age of the last candidate read: the next chunk starts there. */
  lastAt: string | undefined;
  /** How long the delete transaction held the database (SQLite: the write lock). */
  transactionMs: number;
  /** PostgreSQL: another process holds the pruning lock; nothing was done. */
  busy: boolean;
}

interface Candidate {
  sandbox: string | null;
  id: string;
  at: string;
  /** False for a message still in flight: read (the scan moves past it) but kept. */
  prunable?: boolean;
}

// An arbitrary constant: the advisory lock that keeps two processes from pruning at once.
const PRUNE_LOCK_KEY = 7_274_015;

/**
 * Deletes up to `limit` rows of `target` older than `cutoff` (ISO-8601), starting at `after`
 * (the last chunk's `lastAt`), and what belongs to them.
 */
export async function pruneChunk(
  db: Db,
  target: PruneTarget,
  cutoff: string,
  after: string | undefined,
  limit: number,
  now: () => number = () => performance.now(),
): Promise<ChunkResult> {
  const read = await readCandidates(db.kysely, target, cutoff, after, limit);
  const result: ChunkResult = {
    deleted: {},
    candidates: read.length,
    lastAt: read[read.length - 1]?.at,
    transactionMs: 0,
    busy: false,
  };
  const candidates = read.filter((c) => c.prunable !== false);
  if (candidates.length === 0) return result;
  const started = now();
  await db.kysely.transaction().execute(async (trx) => {
    if (db.capabilities.multiProcess) {
      // Several processes run the job on one PostgreSQL; the first to take the lock prunes this
      // chunk, the others skip it instead of waiting on its row locks.
      const { rows } = await sql<{
        locked: boolean;
      }>`select pg_try_advisory_xact_lock(${PRUNE_LOCK_KEY}) as locked`.execute(trx);
      if (rows[0]?.locked !== true) {
        result.busy = true;
        return;
      }
    }
    result.deleted = await deleteCandidates(trx, target, cutoff, candidates);
  });
  result.transactionMs = now() - started;
  return result;
}

async function readCandidates(
  db: Executor,
  target: PruneTarget,
  cutoff: string,
  after: string | undefined,
  limit: number,
): Promise<Candidate[]> {
  switch (target) {
    case 'messages': {
      // The age alone in SQL, the status judged here: with `status IN (…)` in the query,
      // SQLite read every final message through a status index and sorted them (a temp B-tree;
      // 40 ms a chunk at 20,000 messages, the event loop blocked meanwhile).
      let select = db
        .selectFrom('messages')
        .select(['sandbox', 'id', 'created_at as at', 'status', 'uncertain'])
        .where('created_at', '<', cutoff);
      if (after !== undefined) select = select.where('created_at', '>=', after);
      const rows = await select.orderBy('created_at').limit(limit).execute();
      return rows.map((r) => ({
        sandbox: r.sandbox,
        id: r.id,
        at: r.at,
        prunable: r.uncertain === 0 && PRUNABLE.has(r.status),
      }));
    }
    case 'unmatched_reports': {
      // `matched = 0` as a literal: only then do both planners use the partial index.
      let select = db
        .selectFrom('delivery_reports')
        .select(['sandbox', 'id', 'received_at as at'])
        .where(sql<boolean>`matched = 0`)
        .where('received_at', '<', cutoff);
      if (after !== undefined) select = select.where('received_at', '>=', after);
      return select.orderBy('received_at').limit(limit).execute();
    }
    case 'webhook_rejects':
    case 'inbound_messages': {
      let select = db
        .selectFrom(target)
        .select(['sandbox', 'id', 'received_at as at'])
        .where('received_at', '<', cutoff);
      if (after !== undefined) select = select.where('received_at', '>=', after);
      return select.orderBy('received_at').limit(limit).execute();
    }
    case 'events':
    case 'event_webhook_deliveries': {
      let select = db.selectFrom(target).select(['sandbox', 'id', 'at']).where('at', '<', cutoff);
      if (after !== undefined) select = select.where('at', '>=', after);
      return select.orderBy('at').limit(limit).execute();
    }
    default: {
      const unreachable: never = target;
      return unreachable;
    }
  }
}

/** The candidates' ids per sandbox: the tables keyed by (sandbox, id) are deleted by both. */
function bySandbox(candidates: Candidate[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const c of candidates) {
    const sandbox = c.sandbox ?? '';
    const ids = groups.get(sandbox);
    if (ids) ids.push(c.id);
    else groups.set(sandbox, [c.id]);
  }
  return groups;
}

async function deleteCandidates(
  trx: Executor,
  target: PruneTarget,
  cutoff: string,
  candidates: Candidate[],
): Promise<Partial<Record<string, number>>> {
  const ids = candidates.map((c) => c.id);
  const count = (r: { numDeletedRows: bigint }) => Number(r.numDeletedRows);
  switch (target) {
    case 'messages': {
      const deleted = { messages: 0, message_events: 0, delivery_reports: 0 };
      for (const [sandbox, group] of bySandbox(candidates)) {
        // Checked again inside the transaction: a message read as final stays final (statuses
        // only move forward), but the check costs nothing and keeps the rule in one statement.
        const gone = await trx
          .deleteFrom('messages')
          .where('sandbox', '=', sandbox)
          .where('id', 'in', group)
          .where('created_at', '<', cutoff)
          .where('status', 'in', PRUNABLE_STATUSES)
          .where('uncertain', '=', 0)
          .returning('id')
          .execute();
        if (gone.length === 0) continue;
        const goneIds = gone.map((g) => g.id);
        deleted.messages += gone.length;
        deleted.message_events += count(
          await trx
            .deleteFrom('message_events')
            .where('sandbox', '=', sandbox)
            .where('message_id', 'in', goneIds)
            .executeTakeFirst(),
        );
        deleted.delivery_reports += count(
          await trx
            .deleteFrom('delivery_reports')
            .where('sandbox', '=', sandbox)
            .where('message_id', 'in', goneIds)
            .executeTakeFirst(),
        );
      }
      return deleted;
    }
    case 'unmatched_reports':
      return {
        delivery_reports: count(
          await trx
            .deleteFrom('delivery_reports')
            .where('id', 'in', ids)
            .where(sql<boolean>`matched = 0`)
            .where('received_at', '<', cutoff)
            .executeTakeFirst(),
        ),
      };
    case 'webhook_rejects':
    case 'inbound_messages':
      return {
        [target]: count(
          await trx
            .deleteFrom(target)
            .where('id', 'in', ids)
            .where('received_at', '<', cutoff)
            .executeTakeFirst(),
        ),
      };
    case 'events':
    case 'event_webhook_deliveries': {
      let n = 0;
      for (const [sandbox, group] of bySandbox(candidates))
        n += count(
          await trx
            .deleteFrom(target)
            .where('sandbox', '=', sandbox)
            .where('id', 'in', group)
            .where('at', '<', cutoff)
            .executeTakeFirst(),
        );
      return { [target]: n };
    }
    default: {
      const unreachable: never = target;
      return unreachable;
    }
  }
}
