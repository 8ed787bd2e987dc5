import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Executor } from '../db/executor.js';
import { insertRows, prepare } from '../db/prepared.js';
import { newId } from '../ids.js';
import { phoneRegion } from '../phone.js';

/** A profile's SMS consent. `unknown`: never asked; `pending`: a double opt-in awaits confirmation. */
export type ConsentState = 'subscribed' | 'unsubscribed' | 'pending' | 'unknown';
export const CONSENT_STATES: readonly ConsentState[] = [
  'subscribed',
  'unsubscribed',
  'pending',
  'unknown',
];

/** What caused a consent change, as the ledger records it. */
export type ConsentSource =
  | 'keyword'
  | 'api'
  | 'ui'
  | 'import'
  | 'double_opt_in_expiry'
  /** A keyword response's or a flow's set_consent action. */
  | 'automation';

/**
 * The ledger identifies a number by this hash, which outlives the profile's erasure, so that an
 * opt-out is still honoured after the person asked to be forgotten.
 */
export function phoneHash(phone: string): string {
  return createHash('sha256').update(`tern:phone:${phone}`).digest('hex');
}

/** Current consent of each number (numbers without a profile are `unknown`, unless erased after an opt-out). */
export async function consentOf(
  db: Executor,
  sandbox: string,
  phones: string[],
): Promise<Map<string, ConsentState>> {
  const result = new Map<string, ConsentState>(phones.map((p) => [p, 'unknown']));
  const unique = [...new Set(phones)];
  const [only] = unique;
  if (unique.length === 1 && only !== undefined) {
    // One number (a single send): the same answer from the two prepared queries below.
    const [row] = await profileConsent(db, { sandbox, phone: only });
    const state = (row?.consent ?? 'unknown') as ConsentState;
    result.set(only, state === 'unknown' ? await consentWithoutProfile(db, sandbox, only) : state);
    return result;
  }
  for (let i = 0; i < unique.length; i += 500) {
    const rows = await db
      .selectFrom('profiles')
      .select(['phone', 'consent'])
      .where('sandbox', '=', sandbox)
      .where('phone', 'in', unique.slice(i, i + 500))
      .execute();
    for (const row of rows) result.set(row.phone, row.consent as ConsentState);
  }
  // An erased profile leaves its last ledger entry: an opt-out there still stands.
  const unknown = unique.filter((p) => result.get(p) === 'unknown');
  if (unknown.length > 0) {
    const byHash = new Map(unknown.map((p) => [phoneHash(p), p]));
    const hashes = [...byHash.keys()];
    for (let i = 0; i < hashes.length; i += 500) {
      const rows = await db
        .selectFrom('consent_events')
        .select(['phone_hash', 'to_state', 'id'])
        .where('sandbox', '=', sandbox)
        .where('profile_id', 'is', null)
        .where('phone_hash', 'in', hashes.slice(i, i + 500))
        .orderBy('id')
        .execute();
      for (const row of rows) {
        const phone = byHash.get(row.phone_hash);
        if (phone) result.set(phone, row.to_state as ConsentState);
      }
    }
  }
  return result;
}

/**
 * The consent of a number known to have no profile (checked in the same transaction): the last
 * ledger entry left by an erased profile (an opt-out outlives erasure), else `unknown`. What
 * {@link consentOf} answers for such a number, without reading `profiles` again.
 */
export async function consentWithoutProfile(
  db: Executor,
  sandbox: string,
  phone: string,
): Promise<ConsentState> {
  const [row] = await latestErasedState(db, { sandbox, phoneHash: phoneHash(phone) });
  return (row?.to_state as ConsentState | undefined) ?? 'unknown';
}

// Queries of the inbound hot path, compiled once (see db/prepared.ts).
const latestErasedState = prepare<{ sandbox: string; phoneHash: string }, { to_state: string }>(
  (db, param) =>
    db
      .selectFrom('consent_events')
      .select('to_state')
      .where('sandbox', '=', param('sandbox'))
      .where('profile_id', 'is', null)
      .where('phone_hash', '=', param('phoneHash'))
      .orderBy('id', 'desc')
      .limit(1),
);

const profileConsent = prepare<{ sandbox: string; phone: string }, { id: string; consent: string }>(
  (db, param) =>
    db
      .selectFrom('profiles')
      .select(['id', 'consent'])
      .where('sandbox', '=', param('sandbox'))
      .where('phone', '=', param('phone')),
);

export interface ConsentChange {
  sandbox: string;
  phone: string;
  to: ConsentState;
  source: ConsentSource;
  inboundMessageId?: string | null;
  actor?: string | null;
  note?: string | null;
}

/**
 * Sets a number's consent, creating its profile when missing, and appends the change to the
 * ledger — inside the caller's transaction. A "change" to the current state records nothing.
 */
export async function setConsent(
  db: Executor,
  clock: Clock,
  change: ConsentChange,
): Promise<{ profileId: string; from: ConsentState; to: ConsentState; changed: boolean }> {
  const now = clock.now().toISOString();
  const [existing] = await profileConsent(db, { sandbox: change.sandbox, phone: change.phone });
  // Without a profile, the number may still have ledger entries from before an erasure.
  const from =
    (existing?.consent as ConsentState | undefined) ??
    (await consentWithoutProfile(db, change.sandbox, change.phone));
  let profileId = existing?.id;
  if (!profileId) {
    profileId = newId();
    await insertRows(db, 'profiles', [
      {
        sandbox: change.sandbox,
        id: profileId,
        phone: change.phone,
        consent: change.to,
        consent_updated_at: now,
        attributes: '{}',
        created_at: now,
        updated_at: now,
        region: phoneRegion(change.phone),
      },
    ]);
  } else if (from !== change.to) {
    await db
      .updateTable('profiles')
      .set({ consent: change.to, consent_updated_at: now, updated_at: now })
      .where('sandbox', '=', change.sandbox)
      .where('id', '=', profileId)
      .execute();
  }
  const changed = from !== change.to;
  if (changed) {
    await insertRows(db, 'consent_events', [
      {
        sandbox: change.sandbox,
        id: newId(),
        profile_id: profileId,
        phone_hash: phoneHash(change.phone),
        from_state: from,
        to_state: change.to,
        source: change.source,
        inbound_message_id: change.inboundMessageId ?? null,
        actor: change.actor ?? null,
        note: change.note ?? null,
        at: now,
      },
    ]);
  }
  return { profileId, from, to: change.to, changed };
}
