import { expect } from 'vitest';
import type { Db } from '../../src/db/database.js';
import type { Database } from '../../src/db/schema.js';
import { phoneHash } from '../../src/profiles/consent.js';
import type { TestApp } from './app.js';

/** Tern's inbound number in these tests, and the people who text it. */
export const INBOUND = '+14155550100';
export const ALICE = '+14155550123';
export const BOB = '+14155550124';
export const CAROL = '+14155550125';

export interface InboundCredential {
  id: string;
  /** Path of the inbound webhook URL (with its secret). */
  webhook: string;
  secret: string;
}

/** Creates an API credential with an inbound number and the keyword sets the tests use. */
export async function createInboundCredential(
  t: TestApp,
  overrides: Record<string, unknown> = {},
  sandbox = 'prod',
): Promise<InboundCredential> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/credentials',
    headers: { ...t.auth, 'x-sandbox-name': sandbox },
    payload: {
      name: `infobip-${sandbox}`,
      baseUrl: 'https://ggx5k8.api.infobip.com',
      apiKey: 'key-0123456789abcdef',
      inboundNumber: INBOUND,
      doubleOptInKeywords: 'JOIN',
      customInboundKeywords: 'OFFERS, DISCOUNT',
      callbackData: 'tenant-42',
      ...overrides,
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json<{ id: string; webhooks: { inbound: { url: string; secret: string } } }>();
  return {
    id: body.id,
    webhook: new URL(body.webhooks.inbound.url).pathname,
    secret: body.webhooks.inbound.secret,
  };
}

let counter = 0;

/** One MO_JSON_2 result as Infobip sends it (numbers without `+`). */
export function moResult(from: string, text: string, overrides: Record<string, unknown> = {}) {
  counter++;
  const words = text.trim().split(/\s+/);
  return {
    messageId: `mo-${Date.now()}-${counter}`,
    from: from.replace('+', ''),
    to: INBOUND.replace('+', ''),
    text,
    cleanText: words.slice(1).join(' '),
    keyword: (words[0] ?? '').toUpperCase(),
    receivedAt: '2026-11-25T12:00:00.000+0000',
    smsCount: 1,
    price: { pricePerMessage: 0, currency: 'EUR' },
    callbackData: null,
    ...overrides,
  };
}

export function moBody(...results: ReturnType<typeof moResult>[]) {
  return { results, messageCount: results.length, pendingMessageCount: 0 };
}

/** POSTs a webhook body to the credential's inbound URL. */
export function postInbound(t: TestApp, webhook: string, body: unknown) {
  return t.app.inject({ method: 'POST', url: webhook, payload: body as object });
}

/** Texts one message in and expects a 200. */
export async function text(
  t: TestApp,
  cred: InboundCredential,
  from: string,
  body: string,
  overrides: Record<string, unknown> = {},
) {
  const res = await postInbound(t, cred.webhook, moBody(moResult(from, body, overrides)));
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{
    received: number;
    processed: number;
    duplicates: number;
    unrouted: number;
    repliesLimited: number;
    results: { action: string | null; category: string | null; inboundMessageId: string | null }[];
  }>();
}

export async function profileOf(db: Db, phone: string, sandbox = 'prod') {
  return db.kysely
    .selectFrom('profiles')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('phone', '=', phone)
    .executeTakeFirst();
}

export async function ledgerOf(db: Db, phone: string, sandbox = 'prod') {
  return db.kysely
    .selectFrom('consent_events')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('phone_hash', '=', phoneHash(phone))
    .orderBy('id')
    .execute();
}

export async function messagesTo(db: Db, phone: string, sandbox = 'prod') {
  return db.kysely
    .selectFrom('messages')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('to_number', '=', phone)
    .orderBy('id')
    .execute();
}

export async function eventsOf(db: Db, sandbox = 'prod') {
  const rows = await db.kysely
    .selectFrom('events')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    type: r.type,
    payload: JSON.parse(r.payload) as Record<string, unknown>,
  }));
}

export async function countRows(db: Db, table: keyof Database) {
  const row = await db.kysely
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A refused webhook left no trace: no inbound row, profile, message, event or ledger entry. */
export async function expectNothingStored(db: Db): Promise<void> {
  const tables = ['inbound_messages', 'profiles', 'messages', 'events', 'consent_events'] as const;
  for (const table of tables) expect(await countRows(db, table), table).toBe(0);
}

/**
 * The ledger reconstructs every profile's state: replaying a number's entries (by phone hash,
 * so entries from before an erasure count) ends in the profile's consent, and each entry starts
 * where the previous one ended.
 */
export async function expectLedgerReconstructsProfiles(db: Db, sandbox = 'prod') {
  const profiles = await db.kysely
    .selectFrom('profiles')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .execute();
  for (const profile of profiles) {
    const entries = await ledgerOf(db, profile.phone, sandbox);
    let state = 'unknown';
    for (const entry of entries) {
      expect(entry.from_state, `${profile.phone} ledger chain`).toBe(state);
      state = entry.to_state;
    }
    expect(state, `${profile.phone} replayed`).toBe(profile.consent);
  }
}
