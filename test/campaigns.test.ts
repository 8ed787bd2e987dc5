import { expect, it } from 'vitest';
import type { Db } from '../src/db/database.js';
import { newId } from '../src/ids.js';
import { phoneRegion } from '../src/phone.js';
import { setConsent } from '../src/profiles/consent.js';
import { describeEachDialect } from './helpers/databases.js';
import { eventually, startSendingStack, type SendingStack } from './helpers/sending.js';

/** `count` profiles +1415555xxxx; every `unsubscribedEvery`-th opted out, every `noOffersEvery`-th never texted OFFERS. */
async function seed(
  db: Db,
  count: number,
  options: { unsubscribedEvery?: number; noOffersEvery?: number; start?: number } = {},
): Promise<string[]> {
  const at = '2026-11-01T00:00:00.000Z';
  const phones: string[] = [];
  const rows = [];
  for (let i = 0; i < count; i++) {
    const n = (options.start ?? 0) + i;
    const phone = `+1415${String(2000000 + n).padStart(7, '0')}`;
    phones.push(phone);
    const offers =
      options.noOffersEvery && i % options.noOffersEvery === 0
        ? {}
        : { keywords: { OFFERS: { count: 1, firstAt: at, lastAt: at } } };
    rows.push({
      sandbox: 'prod',
      id: newId(),
      phone,
      consent:
        options.unsubscribedEvery && i % options.unsubscribedEvery === 1
          ? 'unsubscribed'
          : 'subscribed',
      consent_updated_at: at,
      attributes: JSON.stringify({ firstName: `Ann${n}`, ...offers }),
      created_at: at,
      updated_at: at,
      region: phoneRegion(phone),
    });
  }
  for (let i = 0; i < rows.length; i += 500)
    await db.kysely
      .insertInto('profiles')
      .values(rows.slice(i, i + 500))
      .execute();
  return phones;
}

type Json = Record<string, unknown>;

function api(s: SendingStack) {
  const call = async (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: object,
    headers: Record<string, string> = {},
  ) => {
    const res = await s.t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { ...s.t.auth, ...headers },
      ...(payload ? { payload } : {}),
    });
    return {
      status: res.statusCode,
      body: res.headers['content-type']?.toString().startsWith('application/json')
        ? res.json<Json>()
        : {},
      headers: res.headers,
      text: res.body,
    };
  };
  return call;
}

/** A marketing channel, an OFFERS-and-subscribed segment and a personalised template. */
async function marketingSetup(s: SendingStack) {
  const call = api(s);
  const channel = await call('POST', '/channel-configurations', {
    name: 'promo',
    credentialId: s.credentialId,
    sender: 'TERNSHOP',
    messageType: 'marketing',
    marketingFooter: 'Reply STOP to opt out',
  });
  expect(channel.status).toBe(201);
  const segment = await call('POST', '/segments', {
    name: 'offers',
    rule: { all: [{ keyword: 'OFFERS' }, { consent: { in: ['subscribed'] } }] },
  });
  expect(segment.status).toBe(201);
  const template = await call('POST', '/templates', {
    name: 'spring',
    body: 'Hi {{ profile.attributes.firstName | default: "there" }}, 20% off today only.',
    messageType: 'marketing',
  });
  expect(template.status).toBe(201);
  return {
    channelId: channel.body.id as string,
    segmentId: segment.body.id as string,
    templateId: template.body.id as string,
  };
}

/** Runs the campaign runner until it has no fan-out left. */
async function fanOut(s: SendingStack): Promise<void> {
  for (let i = 0; i < 1000; i++) if (!(await s.t.services.campaigns.runDue())) return;
  throw new Error('the runner kept finding work');
}

async function messagesOf(db: Db, campaignId: string) {
  return db.kysely
    .selectFrom('messages')
    .select(['id', 'to_number', 'status', 'text', 'next_attempt_at', 'origin'])
    .where('campaign_id', '=', campaignId)
    .orderBy('id')
    .execute();
}

