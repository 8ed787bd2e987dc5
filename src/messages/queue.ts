import { sql, type Updateable } from 'kysely';
import type { Clock } from '../clock.js';
import type { MessagesTable } from '../db/schema.js';
import type { DialectCapabilities } from '../db/dialect.js';
import type { Executor } from '../db/executor.js';
import { recordEvents } from '../events/events.js';
import type { MessageStatus } from './message.js';
import { appendMessageEvents, type MessageRow } from './message.repository.js';

/**
 * The queue verbs the send worker uses, one function each: find work, claim it under a lease,
 * and settle each claimed message. A message is `queued` (waiting for `next_attempt_at`),
 * `sending` (leased by one worker until `lease_expires_at`), or final.
 */

/**
 * Credentials with messages due now, each with its sandbox (a credential lives in one). Reads
 * what is due, not the backlog: the credentials with queued messages come from a loose scan of
 * `messages_queue_idx` (one index seek per credential, 0016), each checked for a due row with one
 * more; expired leases are few (at most the sends in flight). A `SELECT DISTINCT` over the due
 * rows took 337 ms with 500,000 queued on SQLite.
 */
export async function dueCredentials(
  db: Executor,
  now: string,
  limit: number,
): Promise<{ sandbox: string; credentialId: string }[]> {
  const queued = await sql<{ sandbox: string | null; credential_id: string }>`
    with recursive c(credential_id) as (
      select min(credential_id) from messages where status = 'queued'
      union all
      select (select min(m.credential_id) from messages m
              where m.status = 'queued' and m.credential_id > c.credential_id)
      from c where c.credential_id is not null
    )
    select c.credential_id, (
      select d.sandbox from messages d
      where d.status = 'queued' and d.credential_id = c.credential_id and d.next_attempt_at <= ${now}
      limit 1
    ) as sandbox
    from c where c.credential_id is not null`.execute(db);
  const expired = await db
    .selectFrom('messages')
    .select(['sandbox', 'credential_id'])
    .distinct()
    .where('status', '=', 'sending')
    .where('lease_expires_at', '<=', now)
    .limit(limit)
    .execute();
  const due = new Map<string, string>();
  for (const row of [...expired, ...queued.rows])
    if (row.sandbox !== null && due.size < limit) due.set(row.credential_id, row.sandbox);
  return [...due].map(([credentialId, sandbox]) => ({ sandbox, credentialId }));
}

export interface ClaimRequest {
  sandbox: string;
  credentialId: string;
  now: string;
  limit: number;
  owner: string;
  leaseMs: number;
}

/**
 * Claims up to `limit` due messages of one credential: first those whose lease ran out (their
 * worker died mid-send; they are marked `uncertain`, the provider may have them already), then
 * queued ones in due order, each in one statement that reads only the rows it takes
 * (`messages_queue_idx`). On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several processes claim
 * side by side without taking the same rows.
 */
export async function claimMessages(
  db: Executor,
  caps: DialectCapabilities,
  request: ClaimRequest,
): Promise<MessageRow[]> {
  const expired = await claimWhere(db, caps, request, 'sending', 'lease_expires_at', request.limit);
  if (expired.length >= request.limit) return expired;
  const queued = await claimWhere(
    db,
    caps,
    request,
    'queued',
    'next_attempt_at',
    request.limit - expired.length,
  );
  return [...expired, ...queued];
}

function claimWhere(
  db: Executor,
  caps: DialectCapabilities,
  request: ClaimRequest,
  status: 'queued' | 'sending',
  dueColumn: 'next_attempt_at' | 'lease_expires_at',
  limit: number,
): Promise<MessageRow[]> {
  const { sandbox, credentialId, now, owner, leaseMs } = request;
  const leaseExpiresAt = new Date(Date.parse(now) + leaseMs).toISOString();
  return db
    .updateTable('messages')
    .set((eb) => ({
      status: 'sending',
      lease_owner: owner,
      lease_expires_at: leaseExpiresAt,
      attempts: eb('attempts', '+', 1),
      uncertain: eb.case().when('status', '=', 'sending').then(1).else(eb.ref('uncertain')).end(),
      // Its logs lookups are scheduled from now (the lost send was at least a lease ago).
      uncertain_since: eb
        .case()
        .when('status', '=', 'sending')
        .then(eb.fn.coalesce('uncertain_since', eb.val(now)))
        .else(eb.ref('uncertain_since'))
        .end(),
      updated_at: now,
    }))
    .where('sandbox', '=', sandbox)
    .where((eb) => {
      const due = eb
        .selectFrom('messages')
        .select('id')
        .where('status', '=', status)
        .where('credential_id', '=', credentialId)
        .where(dueColumn, '<=', now)
        .where('sandbox', '=', sandbox)
        .orderBy(dueColumn)
        .limit(limit);
      // PostgreSQL ran `id IN (… LIMIT n FOR UPDATE SKIP LOCKED)` as a subplan it evaluated
      // more than once, so a claim of 2 took all 5 due messages (the batch size and the
      // provider's maxBatchSize were not honoured). `= ANY(ARRAY(…))` is an init plan: once.
      return caps.skipLocked
        ? sql<boolean>`${eb.ref('id')} = any(array(${due.forUpdate().skipLocked()}))`
        : eb('id', 'in', due);
    })
    .returningAll()
    .execute();
}

