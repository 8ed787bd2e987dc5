import { expect, it } from 'vitest';
import { consentOf } from '../src/profiles/consent.js';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import {
  ALICE,
  BOB,
  CAROL,
  INBOUND,
  countRows,
  expectNothingStored,
  createInboundCredential,
  eventsOf,
  expectLedgerReconstructsProfiles,
  ledgerOf,
  messagesTo,
  moBody,
  moResult,
  postInbound,
  profileOf,
  text,
} from './helpers/inbound.js';

const DAY = 24 * 3600 * 1000;

describeEachDialect('inbound webhook: the rules table', ({ db }) => {
  it('1. opt-out: unsubscribes (profile created), ledgers it, queues the opt-out reply, emits events', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    const summary = await text(t, cred, ALICE, ' Stop. ');
    expect(summary).toMatchObject({ received: 1, processed: 1, duplicates: 0, unrouted: 0 });
    expect(summary.results[0]).toMatchObject({ category: 'opt_out', action: 'opted_out' });
    const inboundId = summary.results[0]!.inboundMessageId;

    expect(await profileOf(db(), ALICE)).toMatchObject({ consent: 'unsubscribed' });
    const ledger = await ledgerOf(db(), ALICE);
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({
      from_state: 'unknown',
      to_state: 'unsubscribed',
      source: 'keyword',
      inbound_message_id: inboundId,
    });
    const [reply, ...others] = await messagesTo(db(), ALICE);
    expect(others).toHaveLength(0);
    expect(reply).toMatchObject({
      status: 'queued',
      origin: 'opt_out_reply',
      channel: 'sms',
      message_type: 'transactional',
      sender: INBOUND,
      credential_id: cred.id,
      callback_data: 'tenant-42',
      inbound_message_id: inboundId,
      text: 'You are unsubscribed and will receive no more messages. Reply START to subscribe again.',
      segments: 1,
      encoding: 'GSM-7',
      valid_until: new Date(t.clock.now().getTime() + 48 * 3600 * 1000).toISOString(),
    });
    const events = await eventsOf(db());
    expect(events.map((e) => e.type)).toEqual(['consent.changed', 'inbound.received']);
    expect(events[0]!.payload).toMatchObject({
      phone: ALICE,
      from: 'unknown',
      to: 'unsubscribed',
      source: 'keyword',
    });
    expect(events[1]!.payload).toMatchObject({
      inboundMessageId: inboundId,
      from: ALICE,
      to: INBOUND,
      text: ' Stop. ',
      category: 'opt_out',
      keyword: 'STOP',
      action: 'opted_out',
      replyMessageId: reply!.id,
      callbackData: 'tenant-42',
    });
    const row = await db()
      .kysely.selectFrom('inbound_messages')
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      sandbox: 'prod',
      credential_id: cred.id,
      from_number: ALICE,
      to_number: INBOUND,
      category: 'opt_out',
      action: 'opted_out',
    });
    await t.app.close();
  });

  it('1b. repeated STOPs inside the window get no second reply; after it they do; STOP-START-STOP always confirms', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    await text(t, cred, ALICE, 'STOP');
    t.clock.advance(3600 * 1000);
    expect((await text(t, cred, ALICE, 'stop')).results[0]!.action).toBe('opted_out_no_reply');
    expect((await text(t, cred, ALICE, 'QUIT')).results[0]!.action).toBe('opted_out_no_reply');
    expect(await messagesTo(db(), ALICE)).toHaveLength(1);
    t.clock.advance(DAY);
    expect((await text(t, cred, ALICE, 'STOP')).results[0]!.action).toBe('already_opted_out');
    expect(await messagesTo(db(), ALICE)).toHaveLength(2);

    await text(t, cred, BOB, 'STOP');
    await text(t, cred, BOB, 'START');
    expect((await text(t, cred, BOB, 'STOP')).results[0]!.action).toBe('opted_out');
    expect((await messagesTo(db(), BOB)).map((m) => m.origin)).toEqual([
      'opt_out_reply',
      'reply',
      'opt_out_reply',
    ]);
    expect(await ledgerOf(db(), ALICE)).toHaveLength(1);
    await t.app.close();
  });

  it('2. opt-in: subscribes (profile created) and replies with the opt-in message', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    const summary = await text(t, cred, ALICE, 'start');
    expect(summary.results[0]).toMatchObject({ category: 'opt_in', action: 'opted_in' });
    expect(await profileOf(db(), ALICE)).toMatchObject({ consent: 'subscribed' });
    expect(await ledgerOf(db(), ALICE)).toMatchObject([
      { from_state: 'unknown', to_state: 'subscribed', source: 'keyword' },
    ]);
    expect(await messagesTo(db(), ALICE)).toMatchObject([
      {
        status: 'queued',
        origin: 'reply',
        text: expect.stringContaining('You are subscribed') as unknown,
      },
    ]);
    expect((await text(t, cred, ALICE, 'YES')).results[0]!.action).toBe('already_subscribed');
    expect(await ledgerOf(db(), ALICE)).toHaveLength(1);
    await t.app.close();
  });

  it('3. help: no consent change, the help reply (suppressed for an unsubscribed number)', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t, {
      helpMessage: 'Acme alerts. Reply STOP to stop.',
    });
    expect((await text(t, cred, ALICE, 'HELP')).results[0]).toMatchObject({
      category: 'help',
      action: 'help_replied',
    });
    expect(await profileOf(db(), ALICE)).toBeUndefined();
    expect(await messagesTo(db(), ALICE)).toMatchObject([
      { status: 'queued', origin: 'reply', text: 'Acme alerts. Reply STOP to stop.' },
    ]);

    await text(t, cred, BOB, 'STOP');
    await text(t, cred, BOB, 'info');
    const [, help] = await messagesTo(db(), BOB);
    expect(help).toMatchObject({
      status: 'suppressed',
      status_reason: expect.stringContaining('opted out') as unknown,
    });
    await t.app.close();
  });

  it('4. double opt-in from a keyword, unknown number: pending request only, the profile on confirmation', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t, {
      doubleOptInMessage: 'Reply YES to confirm Acme alerts.',
    });
    expect((await text(t, cred, ALICE, 'join')).results[0]).toMatchObject({
      category: 'double_opt_in',
      action: 'double_opt_in_started',
    });
    expect(await profileOf(db(), ALICE)).toBeUndefined();
    const request = await db()
      .kysely.selectFrom('double_opt_in_requests')
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(request).toMatchObject({
      sandbox: 'prod',
      phone: ALICE,
      credential_id: cred.id,
      previous_state: 'unknown',
      expires_at: new Date(t.clock.now().getTime() + 30 * DAY).toISOString(),
    });
    expect(await messagesTo(db(), ALICE)).toMatchObject([
      { status: 'queued', origin: 'double_opt_in', text: 'Reply YES to confirm Acme alerts.' },
    ]);

    t.clock.advance(DAY);
    expect((await text(t, cred, ALICE, 'Yes!')).results[0]).toMatchObject({
      category: 'opt_in',
      action: 'double_opt_in_confirmed',
    });
    expect(await profileOf(db(), ALICE)).toMatchObject({ consent: 'subscribed' });
    expect(await countRows(db(), 'double_opt_in_requests')).toBe(0);
    expect(await ledgerOf(db(), ALICE)).toMatchObject([
      { from_state: 'unknown', to_state: 'subscribed' },
    ]);
    expect((await eventsOf(db())).map((e) => e.type)).toContain('double_opt_in.requested');
    await t.app.close();
  });

  it('4b. double opt-in for an existing profile goes pending, and expiry restores the previous state', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    await text(t, cred, ALICE, 'STOP');
    t.clock.advance(DAY);
    await text(t, cred, ALICE, 'JOIN');
    expect(await profileOf(db(), ALICE)).toMatchObject({ consent: 'pending' });
    // The double opt-in message reaches the (now pending) number.
    expect((await messagesTo(db(), ALICE)).map((m) => [m.origin, m.status])).toEqual([
      ['opt_out_reply', 'queued'],
      ['double_opt_in', 'queued'],
    ]);
    // Nothing expires early.
    t.clock.advance(29 * DAY);
    expect(await t.services.inbound.expireDoubleOptIns()).toBe(0);
    t.clock.advance(2 * DAY);
    expect(await t.services.inbound.expireDoubleOptIns()).toBe(1);
    expect(await profileOf(db(), ALICE)).toMatchObject({ consent: 'unsubscribed' });
    expect((await ledgerOf(db(), ALICE)).map((e) => [e.from_state, e.to_state, e.source])).toEqual([
      ['unknown', 'unsubscribed', 'keyword'],
      ['unsubscribed', 'pending', 'keyword'],
      ['pending', 'unsubscribed', 'double_opt_in_expiry'],
    ]);
    const expired = (await eventsOf(db())).find((e) => e.type === 'double_opt_in.expired');
    expect(expired?.payload).toMatchObject({ phone: ALICE, restoredConsent: 'unsubscribed' });
    // A late YES still opts in, as a plain opt-in.
    expect((await text(t, cred, ALICE, 'YES')).results[0]!.action).toBe('opted_in');
    await expectLedgerReconstructsProfiles(db());
    await t.app.close();
  });

  it('4c. double opt-in keyword from a subscribed number changes nothing', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    await text(t, cred, ALICE, 'START');
    expect((await text(t, cred, ALICE, 'JOIN')).results[0]!.action).toBe('already_subscribed');
    expect(await profileOf(db(), ALICE)).toMatchObject({ consent: 'subscribed' });
    expect(await countRows(db(), 'double_opt_in_requests')).toBe(0);
    await t.app.close();
  });

  it('5. custom keyword: attribute on the profile (keyword, time, count), event with keyword and profile, no reply', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t, { defaultInboundReply: 'Thanks!' });
    expect((await text(t, cred, ALICE, 'offers')).results[0]).toMatchObject({
      category: 'custom',
      action: 'keyword_recorded',
    });
    const first = t.clock.now().toISOString();
    t.clock.advance(60_000);
    await text(t, cred, ALICE, 'OFFERS!');
    const profile = await profileOf(db(), ALICE);
    expect(profile?.consent).toBe('unknown');
    expect(JSON.parse(profile!.attributes)).toEqual({
      keywords: { OFFERS: { count: 2, firstAt: first, lastAt: t.clock.now().toISOString() } },
    });
    expect(await messagesTo(db(), ALICE)).toHaveLength(0);
    expect(await ledgerOf(db(), ALICE)).toHaveLength(0);
    const hits = (await eventsOf(db())).filter((e) => e.type === 'profile.keyword');
    expect(hits).toHaveLength(2);
    expect(hits[1]!.payload).toMatchObject({
      keyword: 'OFFERS',
      profile: {
        id: profile!.id,
        phone: ALICE,
        consent: 'unknown',
        attributes: { keywords: { OFFERS: { count: 2 } } },
      },
      credentialId: cred.id,
      callbackData: 'tenant-42',
    });
    await t.app.close();
  });

  it('6. nothing matched: the default reply when set, nothing otherwise', async () => {
    const t = await buildTestApp(db());
    const withReply = await createInboundCredential(t, {
      defaultInboundReply: 'Sorry, we did not understand. Reply HELP.',
    });
    expect((await text(t, withReply, ALICE, "don't stop")).results[0]).toMatchObject({
      category: 'none',
      action: 'default_replied',
    });
    expect(await messagesTo(db(), ALICE)).toMatchObject([
      { origin: 'reply', status: 'queued', text: 'Sorry, we did not understand. Reply HELP.' },
    ]);
    expect(await profileOf(db(), ALICE)).toBeUndefined();

    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/credentials/${withReply.id}`,
      headers: t.auth,
      payload: { defaultInboundReply: null },
    });
    expect((await text(t, withReply, BOB, 'hello')).results[0]).toMatchObject({
      category: 'none',
      action: 'none',
    });
    expect(await messagesTo(db(), BOB)).toHaveLength(0);
    await t.app.close();
  });

  it('fuzzy opt-out, reply mode: answers how to opt out, consent unchanged', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t, {
      fuzzyOptOut: 'reply',
      fuzzyOptOutReply: 'To opt out, reply STOP.',
    });
    expect((await text(t, cred, ALICE, 'STPO')).results[0]).toMatchObject({
      category: 'fuzzy_opt_out',
      action: 'fuzzy_replied',
    });
    expect((await text(t, cred, BOB, 'stop texting me')).results[0]).toMatchObject({
      category: 'fuzzy_opt_out',
      action: 'fuzzy_replied',
    });
    expect(await profileOf(db(), ALICE)).toBeUndefined();
    expect(await messagesTo(db(), ALICE)).toMatchObject([
      { origin: 'reply', text: 'To opt out, reply STOP.' },
    ]);
    // Never fuzzy into opt-in.
    expect((await text(t, cred, CAROL, 'STARTT')).results[0]).toMatchObject({ category: 'none' });
    await t.app.close();
  });

  it('fuzzy opt-out, opt-out mode: opts out directly with the opt-out reply', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t, { fuzzyOptOut: 'opt-out' });
    expect((await text(t, cred, ALICE, 'Unsubscirbe')).results[0]).toMatchObject({
      category: 'opt_out',
      action: 'opted_out',
    });
    expect((await text(t, cred, BOB, 'Please remove me from your list.')).results[0]).toMatchObject(
      { category: 'opt_out', action: 'opted_out' },
    );
    for (const phone of [ALICE, BOB]) {
      expect(await profileOf(db(), phone)).toMatchObject({ consent: 'unsubscribed' });
      expect(await messagesTo(db(), phone)).toMatchObject([
        { origin: 'opt_out_reply', status: 'queued' },
      ]);
    }
    const inbound = (await eventsOf(db())).filter((e) => e.type === 'inbound.received');
    expect(inbound.map((e) => e.payload.fuzzy)).toEqual(['near_miss', 'phrase']);
    await t.app.close();
  });
});

describeEachDialect(
  'inbound webhook: authentication, validation, de-duplication, routing',
  ({ db }) => {
    it('answers 401 to a wrong secret or an unknown credential, and changes nothing', async () => {
      const t = await buildTestApp(db());
      const cred = await createInboundCredential(t);
      const body = moBody(moResult(ALICE, 'STOP'));
      for (const url of [
        cred.webhook.replace(cred.secret, `${cred.secret}x`),
        cred.webhook.replace(cred.secret, 'short'),
        cred.webhook.replace(cred.id, '0190a0a0-0000-7000-8000-000000000000'),
        `/webhooks/infobip/${cred.id}/reports/${cred.secret}`,
      ]) {
        const res = await postInbound(t, url, body);
        expect(res.statusCode, url).toBe(401);
        expect(res.json()).toMatchObject({ error: { code: 'unauthorized' } });
      }
      // Authenticated before the body is parsed: garbage with a wrong secret is still a 401.
      const garbage = await t.app.inject({
        method: 'POST',
        url: cred.webhook.replace(cred.secret, 'nope'),
        headers: { 'content-type': 'application/json' },
        payload: '{not json',
      });
      expect(garbage.statusCode).toBe(401);
      await expectNothingStored(db());
      await t.app.close();
    });

    it('answers 400 to a body with nothing usable and changes nothing (one bad text among good ones: webhook-items.test.ts)', async () => {
      const t = await buildTestApp(db());
      const cred = await createInboundCredential(t);
      const bad = [{ results: 'nope' }, { nothing: true }, [moResult(ALICE, 'STOP')]];
      for (const body of bad) {
        const res = await postInbound(t, cred.webhook, body);
        expect(res.statusCode, JSON.stringify(body)).toBe(400);
        expect(res.json()).toMatchObject({ error: { code: 'validation_failed' } });
      }
      const noneUsable = moBody(moResult(BOB, 'STOP', { messageId: '' }));
      expect((await postInbound(t, cred.webhook, noneUsable)).json()).toMatchObject({
        error: { details: [{ path: '/results/0/messageId' }] },
      });
      const invalidJson = await t.app.inject({
        method: 'POST',
        url: cred.webhook,
        headers: { 'content-type': 'application/json' },
        payload: '{"results": [',
      });
      expect(invalidJson.statusCode).toBe(400);
      await expectNothingStored(db());
      await t.app.close();
    });

    it('acts once on a replayed webhook (Infobip retries), also inside one batch', async () => {
      const t = await buildTestApp(db());
      const cred = await createInboundCredential(t);
      const stop = moResult(ALICE, 'STOP');
      const offers = moResult(BOB, 'OFFERS');
      const body = moBody(stop, offers);
      expect((await postInbound(t, cred.webhook, body)).json()).toMatchObject({
        received: 2,
        processed: 2,
        duplicates: 0,
      });
      const replay = await postInbound(t, cred.webhook, body);
      expect(replay.statusCode).toBe(200);
      expect(replay.json()).toMatchObject({ received: 2, processed: 0, duplicates: 2 });
      expect((await postInbound(t, cred.webhook, moBody(offers, offers))).json()).toMatchObject({
        duplicates: 2,
      });
      const fresh = moResult(CAROL, 'OFFERS');
      expect((await postInbound(t, cred.webhook, moBody(fresh, fresh))).json()).toMatchObject({
        processed: 1,
        duplicates: 1,
      });
      expect(await countRows(db(), 'inbound_messages')).toBe(3);
      expect(await messagesTo(db(), ALICE)).toHaveLength(1);
      expect(await ledgerOf(db(), ALICE)).toHaveLength(1);
      const profile = await profileOf(db(), BOB);
      expect(JSON.parse(profile!.attributes)).toMatchObject({ keywords: { OFFERS: { count: 1 } } });
      expect((await eventsOf(db())).filter((e) => e.type === 'inbound.received')).toHaveLength(3);
      await t.app.close();
    });

    it('stores a text for a number nobody owns, unrouted, without acting on it', async () => {
      const t = await buildTestApp(db());
      const cred = await createInboundCredential(t);
      const res = await postInbound(
        t,
        cred.webhook,
        moBody(moResult(ALICE, 'STOP', { to: '14155550199' })),
      );
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        received: 1,
        processed: 0,
        unrouted: 1,
        results: [{ action: 'unrouted', sandbox: null }],
      });
      const row = await db()
        .kysely.selectFrom('inbound_messages')
        .selectAll()
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({
        sandbox: null,
        credential_id: null,
        to_number: '+14155550199',
        action: 'unrouted',
      });
      expect(await countRows(db(), 'profiles')).toBe(0);
      expect(await countRows(db(), 'messages')).toBe(0);
      expect(t.logs.text).toContain('stored unrouted');
      await t.app.close();
    });

    it('routes by the to number within its own sandbox only, even when another sandbox shares the API key', async () => {
      const t = await buildTestApp(db());
      await t.services.sandboxes.ensure('eu');
      const prod = await createInboundCredential(t);
      // The same Infobip account (same key) in prod, with a second number: routed from prod's URL.
      const prod2 = await createInboundCredential(t, {
        name: 'prod-2',
        inboundNumber: '+14155550103',
        defaultInboundReply: 'prod-2 here',
      });
      // The same account in another sandbox: prod's URL must never act there (issue 12 row 3).
      const eu = await createInboundCredential(
        t,
        { inboundNumber: '+14155550101', defaultInboundReply: 'EU here' },
        'eu',
      );
      // Another Infobip account (another key) in prod: not routed from prod's URL either.
      const other = await createInboundCredential(t, {
        name: 'other',
        apiKey: 'another-key-0123456789',
        inboundNumber: '+14155550102',
      });

      const body = moBody(
        moResult(ALICE, 'STOP'),
        moResult(ALICE, 'STOP', { to: '14155550101' }),
        moResult(BOB, 'hello', { to: '14155550101' }),
        moResult(CAROL, 'STOP', { to: '14155550102' }),
        moResult(BOB, 'hello', { to: '14155550103' }),
      );
      const res = await postInbound(t, prod.webhook, body);
      expect(res.json()).toMatchObject({
        received: 5,
        processed: 2,
        unrouted: 3,
        results: [
          { sandbox: 'prod' },
          { sandbox: null, action: 'unrouted' },
          { sandbox: null, action: 'unrouted' },
          { sandbox: null, action: 'unrouted' },
          { sandbox: 'prod' },
        ],
      });
      expect(await profileOf(db(), ALICE, 'prod')).toMatchObject({ consent: 'unsubscribed' });
      expect(await profileOf(db(), ALICE, 'eu')).toBeUndefined();
      expect(await messagesTo(db(), ALICE, 'eu')).toHaveLength(0);
      expect(await messagesTo(db(), BOB, 'eu')).toHaveLength(0);
      expect(await eventsOf(db(), 'eu')).toHaveLength(0);
      expect(await profileOf(db(), CAROL, 'prod')).toBeUndefined();
      expect(await messagesTo(db(), BOB, 'prod')).toMatchObject([
        { text: 'prod-2 here', sender: '+14155550103', credential_id: prod2.id },
      ]);

      // Each number forwarding to its own credential's URL (the remedy) is routed.
      const euRes = await postInbound(
        t,
        eu.webhook,
        moBody(moResult(ALICE, 'STOP', { to: '14155550101' })),
      );
      expect(euRes.json()).toMatchObject({ processed: 1, results: [{ sandbox: 'eu' }] });
      expect(await profileOf(db(), ALICE, 'eu')).toMatchObject({ consent: 'unsubscribed' });
      await postInbound(t, other.webhook, moBody(moResult(CAROL, 'STOP', { to: '14155550102' })));
      expect(await profileOf(db(), CAROL, 'prod')).toMatchObject({ consent: 'unsubscribed' });
      // Sandboxes stay apart on the API too.
      const list = await t.app.inject({
        url: '/api/v1/inbound',
        headers: { ...t.auth, 'x-sandbox-name': 'eu' },
      });
      expect(list.json<{ items: unknown[] }>().items).toHaveLength(1);
      await t.app.close();
    });

    it('keeps the ledger able to reconstruct every profile through a mixed sequence', async () => {
      const t = await buildTestApp(db());
      const cred = await createInboundCredential(t, { fuzzyOptOut: 'opt-out' });
      const script: [string, string][] = [
        [ALICE, 'JOIN'],
        [ALICE, 'YES'],
        [ALICE, 'STOP'],
        [ALICE, 'OFFERS'],
        [ALICE, 'JOIN'],
        [BOB, 'OFFERS'],
        [BOB, 'STPO'],
        [BOB, 'START'],
        [BOB, 'HELP'],
        [BOB, 'JOIN'],
        [CAROL, 'hello'],
        [CAROL, 'STOP'],
        [CAROL, 'UNSTOP'],
      ];
      for (const [from, body] of script) {
        await text(t, cred, from, body);
        t.clock.advance(1000);
      }
      await expectLedgerReconstructsProfiles(db());
      const consent = await consentOf(db().kysely, 'prod', [ALICE, BOB, CAROL]);
      expect(Object.fromEntries(consent)).toEqual({
        [ALICE]: 'pending',
        [BOB]: 'subscribed',
        [CAROL]: 'subscribed',
      });
      t.clock.advance(31 * DAY);
      await t.services.inbound.expireDoubleOptIns();
      expect((await consentOf(db().kysely, 'prod', [ALICE])).get(ALICE)).toBe('unsubscribed');
      await expectLedgerReconstructsProfiles(db());
      await t.app.close();
    });
  },
);