describeEachDialect('campaigns', ({ db }) => {
  it('segment → template → estimate → confirm → sent, paused and resumed, results and export', async () => {
    const s = await startSendingStack(db(), { sim: { outcomeRules: [] } });
    try {
      const call = api(s);
      // 60 profiles: 20 never texted OFFERS, 1 in 3 of the rest... unsubscribed every 5th.
      await seed(db(), 60, { unsubscribedEvery: 5, noOffersEvery: 3 });
      const { channelId, segmentId, templateId } = await marketingSetup(s);
      const created = await call('POST', '/campaigns', {
        name: 'Spring sale',
        audience: { segmentId },
        templateId,
        channelConfigurationId: channelId,
        pacing: { perSecond: 10 },
        seedPhones: ['+14155550123'],
      });
      expect(created.status).toBe(201);
      const campaign = created.body as { id: string; status: string; templateVersion: number };
      expect(campaign).toMatchObject({ status: 'draft', templateVersion: 1 });

      const estimate = await call('POST', `/campaigns/${campaign.id}/estimate`);
      expect(estimate.status).toBe(200);
      // 40 texted OFFERS; of them the subscribed ones are the segment (consent is in the rule).
      const members = (
        await db()
          .kysely.selectFrom('profiles')
          .select('id')
          .where('consent', '=', 'subscribed')
          .where('attributes', 'like', '%OFFERS%')
          .execute()
      ).length;
      expect(estimate.body).toMatchObject({
        recipients: members,
        eligible: members,
        excluded: { total: 0 },
        rendering: {
          method: 'exact',
          rendered: members,
          parts: [{ segments: 1, encoding: 'GSM-7', recipients: members }],
          totalParts: members,
          failures: { recipients: 0, examples: [] },
        },
        // 10:00 in California (the stack's clock): no send-time rule holds anyone.
        heldByQuietHours: { held: 0, dropped: 0, byRule: [] },
      });

      const badSeed = await call('POST', `/campaigns/${campaign.id}/test-send`, {
        phones: ['+1 415 555 0124', '12'],
      });
      expect(badSeed.status).toBe(400);
      expect(badSeed.body).toMatchObject({ error: { details: [{ path: '/phones/1' }] } });
      const test = await call('POST', `/campaigns/${campaign.id}/test-send`, {});
      expect(test.status).toBe(200);
      expect(test.body).toMatchObject({
        items: [
          {
            phone: '+14155550123',
            ok: true,
            text: 'Hi there, 20% off today only.\nReply STOP to opt out',
          },
        ],
      });

      const confirmed = await call(
        'POST',
        `/campaigns/${campaign.id}/confirm`,
        { templateVersion: 1 },
        { 'if-match': created.headers.etag as string },
      );
      expect(confirmed.status).toBe(200);
      expect(confirmed.body).toMatchObject({
        status: 'running',
        progress: { snapshotDone: true, recipients: members },
      });
      await fanOut(s);
      let messages = await messagesOf(db(), campaign.id);
      expect(messages).toHaveLength(members);
      expect(new Set(messages.map((m) => m.to_number)).size).toBe(members);
      expect(messages.every((m) => m.origin === 'campaign')).toBe(true);
      expect(messages[0]?.text).toMatch(/^Hi Ann\d+, 20% off today only\.\nReply STOP to opt out$/);
      // Paced at 10 a second: message k is due k × 100 ms after the start.
      const due = messages.map((m) => Date.parse(m.next_attempt_at ?? ''));
      expect((due[due.length - 1] ?? 0) - (due[0] ?? 0)).toBeGreaterThanOrEqual(
        (members - 1) * 100 - 1,
      );

      // The first 10 are due within a second: sent. Then pause: the rest are held.
      s.clock.advance(950);
      await s.pump();
      const pausedRes = await call('POST', `/campaigns/${campaign.id}/pause`);
      expect(pausedRes.body).toMatchObject({ status: 'paused' });
      s.clock.advance(3_600_000);
      await s.pump();
      messages = await messagesOf(db(), campaign.id);
      const sentBefore = messages.filter((m) => m.status !== 'paused').length;
      expect(sentBefore).toBe(10);
      expect(messages.filter((m) => m.status === 'paused')).toHaveLength(members - 10);

      const resumed = await call('POST', `/campaigns/${campaign.id}/resume`);
      expect(resumed.body).toMatchObject({ status: 'running' });
      messages = await messagesOf(db(), campaign.id);
      const requeued = messages.filter((m) => m.status === 'queued');
      expect(requeued).toHaveLength(members - 10);
      // Re-staggered from now, in order.
      expect(Date.parse(requeued[0]?.next_attempt_at ?? '')).toBe(s.clock.now().getTime());
      s.clock.advance(members * 100);
      await s.pump();
      await eventually(async () => {
        s.clock.advance(100); // the simulator's reports wait on Tern's clock
        const results = await call('GET', `/campaigns/${campaign.id}/results`);
        expect(results.body).toMatchObject({
          messages: { delivered: members, sent: members, queued: 0 },
        });
      });
      await fanOut(s);
      const done = await call('GET', `/campaigns/${campaign.id}`);
      expect(done.body).toMatchObject({ status: 'completed' });

      // An opt-out within 24 h and a reply count; the events tell the story.
      const first = messages[0];
      await db()
        .kysely.transaction()
        .execute((trx) =>
          setConsent(trx, s.clock, {
            sandbox: 'prod',
            phone: first?.to_number ?? '',
            to: 'unsubscribed',
            source: 'api',
          }),
        );
      const results = await call('GET', `/campaigns/${campaign.id}/results`);
      expect(results.body).toMatchObject({
        recipients: members,
        optOuts: 1,
        messages: { total: members },
      });
      const events = await db()
        .kysely.selectFrom('events')
        .select('type')
        .where('type', 'like', 'campaign.%')
        .orderBy('id')
        .execute();
      expect(events.map((e) => e.type)).toEqual([
        'campaign.started',
        'campaign.paused',
        'campaign.resumed',
        'campaign.completed',
      ]);

      const csv = await call('GET', `/campaigns/${campaign.id}/recipients/export`);
      expect(csv.headers['content-type']).toMatch(/text\/csv/);
      const lines = csv.text.trim().split('\r\n');
      expect(lines[0]).toBe(
        'seq,profileId,phone,state,reason,messageId,status,statusReason,segments,acceptedAt,doneAt',
      );
      expect(lines).toHaveLength(members + 1);
    } finally {
      await s.close();
    }
  });

  it('cancel: queued and held messages are never sent; a straggler held after the sweep is cancelled', async () => {
    const s = await startSendingStack(db(), { sim: { outcomeRules: [] } });
    try {
      const call = api(s);
      await seed(db(), 30);
      const { channelId, segmentId, templateId } = await marketingSetup(s);
      const c = await call('POST', '/campaigns', {
        name: 'c',
        audience: { segmentId },
        templateId,
        channelConfigurationId: channelId,
        pacing: { perMinute: 60 },
      });
      const id = c.body.id as string;
      const confirmRes = await call('POST', `/campaigns/${id}/confirm`);
      expect(confirmRes.body).toMatchObject({ status: 'running' });
      await fanOut(s);
      await s.pump(); // the first is due now
      const cancelled = await call('POST', `/campaigns/${id}/cancel`);
      expect(cancelled.body).toMatchObject({ status: 'cancelled' });
      // A message the worker held after the cancel's sweep (its claim began before): the
      // runner cancels it in its next step.
      const straggler = (await messagesOf(db(), id)).find((m) => m.status === 'cancelled');
      await db()
        .kysely.updateTable('messages')
        .set({ status: 'paused' })
        .where('id', '=', straggler?.id ?? '')
        .execute();
      await s.t.services.campaigns.runDue();
      expect((await messagesOf(db(), id)).filter((m) => m.status === 'cancelled')).toHaveLength(29);
      s.clock.advance(3_600_000);
      await s.pump();
      const messages = await messagesOf(db(), id);
      expect(messages.filter((m) => m.status === 'cancelled')).toHaveLength(29);
      expect(s.sim.requests().filter((r) => r.path === '/sms/3/messages')).toHaveLength(1);
      expect((await call('POST', `/campaigns/${id}/resume`)).status).toBe(409);
      expect((await call('POST', `/campaigns/${id}/cancel`)).status).toBe(409);
    } finally {
      await s.close();
    }
  });

  it('a claimed message of a campaign paused meanwhile is held, not sent', async () => {
    const s = await startSendingStack(db(), { sim: { outcomeRules: [] } });
    try {
      const call = api(s);
      await seed(db(), 5);
      const { channelId, segmentId, templateId } = await marketingSetup(s);
      const c = await call('POST', '/campaigns', {
        name: 'c',
        audience: { segmentId },
        templateId,
        channelConfigurationId: channelId,
      });
      const id = c.body.id as string;
      await call('POST', `/campaigns/${id}/confirm`);
      // As a retry or a claim between the pause's chunks would: queued while the campaign is paused.
      await db()
        .kysely.updateTable('campaigns')
        .set({ status: 'paused' })
        .where('id', '=', id)
        .execute();
      await s.pump();
      const messages = await messagesOf(db(), id);
      expect(messages.map((m) => m.status)).toEqual([
        'paused',
        'paused',
        'paused',
        'paused',
        'paused',
      ]);
      expect(s.sim.requests().filter((r) => r.path === '/sms/3/messages')).toHaveLength(0);
    } finally {
      await s.close();
    }
  });

  it('auto-pauses when the failure rate passes its threshold, with an event', async () => {
    const s = await startSendingStack(db(), {
      sim: {
        outcomeRules: [
          { toEndsWith: '5', outcome: 'REJECTED_DESTINATION' },
          { toEndsWith: '7', outcome: 'REJECTED_DESTINATION' },
        ],
      },
    });
    try {
      const call = api(s);
      await seed(db(), 40);
      const { channelId, segmentId, templateId } = await marketingSetup(s);
      const c = await call('POST', '/campaigns', {
        name: 'c',
        audience: { segmentId },
        templateId,
        channelConfigurationId: channelId,
        pacing: { perSecond: 10 },
        autoPause: { failureRate: 0.1, minSample: 10 },
      });
      const id = c.body.id as string;
      await call('POST', `/campaigns/${id}/confirm`);
      await fanOut(s);
      s.clock.advance(1_500);
      await s.pump();
      await eventually(async () => {
        s.clock.advance(1_000);
        await s.t.services.campaigns.runDue();
        const got = await call('GET', `/campaigns/${id}`);
        expect(got.body).toMatchObject({ status: 'paused' });
        expect(got.body.statusReason).toMatch(
          /^auto-paused: failure rate \d+\.\d % passed the threshold 10\.0 %/,
        );
      });
      const event = await db()
        .kysely.selectFrom('events')
        .select('payload')
        .where('type', '=', 'campaign.paused')
        .executeTakeFirstOrThrow();
      expect(JSON.parse(event.payload)).toMatchObject({
        campaignId: id,
        reason: expect.stringMatching(/^auto-paused/) as unknown,
      });
    } finally {
      await s.close();
    }
  });

  it('bad input: 400 naming the field, 409 for a stale template, an empty audience or a wrong status; nothing half-created', async () => {
    const s = await startSendingStack(db(), { sim: { outcomeRules: [] } });
    try {
      const call = api(s);
      await seed(db(), 3);
      const { channelId, segmentId, templateId } = await marketingSetup(s);
      const transactional = await call('POST', '/channel-configurations', {
        name: 'otp',
        credentialId: s.credentialId,
        sender: 'TERN',
        messageType: 'transactional',
      });
      const base = {
        name: 'c',
        audience: { segmentId },
        templateId,
        channelConfigurationId: channelId,
      };

      const bad = await call('POST', '/campaigns', {
        ...base,
        channelConfigurationId: transactional.body.id,
        pacing: { perSecond: 20_000 },
      });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({
        error: {
          code: 'validation_failed',
          details: [
            {
              path: '/channelConfigurationId',
              message: expect.stringContaining('is transactional') as unknown,
            },
            {
              path: '/pacing/perSecond',
              message: expect.stringContaining(
                "above the credential's send rate of 10000",
              ) as unknown,
            },
          ],
        },
      });
      const unknown = await call('POST', '/campaigns', {
        ...base,
        audience: { segmentId: 'nope' },
        templateId: 'nope',
        pacing: { perSecond: 1, perMinute: 1 },
      });
      expect(unknown.status).toBe(400);
      expect(
        (unknown.body.error as { details: { path: string }[] }).details.map((d) => d.path),
      ).toEqual(['/pacing', '/audience/segmentId', '/templateId']);
      const schema = await call('POST', '/campaigns', { ...base, pacing: { perHour: 3 } });
      expect(schema.status).toBe(400);
      expect((await call('GET', '/campaigns')).body).toMatchObject({ items: [] });

      // A template edited after the campaign pinned it: confirm refuses, naming both versions.
      const c = await call('POST', '/campaigns', base);
      const id = c.body.id as string;
      expect(
        (
          await call('PATCH', `/templates/${templateId}`, {
            body: 'New text {{ profile.attributes.firstName }}. Reply STOP to opt out',
          })
        ).status,
      ).toBe(200);
      const stale = await call('POST', `/campaigns/${id}/confirm`);
      expect(stale.status).toBe(409);
      expect(stale.body).toMatchObject({
        error: {
          code: 'conflict',
          details: [
            { path: '/templateVersion', message: "is 1; the template's current version is 2" },
          ],
        },
      });
      expect((await call('POST', `/campaigns/${id}/confirm`, { templateVersion: 2 })).status).toBe(
        409,
      );
      const repinned = await call(
        'PATCH',
        `/campaigns/${id}`,
        { templateVersion: 2 },
        { 'if-match': c.headers.etag as string },
      );
      expect(repinned.status).toBe(200);
      expect(
        (
          await call(
            'PATCH',
            `/campaigns/${id}`,
            { name: 'x' },
            { 'if-match': c.headers.etag as string },
          )
        ).status,
      ).toBe(412);

      // An empty audience: 409, and the campaign stays a draft with no recipient.
      const empty = await call('POST', '/segments', { name: 'none', rule: { keyword: 'NEVER' } });
      const e = await call('POST', '/campaigns', {
        ...base,
        audience: { segmentId: empty.body.id },
      });
      const refused = await call('POST', `/campaigns/${e.body.id as string}/confirm`);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({
        error: { details: [{ path: '/audience', message: 'has no profiles' }] },
      });
      expect((await call('GET', `/campaigns/${e.body.id as string}`)).body).toMatchObject({
        status: 'draft',
        progress: { recipients: 0 },
      });
      expect(await db().kysely.selectFrom('campaign_recipients').selectAll().execute()).toEqual([]);

      // Wrong status: only a running campaign pauses, only a draft is edited or deleted.
      expect((await call('POST', `/campaigns/${id}/pause`)).status).toBe(409);
      await call('POST', `/campaigns/${id}/confirm`);
      expect((await call('PATCH', `/campaigns/${id}`, { name: 'y' })).status).toBe(409);
      expect((await call('DELETE', `/campaigns/${id}`)).status).toBe(409);
      expect((await call('DELETE', `/campaigns/${e.body.id as string}`)).status).toBe(204);
      expect((await call('GET', `/campaigns/nope/results`)).status).toBe(404);

      // The channel configuration deleted under a running campaign: paused, with the reason.
      const doomed = await call('POST', '/channel-configurations', {
        name: 'doomed',
        credentialId: s.credentialId,
        sender: 'TERN',
        messageType: 'marketing',
        marketingFooter: 'Reply STOP to opt out',
      });
      const orphan = await call('POST', '/campaigns', {
        ...base,
        channelConfigurationId: doomed.body.id,
        pacing: { perMinute: 1 },
      });
      const orphanId = orphan.body.id as string;
      await db()
        .kysely.updateTable('campaigns')
        .set({ status: 'running', started_at: s.clock.now().toISOString() })
        .where('id', '=', orphanId)
        .execute();
      expect(
        (await call('DELETE', `/channel-configurations/${doomed.body.id as string}`)).status,
      ).toBe(204);
      await s.t.services.campaigns.runDue();
      expect((await call('GET', `/campaigns/${orphanId}`)).body).toMatchObject({
        status: 'paused',
        statusReason: expect.stringMatching(
          /^paused: Channel configuration .* no longer exists/,
        ) as unknown,
      });
    } finally {
      await s.close();
    }
  });
});