/** What became of one claimed message. */
export type Settlement =
  | {
      kind: 'accepted';
      providerStatus: unknown;
      /** The id the provider knows the message by (`provider_message_id`), when it said. */
      providerMessageId?: string;
    }
  | {
      kind: 'final';
      status: Exclude<MessageStatus, 'queued' | 'paused' | 'sending' | 'accepted'>;
      reason: string;
      providerStatus?: unknown;
      providerError?: unknown;
    }
  | {
      kind: 'retry';
      at: string;
      reason: string;
      uncertain: boolean;
      /** When it became uncertain (default now): lookups are scheduled from there. */
      uncertainSince?: string;
      /** Only its logs were looked at (nothing sent): the claim does not count as an attempt. */
      lookupOnly?: boolean;
    }
  | {
      /** Not sent: its campaign is paused; resuming the campaign queues it again. */
      kind: 'hold';
      reason: string;
    };

/**
 * Settles claimed messages. Each update only applies while the row is still `sending` under
 * this worker's lease, so a delivery report that already arrived, or a worker that took over an
 * expired lease, is never overwritten. Messages with identical outcomes share one statement.
 */
export async function settleMessages(
  db: Executor,
  clock: Clock,
  owner: string,
  sandbox: string,
  settlements: { id: string; settlement: Settlement }[],
): Promise<number> {
  const now = clock.now().toISOString();
  const groups = new Map<
    string,
    {
      values: Record<string, unknown>;
      status: MessageStatus;
      reason: string | null;
      report: unknown;
      lookupOnly: boolean;
      /** `provider_message_id`: the message's own id (Infobip), another id, or unchanged (null). */
      providerId: { own: true } | { own: false; id: string } | null;
      ids: string[];
    }
  >();
  for (const { id, settlement } of settlements) {
    const { values, status, reason, report } = updateFor(settlement, now);
    const lookupOnly =
      (settlement.kind === 'retry' && settlement.lookupOnly === true) || settlement.kind === 'hold';
    // A provider that echoes Tern's id keeps a batch in one statement ('own' is `= id`).
    const given = settlement.kind === 'accepted' ? settlement.providerMessageId : undefined;
    const providerId =
      given === undefined
        ? null
        : given === id
          ? { own: true as const }
          : { own: false as const, id: given };
    const key = JSON.stringify([values, lookupOnly, providerId]);
    const group = groups.get(key) ?? {
      values,
      status,
      reason,
      report,
      lookupOnly,
      providerId,
      ids: [] as string[],
    };
    group.ids.push(id);
    groups.set(key, group);
  }
  let settled = 0;
  for (const group of groups.values()) {
    for (let i = 0; i < group.ids.length; i += 1000) {
      const ids = group.ids.slice(i, i + 1000);
      const updated = await db
        .updateTable('messages')
        .set({
          ...group.values,
          ...(group.lookupOnly ? { attempts: sql<number>`attempts - 1` } : {}),
          ...(group.providerId === null
            ? {}
            : {
                provider_message_id: group.providerId.own ? sql<string>`id` : group.providerId.id,
              }),
        })
        .where('sandbox', '=', sandbox)
        .where('id', 'in', ids)
        .where('status', '=', 'sending')
        .where('lease_owner', '=', owner)
        .returning(['id', 'to_number', 'callback_data'])
        .execute();
      settled += updated.length;
      await appendMessageEvents(
        db,
        clock,
        updated.map((u) => ({
          sandbox,
          messageId: u.id,
          status: group.status,
          reason: group.reason,
          report: group.report,
        })),
      );
      await recordEvents(
        db,
        clock,
        updated.map((u) => ({
          sandbox,
          type: 'message.status_changed' as const,
          payload: {
            messageId: u.id,
            status: group.status,
            reason: group.reason,
            to: u.to_number,
            callbackData: u.callback_data,
          },
        })),
      );
    }
  }
  return settled;
}

