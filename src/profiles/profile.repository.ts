import { sql, type Selectable } from 'kysely';
import type { Clock } from '../clock.js';
import type { DialectName } from '../db/dialect.js';
import type { Executor } from '../db/executor.js';
import { decodeCursor, toPage, type Page } from '../db/pagination.js';
import { insertRows, prepare } from '../db/prepared.js';
import type { ConsentEventsTable, DoubleOptInRequestsTable, ProfilesTable } from '../db/schema.js';
import { newId } from '../ids.js';
import { phoneRegion } from '../phone.js';
import { consentWithoutProfile, type ConsentSource, type ConsentState } from './consent.js';
import type { ConsentEntry, KeywordAttribute, PendingDoubleOptIn, Profile } from './profile.js';

type ProfileRow = Selectable<ProfilesTable>;

export function profileFromRow(row: ProfileRow): Profile {
  return {
    id: row.id,
    sandbox: row.sandbox,
    phone: row.phone,
    consent: row.consent as ConsentState,
    consentUpdatedAt: row.consent_updated_at,
    attributes: JSON.parse(row.attributes) as Record<string, unknown>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function consentEntryFromRow(row: Selectable<ConsentEventsTable>): ConsentEntry {
  return {
    id: row.id,
    profileId: row.profile_id,
    from: row.from_state as ConsentState,
    to: row.to_state as ConsentState,
    source: row.source as ConsentSource,
    inboundMessageId: row.inbound_message_id,
    actor: row.actor,
    note: row.note,
    at: row.at,
  };
}

export async function findProfileByPhone(
  db: Executor,
  sandbox: string,
  phone: string,
): Promise<Profile | undefined> {
  const [row] = await profileByPhone(db, { sandbox, phone });
  return row ? profileFromRow(row) : undefined;
}

// Queries of the inbound hot path, compiled once (see db/prepared.ts).
const profileByPhone = prepare<{ sandbox: string; phone: string }, ProfileRow>((db, param) =>
  db
    .selectFrom('profiles')
    .selectAll()
    .where('sandbox', '=', param('sandbox'))
    .where('phone', '=', param('phone')),
);

const setAttributes = prepare<{ sandbox: string; id: string; attributes: string; now: string }>(
  (db, param) =>
    db
      .updateTable('profiles')
      .set({ attributes: param('attributes'), updated_at: param('now') })
      .where('sandbox', '=', param('sandbox'))
      .where('id', '=', param('id')),
);

const pendingDoubleOptIn = prepare<
  { sandbox: string; phone: string },
  Selectable<DoubleOptInRequestsTable>
>((db, param) =>
  db
    .selectFrom('double_opt_in_requests')
    .selectAll()
    .where('sandbox', '=', param('sandbox'))
    .where('phone', '=', param('phone')),
);

/**
 * The profile of a number, created when missing. A new profile starts in the state the ledger
 * still holds for the number (an opt-out outlives erasure), else `unknown`; creating one is not
 * a consent change, so nothing is appended to the ledger.
 */
export async function ensureProfile(
  db: Executor,
  clock: Clock,
  sandbox: string,
  phone: string,
): Promise<Profile> {
  const existing = await findProfileByPhone(db, sandbox, phone);
  if (existing) return existing;
  const consent = await consentWithoutProfile(db, sandbox, phone);
  const now = clock.now().toISOString();
  const row: ProfileRow = {
    sandbox,
    id: newId(),
    phone,
    consent,
    consent_updated_at: null,
    attributes: '{}',
    created_at: now,
    updated_at: now,
    region: phoneRegion(phone),
  };
  await insertRows(db, 'profiles', [row]);
  return profileFromRow(row);
}

/** Records a custom keyword on a profile: `attributes.keywords.<KEYWORD> = {count, firstAt, lastAt}`. */
export async function addKeywordAttribute(
  db: Executor,
  clock: Clock,
  profile: Profile,
  keyword: string,
): Promise<Profile> {
  const now = clock.now().toISOString();
  const keywords = { ...((profile.attributes.keywords as Record<string, KeywordAttribute>) ?? {}) };
  const before = keywords[keyword];
  keywords[keyword] = {
    count: (before?.count ?? 0) + 1,
    firstAt: before?.firstAt ?? now,
    lastAt: now,
  };
  const attributes = { ...profile.attributes, keywords };
  await setAttributes(db, {
    sandbox: profile.sandbox,
    id: profile.id,
    attributes: JSON.stringify(attributes),
    now,
  });
  return { ...profile, attributes, updatedAt: now };
}

export interface ProfileQuery {
  /** Digits the phone number contains. */
  phone?: string;
  consent?: ConsentState;
  /** A dotted attribute path that must be present, e.g. `keywords.OFFERS`. */
  attribute?: string;
  /** With `attribute`: the value it must have (compared as text). */
  attributeValue?: string;
  cursor?: string;
  limit: number;
}

/** A JSON attribute's value as text, on either database. */
function attributeText(dialect: DialectName, path: string[]) {
  if (dialect === 'postgres') {
    return sql<string | null>`(attributes::jsonb #>> ${sql.val(path)}::text[])`;
  }
  const jsonPath = `$${path.map((p) => `."${p.replace(/["\\]/g, '')}"`).join('')}`;
  return sql<string | null>`cast(json_extract(attributes, ${jsonPath}) as text)`;
}

