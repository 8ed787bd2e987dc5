import type { Registry } from 'prom-client';
import { expect, it } from 'vitest';
import { MAX_TEXTS_PER_POST } from '../src/inbound/inbound.service.js';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import {
  ALICE,
  BOB,
  INBOUND,
  countRows,
  expectNothingStored,
  createInboundCredential,
  messagesTo,
  moBody,
  moResult,
  postInbound,
  profileOf,
  text,
} from './helpers/inbound.js';

const limitedMetric = async (t: { services: { metrics: { registry: Registry } } }) =>
  (await t.services.metrics.registry.getSingleMetricAsString('tern_inbound_replies_limited_total'))
    .split('\n')
    .filter((l) => !l.startsWith('#'));

/** Issue 12: inbound de-duplication, reply bounds, inbound-number conflicts, double opt-in resends. */
describeEachDialect('inbound hardening', ({ db }) => {
  it('de-duplicates per webhook credential: another tenant cannot pre-claim a message id (row 4)', async () => {
    const t = await buildTestApp(db());
    await t.services.sandboxes.ensure('evil');
    const victim = await createInboundCredential(t);
    const attacker = await createInboundCredential(
      t,
      { apiKey: 'attacker-key-0123456789', inboundNumber: '+14155550190' },
      'evil',
    );
    const stop = moResult(ALICE, 'STOP', { messageId: 'infobip-mo-1' });
    // The attacker posts the id first, to its own URL (unrouted there: not its number).
    const claimed = await postInbound(t, attacker.webhook, moBody(stop));
    expect(claimed.json()).toMatchObject({ received: 1, duplicates: 0, unrouted: 1 });
    // The victim's genuine STOP with the same id is acted on, not dropped as a replay…
    const genuine = await postInbound(t, victim.webhook, moBody(stop));
    expect(genuine.json()).toMatchObject({ processed: 1, duplicates: 0 });
    expect(await profileOf(db(), ALICE)).toMatchObject({ consent: 'unsubscribed' });
    // …and Infobip's retry of it to the same URL still is one.
    const retry = await postInbound(t, victim.webhook, moBody(stop));
    expect(retry.json()).toMatchObject({ processed: 0, duplicates: 1 });
    expect(await countRows(db(), 'inbound_messages')).toBe(2);
    expect(await messagesTo(db(), ALICE)).toHaveLength(1);
    await t.app.close();
  });

  it('refuses a POST of more than 1,000 texts with 413, storing nothing; 1,000 pass (row 11)', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t, { defaultInboundReply: 'Thanks!' });
    const many = (n: number) =>
      moBody(
        ...Array.from({ length: n }, (_, i) =>
          moResult(`+1415556${String(i).padStart(4, '0')}`, 'hello'),
        ),
      );
    // 10,000 texts (the attack) are over the 2 MiB body limit too; 1,001 are well under it.
    const attack = await postInbound(t, cred.webhook, many(10_000));
    expect(attack.statusCode, attack.body).toBe(413);
    const over = await postInbound(t, cred.webhook, many(MAX_TEXTS_PER_POST + 1));
    expect(over.statusCode, over.body).toBe(413);
    expect(over.json()).toMatchObject({
      error: { code: 'payload_too_large', details: [{ path: '/results' }] },
    });
    await expectNothingStored(db());
    const res = await postInbound(t, cred.webhook, many(MAX_TEXTS_PER_POST));
    expect(res.statusCode, res.body).toBe(200);
    // The default bound of 1,000 replies a credential a minute: every one of them answered.
    expect(res.json()).toMatchObject({ processed: 1000, repliesLimited: 0 });
    expect(await countRows(db(), 'messages')).toBe(1000);
    await t.app.close();
  }, 60_000);

  it('bounds automatic replies per texting number an hour; the opt-out is applied regardless (row 11)', async () => {
    const t = await buildTestApp(db(), { TERN_INBOUND_REPLIES_PER_NUMBER_PER_HOUR: '3' });
    const cred = await createInboundCredential(t);
    for (let i = 0; i < 3; i++)
      expect((await text(t, cred, ALICE, 'HELP')).results[0]!.action).toBe('help_replied');
    const held = await text(t, cred, ALICE, 'HELP');
    expect(held).toMatchObject({
      processed: 1,
      repliesLimited: 1,
      results: [{ action: 'help_replied' }],
    });
    const stop = await text(t, cred, ALICE, 'STOP');
    expect(stop).toMatchObject({ repliesLimited: 1, results: [{ action: 'opted_out' }] });
    expect(await profileOf(db(), ALICE)).toMatchObject({ consent: 'unsubscribed' });
    expect((await messagesTo(db(), ALICE)).map((m) => m.origin)).toEqual([
      'reply',
      'reply',
      'reply',
    ]);
    // Another number has its own budget; the stored texts show no reply for the held ones.
    expect((await text(t, cred, BOB, 'HELP')).repliesLimited).toBe(0);
    const log = await t.app.inject({ url: '/api/v1/inbound?from=%2B14155550123', headers: t.auth });
    expect(
      log
        .json<{ items: { replyMessageId: string | null }[] }>()
        .items.map((i) => i.replyMessageId === null),
    ).toEqual([true, true, false, false, false]);
    expect(await limitedMetric(t)).toEqual([
      'tern_inbound_replies_limited_total{reason="per_number"} 2',
    ]);
    expect(t.logs.text).toContain('reply bound reached');
    // The next hour, the number is answered again.
    t.clock.advance(3600_000);
    const start = await text(t, cred, ALICE, 'START');
    expect(start).toMatchObject({ repliesLimited: 0, results: [{ action: 'opted_in' }] });
    expect(await messagesTo(db(), ALICE)).toHaveLength(4);
    await t.app.close();
  });

  it('bounds automatic replies per credential a minute, across numbers (row 11)', async () => {
    const t = await buildTestApp(db(), { TERN_INBOUND_REPLIES_PER_CREDENTIAL_PER_MINUTE: '5' });
    const cred = await createInboundCredential(t);
    const body = moBody(
      ...Array.from({ length: 10 }, (_, i) =>
        moResult(`+141555560${String(i).padStart(2, '0')}`, 'HELP'),
      ),
    );
    const res = await postInbound(t, cred.webhook, body);
    expect(res.json()).toMatchObject({ processed: 10, repliesLimited: 5 });
    expect(await countRows(db(), 'messages')).toBe(5);
    expect(await countRows(db(), 'inbound_messages')).toBe(10);
    expect(await limitedMetric(t)).toEqual([
      'tern_inbound_replies_limited_total{reason="per_credential"} 5',
    ]);
    t.clock.advance(60_000);
    expect((await text(t, cred, ALICE, 'HELP')).repliesLimited).toBe(0);
    expect(await countRows(db(), 'messages')).toBe(6);
    await t.app.close();
  });

  it('answers a taken inbound number alike wherever its holder is, naming no one (row 22)', async () => {
    const t = await buildTestApp(db());
    await t.services.sandboxes.ensure('other');
    const holder = await createInboundCredential(t, { name: 'HOLDER-NAME' });
    const claim = (sandbox: string, name: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/credentials',
        headers: { ...t.auth, 'x-sandbox-name': sandbox },
        payload: {
          name,
          baseUrl: 'https://ggx5k8.api.infobip.com',
          apiKey: 'key-0123456789abcdef',
          inboundNumber: INBOUND,
        },
      });
    const sameSandbox = await claim('prod', 'second');
    const elsewhere = await claim('other', 'second');
    expect(sameSandbox.statusCode).toBe(409);
    expect(elsewhere.statusCode).toBe(409);
    expect(elsewhere.json()).toEqual(sameSandbox.json());
    expect(elsewhere.json()).toMatchObject({
      error: { code: 'conflict', details: [{ path: '/inboundNumber' }] },
    });
    for (const mark of ['prod', holder.id, 'HOLDER-NAME', 'belongs', 'sandbox']) {
      expect(elsewhere.body).not.toContain(mark);
    }
    await t.app.close();
  });

  it('sends one double opt-in message per number per 10 minutes however often the API is called (row 23)', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    const request = (phone: string) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/profiles/${encodeURIComponent(phone)}/double-opt-in`,
        headers: t.auth,
        payload: { credentialId: cred.id },
      });
    const first = await request(ALICE);
    expect(first.statusCode, first.body).toBe(202);
    const pending = first.json<{ pending: { requestedAt: string } }>().pending;
    expect(first.json()).toMatchObject({ sent: true, messageId: expect.any(String) as unknown });
    for (let i = 0; i < 5; i++) {
      const again = await request(ALICE);
      expect(again.statusCode, again.body).toBe(200);
      expect(again.json()).toMatchObject({ sent: false, messageId: null, pending });
      t.clock.advance(60_000);
    }
    expect(await messagesTo(db(), ALICE)).toHaveLength(1);
    // Ten minutes after the last message, a person who lost it can be sent another.
    t.clock.advance(5 * 60_000);
    expect((await request(ALICE)).statusCode).toBe(202);
    expect(await messagesTo(db(), ALICE)).toHaveLength(2);
    // Concurrent calls (a double-clicked form): one message, on either database.
    const both = await Promise.all([request(BOB), request(BOB), request(BOB)]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([200, 200, 202]);
    expect(await messagesTo(db(), BOB)).toHaveLength(1);
    await t.app.close();
  });
});