function updateFor(
  settlement: Settlement,
  now: string,
): {
  values: Updateable<MessagesTable>;
  status: MessageStatus;
  reason: string | null;
  report: unknown;
} {
  const released = { lease_owner: null, lease_expires_at: null, updated_at: now };
  switch (settlement.kind) {
    case 'accepted':
      return {
        values: {
          ...released,
          status: 'accepted',
          status_reason: null,
          accepted_at: now,
          next_attempt_at: null,
          uncertain: 0,
          uncertain_since: null,
          provider_status: JSON.stringify(settlement.providerStatus),
        },
        status: 'accepted' as const,
        reason: null,
        report: settlement.providerStatus,
      };
    case 'final':
      return {
        values: {
          ...released,
          status: settlement.status,
          status_reason: settlement.reason,
          done_at: now,
          next_attempt_at: null,
          uncertain: 0,
          uncertain_since: null,
          ...(settlement.providerStatus !== undefined
            ? { provider_status: JSON.stringify(settlement.providerStatus) }
            : {}),
          ...(settlement.providerError !== undefined
            ? { provider_error: JSON.stringify(settlement.providerError) }
            : {}),
        },
        status: settlement.status,
        reason: settlement.reason,
        report: settlement.providerStatus ?? null,
      };
    case 'retry':
      return {
        values: {
          ...released,
          status: 'queued',
          status_reason: settlement.reason,
          next_attempt_at: settlement.at,
          uncertain: settlement.uncertain ? 1 : 0,
          uncertain_since: settlement.uncertain ? (settlement.uncertainSince ?? now) : null,
        },
        status: 'queued' as const,
        reason: settlement.reason,
        report: null,
      };
    case 'hold':
      return {
        values: {
          ...released,
          status: 'paused',
          status_reason: settlement.reason,
          next_attempt_at: null,
        },
        status: 'paused' as const,
        reason: settlement.reason,
        report: null,
      };
  }
}

/** A message the sweep looks at: one waiting for a report, or uncertain. */
export interface AwaitingMessage {
  sandbox: string;
  id: string;
  credentialId: string;
  channel: string;
  validUntil: string;
}

/**
 * Credentials and channels with messages whose reports are overdue: `accepted` since before
 * `acceptedBefore`, or queued as uncertain (a lost send whose report may come by pull).
 */
export async function overdueReports(
  db: Executor,
  request: { acceptedBefore: string; limit: number },
): Promise<{ sandbox: string; credentialId: string; channel: string }[]> {
  const rows = await db
    .selectFrom('messages')
    .select(['sandbox', 'credential_id', 'channel'])
    .distinct()
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'accepted'), eb('accepted_at', '<=', request.acceptedBefore)]),
        eb.and([eb('status', '=', 'queued'), eb('uncertain', '=', 1)]),
      ]),
    )
    .limit(request.limit)
    .execute();
  return rows.map((r) => ({
    sandbox: r.sandbox,
    credentialId: r.credential_id,
    channel: r.channel,
  }));
}

/** Messages still `accepted` whose validity ended before `validBefore` (oldest first). */
export async function acceptedPastValidity(
  db: Executor,
  request: { validBefore: string; limit: number },
): Promise<AwaitingMessage[]> {
  const rows = await db
    .selectFrom('messages')
    .select(['sandbox', 'id', 'credential_id', 'channel', 'valid_until'])
    .where('status', '=', 'accepted')
    .where('valid_until', '<', request.validBefore)
    .orderBy('valid_until')
    .limit(request.limit)
    .execute();
  return rows.map((r) => ({
    sandbox: r.sandbox,
    id: r.id,
    credentialId: r.credential_id,
    channel: r.channel,
    validUntil: r.valid_until,
  }));
}

/** A final outcome the sweep gives a message stuck in `accepted`. */
export interface SweptOutcome {
  id: string;
  status: 'delivered' | 'undeliverable' | 'expired' | 'rejected';
  reason: string;
  providerStatus?: unknown;
}

/**
 * Makes messages stuck in `accepted` final. Each update applies only while the message is still
 * `accepted`, so a report that arrived meanwhile wins. Returns how many were changed.
 */
export async function finishAccepted(
  db: Executor,
  clock: Clock,
  sandbox: string,
  outcomes: SweptOutcome[],
): Promise<number> {
  const now = clock.now().toISOString();
  let finished = 0;
  for (const o of outcomes) {
    const updated = await db
      .updateTable('messages')
      .set({
        status: o.status,
        status_reason: o.reason,
        done_at: now,
        updated_at: now,
        ...(o.providerStatus !== undefined
          ? { provider_status: JSON.stringify(o.providerStatus) }
          : {}),
      })
      .where('sandbox', '=', sandbox)
      .where('id', '=', o.id)
      .where('status', '=', 'accepted')
      .returning(['id', 'to_number', 'callback_data'])
      .execute();
    const u = updated[0];
    if (!u) continue;
    finished += 1;
    const change = { sandbox, messageId: u.id, status: o.status, reason: o.reason };
    await appendMessageEvents(db, clock, [{ ...change, report: o.providerStatus ?? null }]);
    await recordEvents(db, clock, [
      {
        sandbox,
        type: 'message.status_changed' as const,
        payload: {
          messageId: u.id,
          status: o.status,
          reason: o.reason,
          to: u.to_number,
          callbackData: u.callback_data,
        },
      },
    ]);
  }
  return finished;
}
