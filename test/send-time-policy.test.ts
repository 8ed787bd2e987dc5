import { expect, it } from 'vitest';
import type { Db } from '../src/db/database.js';
import { newId } from '../src/ids.js';
import { phoneRegion } from '../src/phone.js';
import { setConsent } from '../src/profiles/consent.js';
import { describeEachDialect } from './helpers/databases.js';
import { startSendingStack, type SendingStack } from './helpers/sending.js';

/**
 * The send-time policy applied end to end (issue 16), on a manual clock: Wednesday 2026-12-02 at
 * 20:30 in New York is 01:30 UTC on the 3rd. Florida (8–20 Eastern) is closed until 08:00 EST
 * (13:00 UTC); New York (federal 8–21) is open; California (17:30 Pacific) is open.
 */
const AT_2030_EASTERN = '2026-12-03T01:30:00.000Z';
const FL_OPENS = Date.parse('2026-12-03T13:00:00.000Z');
const JITTER_MS = 10 * 60_000;

const FL = ['+13055550101', '+13055550102', '+13055550103'];
const NY = ['+12125550101', '+12125550102', '+12125550103'];
const CA = ['+14155550101', '+14155550102', '+14155550103'];

type Json = Record<string, unknown>;

async function call(
  s: SendingStack,
  method: 'GET' | 'POST',
  url: string,
  payload?: object,
  headers: Record<string, string> = {},
) {
  const res = await s.t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { ...s.t.auth, ...headers },
    ...(payload ? { payload } : {}),
  });
  return { status: res.statusCode, body: res.json<Json>(), headers: res.headers };
}

async function marketingChannel(s: SendingStack): Promise<string> {
  const channel = await call(s, 'POST', '/channel-configurations', {
    name: 'promo',
    credentialId: s.credentialId,
    sender: 'TERNSHOP',
    messageType: 'marketing',
    marketingFooter: 'Reply STOP to opt out',
  });
  expect(channel.status).toBe(201);
  return channel.body.id as string;
}

async function seedProfiles(db: Db, phones: string[]): Promise<void> {
  const at = '2026-11-01T00:00:00.000Z';
  await db.kysely
    .insertInto('profiles')
    .values(
      phones.map((phone) => ({
        sandbox: 'prod',
        id: newId(),
        phone,
        consent: 'subscribed',
        consent_updated_at: at,
        attributes: JSON.stringify({ keywords: { OFFERS: { count: 1, firstAt: at, lastAt: at } } }),
        created_at: at,
        updated_at: at,
        region: phoneRegion(phone),
      })),
    )
    .execute();
}

/** The numbers the provider (the simulator) received texts for, E.164. */
function sentTo(s: SendingStack): string[] {
  return s.sim.messages().map((m) => `+${m.to.replace(/^\+/, '')}`);
}

async function messagesTo(db: Db, phones: string[]) {
  return db.kysely
    .selectFrom('messages')
    .select(['id', 'to_number', 'status', 'status_reason', 'next_attempt_at', 'held_until'])
    .where('to_number', 'in', phones)
    .orderBy('to_number')
    .execute();
}