/** Profiles of a sandbox, oldest first, filtered. */
export async function listProfiles(
  db: Executor,
  dialect: DialectName,
  sandbox: string,
  query: ProfileQuery,
): Promise<Page<Profile>> {
  const after = decodeCursor(query.cursor);
  let select = db.selectFrom('profiles').selectAll().where('sandbox', '=', sandbox);
  if (query.phone) {
    const digits = query.phone.replace(/[^\d]/g, '');
    select = select.where('phone', 'like', `%${digits}%`);
  }
  if (query.consent) select = select.where('consent', '=', query.consent);
  if (query.attribute) {
    const value = attributeText(dialect, query.attribute.split('.'));
    select =
      query.attributeValue !== undefined
        ? select.where(value, '=', query.attributeValue)
        : select.where(value, 'is not', null);
  }
  if (after) select = select.where('id', '>', after);
  const rows = await select
    .orderBy('id')
    .limit(query.limit + 1)
    .execute();
  return toPage(rows, query.limit, profileFromRow);
}

/** Every ledger entry of a number (by its hash, so entries from before an erasure count too), oldest first. */
export async function consentHistory(
  db: Executor,
  sandbox: string,
  phoneHashValue: string,
): Promise<ConsentEntry[]> {
  const rows = await db
    .selectFrom('consent_events')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('phone_hash', '=', phoneHashValue)
    .orderBy('id')
    .execute();
  return rows.map(consentEntryFromRow);
}

export async function findPendingDoubleOptIn(
  db: Executor,
  sandbox: string,
  phone: string,
): Promise<PendingDoubleOptIn | undefined> {
  const [row] = await pendingDoubleOptIn(db, { sandbox, phone });
  return row
    ? {
        phone: row.phone,
        credentialId: row.credential_id,
        previousState: row.previous_state as ConsentState,
        requestedAt: row.requested_at,
        expiresAt: row.expires_at,
      }
    : undefined;
}

/**
 * Erasure: the profile and its pending double opt-in go; its ledger entries stay, keyed by the
 * phone hash only (`profile_id` null), so that an opt-out still holds for the number.
 */
export async function eraseProfile(db: Executor, profile: Profile): Promise<void> {
  await db
    .updateTable('consent_events')
    .set({ profile_id: null })
    .where('sandbox', '=', profile.sandbox)
    .where('profile_id', '=', profile.id)
    .execute();
  await db
    .deleteFrom('double_opt_in_requests')
    .where('sandbox', '=', profile.sandbox)
    .where('phone', '=', profile.phone)
    .execute();
  await db
    .deleteFrom('profiles')
    .where('sandbox', '=', profile.sandbox)
    .where('id', '=', profile.id)
    .execute();
}
