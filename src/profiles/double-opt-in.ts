import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Executor } from '../db/executor.js';
import type { Database } from '../db/schema.js';
import { recordEvent } from '../events/events.js';
import { changeConsent } from './consent-change.js';
import { consentWithoutProfile, type ConsentSource, type ConsentState } from './consent.js';
import type { PendingDoubleOptIn } from './profile.js';
import { findPendingDoubleOptIn, findProfileByPhone } from './profile.repository.js';

export interface DoubleOptInStart {
  sandbox: string;
  phone: string;
  credentialId: string | null;
  source: ConsentSource;
  ttlMs: number;
  inboundMessageId?: string | null;
  actor?: string | null;
  note?: string | null;
  /**
   * When set, a request for a number whose pending double opt-in was requested less than this
   * long ago changes nothing (`started: false, reason: 'recent'`), so no second message goes.
   */
  resendAfterMs?: number;
}

/** What became of the request, with the number's profile and consent afterwards. */
export type DoubleOptInStartResult =
  | { started: false; reason: 'subscribed'; consent: 'subscribed'; profileId: string | null }
  | {
      started: false;
      reason: 'recent';
      pending: PendingDoubleOptIn;
      profileId: string | null;
      consent: ConsentState;
    }
  | {
      started: true;
      pending: PendingDoubleOptIn;
      profileId: string | null;
      consent: ConsentState;
    };

/**
 * Starts (or restarts, with a fresh expiry) a double opt-in, in the caller's transaction. A
 * number already `subscribed` is left alone. A number with a profile goes to `pending`; an
 * unknown one gets only the pending request (its profile is made on confirmation). A number
 * whose profile was erased after an opt-out is treated as having one: it goes `pending` in the
 * ledger, so that the confirmation request may reach it. The previous state is kept, and
 * restored by {@link expireDoubleOptIns} if no confirmation comes.
 */
export async function startDoubleOptIn(
  db: Executor,
  clock: Clock,
  start: DoubleOptInStart,
): Promise<DoubleOptInStartResult> {
  const { sandbox, phone } = start;
  const profile = await findProfileByPhone(db, sandbox, phone);
  const current: ConsentState =
    profile?.consent ?? (await consentWithoutProfile(db, sandbox, phone));
  if (current === 'subscribed') {
    return {
      started: false,
      reason: 'subscribed',
      consent: 'subscribed',
      profileId: profile?.id ?? null,
    };
  }

  const existing = await findPendingDoubleOptIn(db, sandbox, phone);
  const previousState: ConsentState =
    existing?.previousState ?? (current === 'pending' ? 'unknown' : current);
  let profileId: string | null = profile?.id ?? null;
  const now = clock.now();
  const pending: PendingDoubleOptIn = {
    phone,
    credentialId: start.credentialId,
    previousState,
    requestedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + start.ttlMs).toISOString(),
  };
  // The request row first: with a resend window, the guard sits in the upsert itself, so two
  // concurrent requests cannot both pass it (PostgreSQL makes the second wait, then skip).
  const cutoff =
    start.resendAfterMs !== undefined
      ? new Date(now.getTime() - start.resendAfterMs).toISOString()
      : null;
  const written = await db
    .insertInto('double_opt_in_requests')
    .values({
      sandbox,
      phone,
      credential_id: pending.credentialId,
      previous_state: pending.previousState,
      requested_at: pending.requestedAt,
      expires_at: pending.expiresAt,
    })
    .onConflict((oc) => {
      const update = oc.columns(['sandbox', 'phone']).doUpdateSet({
        credential_id: pending.credentialId,
        requested_at: pending.requestedAt,
        expires_at: pending.expiresAt,
      });
      return cutoff === null
        ? update
        : update.where('double_opt_in_requests.requested_at', '<=', cutoff);
    })
    .returning('phone')
    .executeTakeFirst();
  if (!written) {
    const recent = await findPendingDoubleOptIn(db, sandbox, phone);
    if (recent)
      return { started: false, reason: 'recent', pending: recent, profileId, consent: current };
  }
  const goesPending = profile !== undefined || current === 'unsubscribed';
  if (goesPending) {
    const change = await changeConsent(db, clock, {
      sandbox,
      phone,
      to: 'pending',
      source: start.source,
      inboundMessageId: start.inboundMessageId ?? null,
      actor: start.actor ?? null,
      note: start.note ?? null,
    });
    profileId = change.profileId;
  }
  await recordEvent(db, clock, {
    sandbox,
    type: 'double_opt_in.requested',
    payload: {
      phone,
      profileId,
      credentialId: pending.credentialId,
      source: start.source,
      expiresAt: pending.expiresAt,
      inboundMessageId: start.inboundMessageId ?? null,
    },
  });
  return { started: true, pending, profileId, consent: goesPending ? 'pending' : current };
}

/**
 * Ends double opt-ins whose time ran out: a profile still `pending` falls back to its previous
 * state (ledger source `double_opt_in_expiry`); a number without a profile just loses its
 * request. Each in its own transaction; returns how many expired. Call it from a timer or the
 * worker loop; safe to run on several nodes at once (a request is removed exactly once).
 */
export async function expireDoubleOptIns(
  db: Kysely<Database>,
  clock: Clock,
  options: { limit?: number } = {},
): Promise<number> {
  const now = clock.now().toISOString();
  const due = await db
    .selectFrom('double_opt_in_requests')
    .select(['sandbox', 'phone'])
    .where('expires_at', '<=', now)
    .orderBy('expires_at')
    .limit(options.limit ?? 500)
    .execute();
  let expired = 0;
  for (const request of due) {
    const done = await db.transaction().execute(async (trx) => {
      const removed = await trx
        .deleteFrom('double_opt_in_requests')
        .where('sandbox', '=', request.sandbox)
        .where('phone', '=', request.phone)
        .where('expires_at', '<=', now)
        .returning(['previous_state', 'credential_id'])
        .executeTakeFirst();
      if (!removed) return false;
      const profile = await findProfileByPhone(trx, request.sandbox, request.phone);
      let restored: ConsentState | null = null;
      if (profile?.consent === 'pending') {
        restored = removed.previous_state as ConsentState;
        await changeConsent(trx, clock, {
          sandbox: request.sandbox,
          phone: request.phone,
          to: restored,
          source: 'double_opt_in_expiry',
        });
      }
      await recordEvent(trx, clock, {
        sandbox: request.sandbox,
        type: 'double_opt_in.expired',
        payload: {
          phone: request.phone,
          profileId: profile?.id ?? null,
          credentialId: removed.credential_id,
          restoredConsent: restored,
        },
      });
      return true;
    });
    if (done) expired++;
  }
  return expired;
}