describeEachDialect('send-time policy', ({ db }) => {
  it('the API answers when each message goes and why: held, sent now, dropped past its validity, transactional untouched', async () => {
    const s = await startSendingStack(db());
    try {
      const channelId = await marketingChannel(s);
      s.clock.set(AT_2030_EASTERN);
      const held = await call(s, 'POST', '/messages', {
        channelConfigurationId: channelId,
        to: FL[0],
        text: 'Winter sale',
      });
      expect(held.status).toBe(202);
      expect(held.body).toMatchObject({
        status: 'queued',
        policy: { action: 'held', rule: 'us-fl', source: 'area_code' },
      });
      const release = Date.parse(held.body.scheduledFor as string);
      expect(release).toBeGreaterThanOrEqual(FL_OPENS);
      expect(release).toBeLessThan(FL_OPENS + JITTER_MS);
      expect(held.body.nextAttemptAt).toBe(held.body.scheduledFor);

      // The detail shows the hold.
      const detail = await call(s, 'GET', `/messages/${held.body.id as string}`);
      expect(detail.body).toMatchObject({
        message: { policy: { action: 'held', rule: 'us-fl', heldUntil: held.body.scheduledFor } },
      });

      const batch = await call(s, 'POST', '/messages/batch', {
        messages: [
          { channelConfigurationId: channelId, to: NY[0], text: 'Winter sale' },
          {
            channelConfigurationId: channelId,
            to: FL[1],
            text: 'Flash sale, one hour',
            validityPeriod: { amount: 1, timeUnit: 'HOURS' },
          },
          {
            channelConfigurationId: channelId,
            to: FL[2],
            text: 'Your order shipped',
            messageType: 'transactional',
          },
        ],
      });
      expect(batch.status).toBe(202);
      const [ny, flash, order] = (batch.body.results as { message: Json }[]).map((i) => i.message);
      expect(ny).toMatchObject({ status: 'queued', policy: null, scheduledFor: AT_2030_EASTERN });
      // 08:00 is past the hour it is valid for: dropped, with its coded reason.
      expect(flash).toMatchObject({
        status: 'suppressed',
        statusReason: 'policy:hold_past_validity:us-fl',
        scheduledFor: null,
        policy: { action: 'dropped', rule: 'us-fl', heldUntil: null },
      });
      expect(order).toMatchObject({
        status: 'queued',
        policy: null,
        scheduledFor: AT_2030_EASTERN,
      });

      // The worker sends New York and the transactional text now, Florida's marketing not.
      await s.pump();
      const sent = sentTo(s);
      expect(sent.sort()).toEqual([NY[0], FL[2]].sort());

      const metrics = { body: await s.t.services.metrics.registry.metrics() };
      expect(metrics.body).toMatch(/tern_messages_held_total\{reason="quiet_hours"\} 1/);
      expect(metrics.body).toMatch(
        /tern_messages_policy_dropped_total\{reason="hold_past_validity"\} 1/,
      );
    } finally {
      await s.close();
    }
  });

  it('a campaign at 20:30 Eastern holds Florida only, releases it at 08:00 paced over the window, and never sends to a number that opted out during the hold', async () => {
    const s = await startSendingStack(db());
    try {
      const channelId = await marketingChannel(s);
      await seedProfiles(db(), [...FL, ...NY, ...CA]);
      const segment = await call(s, 'POST', '/segments', {
        name: 'offers',
        rule: { all: [{ keyword: 'OFFERS' }, { consent: { in: ['subscribed'] } }] },
      });
      const template = await call(s, 'POST', '/templates', {
        name: 'winter',
        body: 'Winter sale: 20% off tonight.',
        messageType: 'marketing',
      });
      s.clock.set(AT_2030_EASTERN);
      const created = await call(s, 'POST', '/campaigns', {
        name: 'Winter',
        audience: { segmentId: segment.body.id },
        templateId: template.body.id,
        channelConfigurationId: channelId,
        pacing: { perSecond: 10 },
      });
      expect(created.status).toBe(201);
      const id = created.body.id as string;

      const estimate = await call(s, 'POST', `/campaigns/${id}/estimate`);
      expect(estimate.body.heldByQuietHours).toEqual({
        held: 3,
        dropped: 0,
        byRule: [
          {
            rule: 'us-fl',
            action: 'hold',
            reason: null,
            recipients: 3,
            firstRelease: new Date(FL_OPENS).toISOString(),
            lastRelease: new Date(FL_OPENS).toISOString(),
          },
        ],
      });

      const confirmed = await call(
        s,
        'POST',
        `/campaigns/${id}/confirm`,
        { templateVersion: 1 },
        { 'if-match': created.headers.etag as string },
      );
      expect(confirmed.status).toBe(200);
      for (let i = 0; i < 100; i++) if (!(await s.t.services.campaigns.runDue())) break;

      // Paced at 10 a second: every recipient due within a second; New York and California go.
      s.clock.advance(2_000);
      await s.pump();
      const sentFirst = sentTo(s);
      expect(sentFirst.sort()).toEqual([...NY, ...CA].sort());
      const fl = await messagesTo(db(), FL);
      expect(fl.map((m) => m.status)).toEqual(['queued', 'queued', 'queued']);
      const releases = fl.map((m) => Date.parse(m.next_attempt_at ?? ''));
      for (const at of releases) {
        expect(at).toBeGreaterThanOrEqual(FL_OPENS);
        expect(at).toBeLessThan(FL_OPENS + JITTER_MS);
      }
      // Spread over the window's first minutes, not one instant (jitter drawn per number).
      expect(new Set(releases).size).toBe(3);
      expect(fl.map((m) => m.held_until)).toEqual(fl.map((m) => m.next_attempt_at));

      // 03:00 UTC: the first Florida number texts STOP while its message is held.
      s.clock.set('2026-12-03T03:00:00.000Z');
      await db()
        .kysely.transaction()
        .execute((trx) =>
          setConsent(trx, s.clock, {
            sandbox: 'prod',
            phone: FL[0]!,
            to: 'unsubscribed',
            source: 'keyword',
          }),
        );

      // A pause and a resume during the night do not end Florida's hold.
      expect((await call(s, 'POST', `/campaigns/${id}/pause`)).body).toMatchObject({
        status: 'paused',
      });
      expect((await call(s, 'POST', `/campaigns/${id}/resume`)).body).toMatchObject({
        status: 'running',
      });
      const resumed = await messagesTo(db(), FL);
      expect(resumed.map((m) => m.status)).toEqual(['queued', 'queued', 'queued']);
      expect(resumed.map((m) => m.next_attempt_at)).toEqual(fl.map((m) => m.next_attempt_at));

      // Nothing of Florida's leaves before its window opens.
      s.clock.set(new Date(FL_OPENS - 1000));
      await s.pump();
      expect(s.sim.messages()).toHaveLength(6);

      // Each goes once its own release time is reached.
      const [first, second, third] = [...releases].sort((a, b) => a - b) as [
        number,
        number,
        number,
      ];
      s.clock.set(new Date(second));
      await s.pump();
      const releasedBy = (at: number) => fl.filter((m) => Date.parse(m.held_until ?? '') <= at);
      expect(
        (await messagesTo(db(), FL))
          .filter((m) => m.status !== 'queued')
          .map((m) => m.id)
          .sort(),
      ).toEqual(
        releasedBy(second)
          .map((m) => m.id)
          .sort(),
      );
      expect(first).toBeLessThanOrEqual(second);
      s.clock.set(new Date(third));
      await s.pump();

      const after = await messagesTo(db(), FL);
      // Sent (a delivery report may have come already) or, for the opt-out, suppressed.
      expect(after.map((m) => (m.status === 'delivered' ? 'accepted' : m.status))).toEqual([
        'suppressed',
        'accepted',
        'accepted',
      ]);
      expect(after[0]?.status_reason).toMatch(/opted out/);
      expect(sentTo(s)).not.toContain(FL[0]);
      expect(s.sim.messages()).toHaveLength(8);

      const events = await db()
        .kysely.selectFrom('events')
        .select(['type', 'payload'])
        .where('type', 'in', ['message.held', 'message.released'])
        .orderBy('id')
        .execute();
      expect(events.filter((e) => e.type === 'message.held')).toHaveLength(3);
      expect(events.filter((e) => e.type === 'message.released')).toHaveLength(3);
      expect(JSON.parse(events[0]?.payload ?? '{}')).toMatchObject({
        rule: 'us-fl',
        source: 'area_code',
        campaignId: id,
      });
    } finally {
      await s.close();
    }
  });

  it('the worker judges the window again: a text accepted at 20:59 in New York but claimed after 21:00 waits for 08:00', async () => {
    const s = await startSendingStack(db());
    try {
      const channelId = await marketingChannel(s);
      s.clock.set('2026-12-03T01:59:00.000Z'); // 20:59 in New York: open
      const res = await call(s, 'POST', '/messages', {
        channelConfigurationId: channelId,
        to: NY[0],
        text: 'Last call',
      });
      expect(res.body).toMatchObject({ status: 'queued', policy: null });
      s.clock.set('2026-12-03T02:00:30.000Z'); // the worker gets to it at 21:00:30
      await s.pump();
      expect(s.sim.messages()).toHaveLength(0);
      const [row] = await messagesTo(db(), [NY[0]!]);
      expect(row).toMatchObject({ status: 'queued' });
      expect(row?.status_reason).toMatch(/us-federal/);
      const next = Date.parse(row?.next_attempt_at ?? '');
      expect(next).toBeGreaterThanOrEqual(FL_OPENS);
      expect(next).toBeLessThan(FL_OPENS + JITTER_MS);
      s.clock.set(new Date(next));
      await s.pump();
      expect(sentTo(s)).toEqual([NY[0]]);
    } finally {
      await s.close();
    }
  });

  it("Florida's cap: the fourth marketing text to one number in 24 hours is dropped", async () => {
    const s = await startSendingStack(db());
    try {
      const channelId = await marketingChannel(s);
      s.clock.set('2026-12-03T15:00:00.000Z'); // 10:00 in Miami
      const statuses: Json[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await call(s, 'POST', '/messages', {
          channelConfigurationId: channelId,
          to: FL[0],
          text: `Deal ${i + 1}`,
        });
        expect(res.status).toBe(202);
        statuses.push(res.body);
        await s.pump();
        s.clock.advance(60 * 60_000);
      }
      expect(statuses.slice(0, 3).map((m) => m.policy)).toEqual([null, null, null]);
      expect(statuses[3]).toMatchObject({
        status: 'suppressed',
        statusReason: 'policy:frequency_cap:us-fl-cap',
        policy: { action: 'dropped', rule: 'us-fl-cap' },
      });
      expect(s.sim.messages()).toHaveLength(3);

      // Four in one request: the cap counts the request's own earlier texts.
      const batch = await call(s, 'POST', '/messages/batch', {
        messages: [1, 2, 3, 4].map((i) => ({
          channelConfigurationId: channelId,
          to: FL[1],
          text: `Deal ${i}`,
        })),
      });
      const results = (batch.body.results as { message: Json }[]).map((r) => r.message);
      expect(results.map((m) => m.statusReason)).toEqual([
        null,
        null,
        null,
        'policy:frequency_cap:us-fl-cap',
      ]);
    } finally {
      await s.close();
    }
  });
});
