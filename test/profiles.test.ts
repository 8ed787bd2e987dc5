import { expect, it } from 'vitest';
import { consentOf } from '../src/profiles/consent.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import {
  ALICE,
  BOB,
  CAROL,
  INBOUND,
  countRows,
  createInboundCredential,
  expectLedgerReconstructsProfiles,
  ledgerOf,
  messagesTo,
  profileOf,
  text,
} from './helpers/inbound.js';

const DAY = 24 * 3600 * 1000;
const enc = encodeURIComponent;

function api(
  t: TestApp,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  payload?: object,
  sandbox = 'prod',
) {
  return t.app.inject({
    method,
    url,
    headers: { ...t.auth, 'x-sandbox-name': sandbox },
    ...(payload ? { payload } : {}),
  });
}

function importCsv(t: TestApp, csv: string, sandbox = 'prod') {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/profiles/consent.csv',
    headers: { ...t.auth, 'x-sandbox-name': sandbox, 'content-type': 'text/csv' },
    payload: csv,
  });
}

describeEachDialect('profiles API', ({ db }) => {
  it('sets consent by API with source api, actor and note; gets the profile with history and texts', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    const set = await api(t, 'PUT', `/api/v1/profiles/${enc(ALICE)}/consent`, {
      consent: 'subscribed',
      note: 'web form 2026-11-25',
    });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({
      changed: true,
      from: 'unknown',
      profile: { phone: ALICE, consent: 'subscribed' },
    });
    // The same again is no change, and the + may be left out.
    expect(
      (
        await api(t, 'PUT', `/api/v1/profiles/${ALICE.slice(1)}/consent`, { consent: 'subscribed' })
      ).json(),
    ).toMatchObject({ changed: false });
    await text(t, cred, ALICE, 'HELP');

    const res = await api(t, 'GET', `/api/v1/profiles/${enc(ALICE)}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<Record<string, unknown>>();
    expect(body).toMatchObject({
      phone: ALICE,
      consent: 'subscribed',
      profile: { phone: ALICE, consent: 'subscribed' },
      consentHistory: [
        {
          from: 'unknown',
          to: 'subscribed',
          source: 'api',
          note: 'web form 2026-11-25',
          actor: expect.any(String) as unknown,
        },
      ],
      pendingDoubleOptIn: null,
      inbound: [
        {
          from: ALICE,
          to: INBOUND,
          text: 'HELP',
          category: 'help',
          action: 'help_replied',
          replyMessageId: expect.any(String) as unknown,
        },
      ],
      outbound: [{ to: ALICE, origin: 'reply', status: 'queued' }],
    });
    expect((await api(t, 'GET', `/api/v1/profiles/${enc(BOB)}`)).statusCode).toBe(404);
    expect((await api(t, 'GET', '/api/v1/profiles/12ab')).json()).toMatchObject({
      error: { code: 'validation_failed', details: [{ path: '/params/phone' }] },
    });
    expect(
      (await api(t, 'PUT', `/api/v1/profiles/${enc(ALICE)}/consent`, { consent: 'pending' }))
        .statusCode,
    ).toBe(400);
    // Another sandbox sees nothing.
    await t.services.sandboxes.ensure('eu');
    expect(
      (await api(t, 'GET', `/api/v1/profiles/${enc(ALICE)}`, undefined, 'eu')).statusCode,
    ).toBe(404);
    await t.app.close();
  });

  it('lists and searches profiles by phone, consent and attribute, with cursor pagination', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    await text(t, cred, ALICE, 'OFFERS');
    await text(t, cred, BOB, 'STOP');
    await text(t, cred, BOB, 'DISCOUNT');
    await text(t, cred, CAROL, 'START');
    const items = async (query: string) =>
      (await api(t, 'GET', `/api/v1/profiles${query}`)).json<{
        items: { phone: string }[];
        nextCursor: string | null;
      }>();
    expect((await items('')).items.map((p) => p.phone)).toEqual([ALICE, BOB, CAROL]);
    expect((await items('?consent=unsubscribed')).items.map((p) => p.phone)).toEqual([BOB]);
    expect((await items('?phone=555-0125')).items.map((p) => p.phone)).toEqual([CAROL]);
    expect((await items('?attribute=keywords.OFFERS')).items.map((p) => p.phone)).toEqual([ALICE]);
    expect((await items('?attribute=keywords')).items.map((p) => p.phone)).toEqual([ALICE, BOB]);
    expect(
      (await items('?attribute=keywords.DISCOUNT.count&attributeValue=1')).items.map(
        (p) => p.phone,
      ),
    ).toEqual([BOB]);
    const page1 = await items('?limit=2');
    expect(page1.items).toHaveLength(2);
    const page2 = await items(`?limit=2&cursor=${page1.nextCursor}`);
    expect(page2).toMatchObject({ items: [{ phone: CAROL }], nextCursor: null });
    expect((await api(t, 'GET', '/api/v1/profiles?attributeValue=1')).statusCode).toBe(400);
    expect((await api(t, 'GET', "/api/v1/profiles?attribute=a'b")).statusCode).toBe(400);
    await t.app.close();
  });

  it('starts a double opt-in by API: pending + message queued, confirmed by an opt-in keyword', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    await api(t, 'PUT', `/api/v1/profiles/${enc(ALICE)}/consent`, { consent: 'unsubscribed' });
    const res = await api(t, 'POST', `/api/v1/profiles/${enc(ALICE)}/double-opt-in`, {
      credentialId: cred.id,
      note: 'signed up on the web',
    });
    expect(res.statusCode, res.body).toBe(202);
    const body = res.json<{ messageId: string }>();
    expect(body).toMatchObject({
      pending: { phone: ALICE, previousState: 'unsubscribed', credentialId: cred.id },
      profileId: expect.any(String) as unknown,
    });
    expect(await profileOf(db(), ALICE)).toMatchObject({ consent: 'pending' });
    expect(await messagesTo(db(), ALICE)).toMatchObject([
      { id: body.messageId, origin: 'double_opt_in', status: 'queued', sender: INBOUND },
    ]);
    expect((await ledgerOf(db(), ALICE)).map((e) => [e.to_state, e.source, e.note])).toEqual([
      ['unsubscribed', 'api', null],
      ['pending', 'api', 'signed up on the web'],
    ]);
    expect((await text(t, cred, ALICE, 'yes')).results[0]!.action).toBe('double_opt_in_confirmed');
    expect(await profileOf(db(), ALICE)).toMatchObject({ consent: 'subscribed' });
    // Already subscribed: 409, nothing sent.
    expect(
      (
        await api(t, 'POST', `/api/v1/profiles/${enc(ALICE)}/double-opt-in`, {
          credentialId: cred.id,
        })
      ).statusCode,
    ).toBe(409);
    expect(await messagesTo(db(), ALICE)).toHaveLength(2);
    // A credential from nowhere, or one without an inbound number: 400.
    expect(
      (await api(t, 'POST', `/api/v1/profiles/${enc(BOB)}/double-opt-in`, { credentialId: 'nope' }))
        .statusCode,
    ).toBe(400);
    const bare = await createInboundCredential(t, { name: 'no-number', inboundNumber: null });
    expect(
      (
        await api(t, 'POST', `/api/v1/profiles/${enc(BOB)}/double-opt-in`, {
          credentialId: bare.id,
        })
      ).json(),
    ).toMatchObject({ error: { code: 'validation_failed', details: [{ path: '/credentialId' }] } });
    await expectLedgerReconstructsProfiles(db());
    await t.app.close();
  });

  it('expires an API double opt-in for an unknown number: the request goes, no profile is left', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    const res = await api(t, 'POST', `/api/v1/profiles/${enc(BOB)}/double-opt-in`, {
      credentialId: cred.id,
    });
    expect(res.json()).toMatchObject({ pending: { previousState: 'unknown' }, profileId: null });
    expect((await api(t, 'GET', `/api/v1/profiles/${enc(BOB)}`)).json()).toMatchObject({
      profile: null,
      consent: 'unknown',
      pendingDoubleOptIn: { phone: BOB },
    });
    t.clock.advance(30 * DAY + 1);
    expect(await t.services.inbound.expireDoubleOptIns()).toBe(1);
    expect(await countRows(db(), 'profiles')).toBe(0);
    expect((await api(t, 'GET', `/api/v1/profiles/${enc(BOB)}`)).statusCode).toBe(404);
    // A YES after expiry is a plain opt-in.
    expect((await text(t, cred, BOB, 'YES')).results[0]!.action).toBe('opted_in');
    await t.app.close();
  });

  it('erases a profile; the ledger keeps the hashed number so the opt-out still holds', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    await text(t, cred, ALICE, 'OFFERS');
    await text(t, cred, ALICE, 'STOP');
    const profile = await profileOf(db(), ALICE);
    expect((await api(t, 'DELETE', `/api/v1/profiles/${enc(ALICE)}`)).statusCode).toBe(204);
    expect(await profileOf(db(), ALICE)).toBeUndefined();
    const ledger = await ledgerOf(db(), ALICE);
    expect(ledger).toMatchObject([{ profile_id: null, to_state: 'unsubscribed' }]);
    expect(JSON.stringify(ledger)).not.toContain(ALICE);
    expect((await consentOf(db().kysely, 'prod', [ALICE])).get(ALICE)).toBe('unsubscribed');
    expect((await api(t, 'DELETE', `/api/v1/profiles/${enc(ALICE)}`)).statusCode).toBe(404);
    const deleted = await db()
      .kysely.selectFrom('events')
      .selectAll()
      .where('type', '=', 'profile.deleted')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(deleted.payload)).toMatchObject({ profileId: profile!.id });

    // A custom keyword after erasure makes a new profile that still says unsubscribed.
    t.clock.advance(2 * DAY);
    await text(t, cred, ALICE, 'OFFERS');
    expect(await profileOf(db(), ALICE)).toMatchObject({ consent: 'unsubscribed' });
    expect((await messagesTo(db(), ALICE)).map((m) => m.origin)).toEqual(['opt_out_reply']);
    // And START re-subscribes, the ledger continuing from the opt-out.
    await text(t, cred, ALICE, 'START');
    expect((await ledgerOf(db(), ALICE)).map((e) => [e.from_state, e.to_state])).toEqual([
      ['unknown', 'unsubscribed'],
      ['unsubscribed', 'subscribed'],
    ]);
    await expectLedgerReconstructsProfiles(db());
    await t.app.close();
  });

  it('imports and exports consent as CSV: summary with reasons, idempotent, round trip', async () => {
    const t = await buildTestApp(db());
    await t.services.sandboxes.ensure('eu');
    const csv = [
      'Phone,Consent,Note',
      `${ALICE},subscribed,web form`,
      `"${BOB.slice(1)}",unsubscribed,`,
      `${CAROL},SUBSCRIBED,"said ""yes"", twice"`,
      '12345,subscribed,',
      `${ALICE},maybe,`,
      `"${BOB},subscribed`,
      '',
    ].join('\r\n');
    const res = await importCsv(t, csv);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      rows: 6,
      changed: 3,
      unchanged: 0,
      rejected: 3,
      rejections: [
        { line: 5, phone: '12345', reason: 'not a valid phone number' },
        { line: 6, phone: ALICE, reason: expect.stringContaining('consent must be') as unknown },
        { line: 7, phone: null, reason: 'unbalanced quotes' },
      ],
    });
    expect((await ledgerOf(db(), CAROL))[0]).toMatchObject({
      source: 'import',
      note: 'said "yes", twice',
      to_state: 'subscribed',
    });
    // Idempotent: the same file again changes nothing.
    expect((await importCsv(t, csv)).json()).toMatchObject({
      changed: 0,
      unchanged: 3,
      rejected: 3,
    });
    // An import never re-subscribes an opted-out number.
    expect((await importCsv(t, `phone,consent\n${BOB},subscribed\n`)).json()).toMatchObject({
      changed: 0,
      rejections: [
        { line: 2, phone: BOB, reason: expect.stringContaining('opted out') as unknown },
      ],
    });

    const exported = await api(t, 'GET', '/api/v1/profiles/consent.csv');
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-type']).toContain('text/csv');
    const lines = exported.body.trim().split('\r\n');
    expect(lines[0]).toBe('phone,consent,consent_updated_at');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual([
      `${ALICE},subscribed`,
      `${BOB},unsubscribed`,
      `${CAROL},subscribed`,
    ]);
    // Round trip into another sandbox gives the same export; importing it back here is a no-op.
    expect((await importCsv(t, exported.body, 'eu')).json()).toMatchObject({
      rows: 3,
      changed: 3,
      rejected: 0,
    });
    const again = await api(t, 'GET', '/api/v1/profiles/consent.csv', undefined, 'eu');
    expect(again.body.split('\r\n').map((l) => l.split(',').slice(0, 2).join(','))).toEqual(
      exported.body.split('\r\n').map((l) => l.split(',').slice(0, 2).join(',')),
    );
    expect((await importCsv(t, exported.body)).json()).toMatchObject({ changed: 0, unchanged: 3 });
    await expectLedgerReconstructsProfiles(db());
    await expectLedgerReconstructsProfiles(db(), 'eu');

    expect((await importCsv(t, 'number,state\n1,2\n')).statusCode).toBe(400);
    expect((await importCsv(t, '')).statusCode).toBe(400);
    await t.app.close();
  });

  it('exports many profiles in pages', async () => {
    const t = await buildTestApp(db());
    const rows = Array.from(
      { length: 1234 },
      (_, i) => `+1415555${String(1000 + i).padStart(4, '0')},unsubscribed`,
    );
    const res = await importCsv(t, `phone,consent\n${rows.join('\n')}\n`);
    expect(res.json()).toMatchObject({ rows: 1234, changed: 1234, rejected: 0 });
    const exported = await api(t, 'GET', '/api/v1/profiles/consent.csv');
    expect(exported.body.trim().split('\r\n')).toHaveLength(1235);
    await t.app.close();
  });

  it('lists the inbound log with filters and pagination', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    await text(t, cred, ALICE, 'STOP');
    await text(t, cred, BOB, 'HELP');
    await text(t, cred, ALICE, 'hello');
    const list = async (query: string) =>
      (await api(t, 'GET', `/api/v1/inbound${query}`)).json<{
        items: { id: string; text: string }[];
        nextCursor: string | null;
      }>();
    expect((await list('')).items.map((i) => i.text)).toEqual(['hello', 'HELP', 'STOP']);
    expect((await list(`?from=${enc(ALICE)}`)).items.map((i) => i.text)).toEqual(['hello', 'STOP']);
    expect((await list('?category=help')).items.map((i) => i.text)).toEqual(['HELP']);
    const page = await list('?limit=2');
    expect((await list(`?limit=2&cursor=${page.nextCursor}`)).items.map((i) => i.text)).toEqual([
      'STOP',
    ]);
    const one = await api(t, 'GET', `/api/v1/inbound/${page.items[0]!.id}`);
    expect(one.json()).toMatchObject({
      text: 'hello',
      category: 'none',
      action: 'none',
      replyMessageId: null,
    });
    expect((await api(t, 'GET', '/api/v1/inbound?category=nope')).statusCode).toBe(400);
    await t.app.close();
  });
});
