import { expect, it } from 'vitest';
import { setConsent } from '../src/profiles/consent.js';
import { providerClient } from '../src/providers/registry.js';
import { describeEachDialect } from './helpers/databases.js';
import { eventually, startSendingStack } from './helpers/sending.js';

type SentBody = {
  messages: {
    sender: string;
    destinations: { to: string; messageId: string }[];
    content: { text: string };
    options?: { validityPeriod?: { amount: number; timeUnit: string }; regional?: unknown };
    webhooks?: { delivery?: { url: string }; callbackData?: string };
  }[];
};

describeEachDialect('sending', ({ db }) => {
  it('sends, is accepted, then delivered — with the exact provider request', async () => {
    const s = await startSendingStack(db(), {
      credential: {
        validityPeriodHours: 12,
        callbackData: 'tenant=42',
        dltPrincipalEntityId: '1101000000000000001',
        dltContentTemplateId: '1107000000000000002',
      },
    });
    try {
      const sent = await s.send({ to: '+41 79 302 67 27', text: 'Your code is 123456' });
      expect(sent).toMatchObject({
        status: 'queued',
        segments: 1,
        encoding: 'GSM-7',
        to: '+41793026727',
      });
      await s.pump();
      expect((await s.message(sent.id)).message.status).toBe('accepted');

      const request = s.sim.requests().find((r) => r.path === '/sms/3/messages');
      const body = request?.body as SentBody;
      const secret = (await s.t.services.credentials.get('prod', s.credentialId))
        .webhookSecretsEncrypted;
      expect(secret).toBeTruthy();
      expect(body.messages).toHaveLength(1);
      const message = body.messages[0];
      expect(message).toMatchObject({
        sender: 'TERN',
        destinations: [{ to: '41793026727', messageId: sent.id }],
        content: { text: 'Your code is 123456' },
        options: {
          validityPeriod: { amount: 43_200, timeUnit: 'SECONDS' },
          regional: {
            indiaDlt: {
              principalEntityId: '1101000000000000001',
              contentTemplateId: '1107000000000000002',
            },
          },
        },
        webhooks: { callbackData: 'tenant=42' },
      });
      expect(message?.webhooks?.delivery?.url).toMatch(
        new RegExp(`^${s.url}/webhooks/infobip/${s.credentialId}/reports/[A-Za-z0-9_-]+$`),
      );
      expect(JSON.stringify(request?.headers)).not.toContain('sending-test-key');

      await s.sim.flushReports();
      await eventually(async () =>
        expect((await s.message(sent.id)).message.status).toBe('delivered'),
      );
      const detail = await s.message(sent.id);
      expect(detail.history.map((h) => h.status)).toEqual(['queued', 'accepted', 'delivered']);
      expect(detail.reports).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it('sends MMS through MMS v2 with media by URL', async () => {
    // Reports held back: the send itself is checked, before a report can move it on.
    const s = await startSendingStack(db(), { sim: { reportDelayMs: 600_000 } });
    try {
      const res = await s.t.app.inject({
        method: 'POST',
        url: '/api/v1/messages',
        headers: s.t.auth,
        payload: {
          channelConfigurationId: s.mmsChannelId,
          to: '+14155550123',
          text: 'Receipt',
          media: [{ url: 'https://cdn.example.com/r.jpg', contentType: 'image/jpeg' }],
        },
      });
      expect(res.statusCode).toBe(202);
      await s.pump();
      const request = s.sim.requests().find((r) => r.path === '/mms/2/messages');
      expect(JSON.stringify(request?.body)).toContain('https://cdn.example.com/r.jpg');
      expect((await s.message(res.json<{ id: string }>().id)).message.status).toBe('accepted');
    } finally {
      await s.close();
    }
  });

  for (const kind of ['accept-then-reset', 'accept-then-error'] as const) {
    it(`reconciles through the provider logs after ${kind}: no duplicate`, async () => {
      // Reports held back, so that only the logs can tell Tern what the provider has.
      const s = await startSendingStack(db(), { sim: { reportDelayMs: 600_000 } });
      try {
        s.sim.addFault({ kind, count: 1, path: '/sms/3/messages' });
        const ids = [];
        for (let i = 0; i < 5; i++)
          ids.push((await s.send({ to: `+1415555010${i}`, text: `hello ${i}` })).id);
        await s.pump();
        for (const id of ids) {
          const { message } = await s.message(id);
          expect(message.status).toBe('queued');
          expect(message.statusReason).toMatch(/will retry/);
        }
        s.clock.advance(120_000);
        await s.pump();
        for (const id of ids) expect((await s.message(id)).message.status).toBe('accepted');
        expect(s.sim.duplicateCount()).toBe(0);
        expect(s.sim.requests().filter((r) => r.path.startsWith('/sms/3/logs'))).not.toHaveLength(
          0,
        );
      } finally {
        await s.close();
      }
    });
  }

  it('retries after 429 (honouring Retry-After) and then succeeds', async () => {
    // Reports held back, so that a fast report cannot race the 'accepted' check.
    const s = await startSendingStack(db(), { sim: { reportDelayMs: 600_000 } });
    try {
      s.sim.addFault({
        kind: 'too-many-requests',
        count: 1,
        retryAfterSeconds: 30,
        path: '/sms/3/messages',
      });
      const { id } = await s.send({ to: '+14155550100', text: 'hi' });
      await s.pump();
      const waiting = (await s.message(id)).message;
      expect(waiting.status).toBe('queued');
      s.clock.advance(20_000);
      await s.pump();
      expect((await s.message(id)).message.status).toBe('queued'); // Retry-After not over yet
      s.clock.advance(15_000);
      await s.pump();
      expect((await s.message(id)).message).toMatchObject({ status: 'accepted', attempts: 2 });
    } finally {
      await s.close();
    }
  });

  it('expires when the provider answers 5xx until the validity period ends', async () => {
    const s = await startSendingStack(db(), { credential: { validityPeriodHours: 1 } });
    try {
      s.sim.addFault({ kind: 'server-error', status: 503, path: '/sms/3/messages' });
      const { id } = await s.send({ to: '+14155550100', text: 'hi' });
      for (let i = 0; i < 100 && (await s.message(id)).message.status === 'queued'; i++) {
        await s.pump();
        s.clock.advance(60_000);
      }
      const { message } = await s.message(id);
      expect(message.status).toBe('expired');
      expect(message.statusReason).toMatch(/validity period ended/);
      expect(message.attempts).toBeGreaterThan(3);
    } finally {
      await s.close();
    }
  });

  it('fails on 401 and flags the credential', async () => {
    const s = await startSendingStack(db());
    try {
      s.sim.addFault({ kind: 'unauthorized', count: 1, path: '/sms/3/messages' });
      const { id } = await s.send({ to: '+14155550100', text: 'hi' });
      await s.pump();
      const { message } = await s.message(id);
      expect(message.status).toBe('failed');
      expect(message.statusReason).toMatch(/credential rejected by provider/);
      const credential = await s.t.app.inject({
        url: `/api/v1/credentials/${s.credentialId}`,
        headers: s.t.auth,
      });
      expect(
        credential.json<{ providerAuthFailedAt: string | null }>().providerAuthFailedAt,
      ).not.toBeNull();
    } finally {
      await s.close();
    }
  });

  it('marks a rejection inside a 200 as rejected, with the provider reason', async () => {
    const s = await startSendingStack(db());
    try {
      s.sim.addFault({ kind: 'reject', count: 1, path: '/sms/3/messages' });
      const { id } = await s.send({ to: '+14155550100', text: 'hi' });
      await s.pump();
      const { message } = await s.message(id);
      expect(message.status).toBe('rejected');
      expect(message.statusReason).toMatch(/REJECTED_NOT_ENOUGH_CREDITS/);
    } finally {
      await s.close();
    }
  });

  it('replays an idempotent request and refuses the key for another body', async () => {
    const s = await startSendingStack(db());
    try {
      const post = (payload: object, key: string) =>
        s.t.app.inject({
          method: 'POST',
          url: '/api/v1/messages',
          headers: { ...s.t.auth, 'idempotency-key': key },
          payload: { channelConfigurationId: s.smsChannelId, ...payload },
        });
      const first = await post({ to: '+14155550100', text: 'once' }, 'order-1');
      const again = await post({ to: '+14155550100', text: 'once' }, 'order-1');
      expect(again.statusCode).toBe(202);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json<{ id: string }>().id).toBe(first.json<{ id: string }>().id);
      const other = await post({ to: '+14155550100', text: 'twice' }, 'order-1');
      expect(other.statusCode).toBe(409);
      expect(other.json()).toMatchObject({
        error: { code: 'conflict', details: [{ path: '/idempotencyKey' }] },
      });
      await s.pump();
      expect(s.sim.requests().filter((r) => r.path === '/sms/3/messages')).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it('suppresses opted-out numbers, including an opt-out that arrives while the message waits', async () => {
    const s = await startSendingStack(db());
    try {
      await setConsent(db().kysely, s.clock, {
        sandbox: 'prod',
        phone: '+14155550111',
        to: 'unsubscribed',
        source: 'api',
      });
      const before = await s.send({ to: '+14155550111', text: 'promo' });
      expect(before).toMatchObject({
        status: 'suppressed',
        statusReason: expect.stringMatching(/opted out/) as unknown,
      });

      const queued = await s.send({ to: '+14155550122', text: 'promo' });
      expect(queued.status).toBe('queued');
      await setConsent(db().kysely, s.clock, {
        sandbox: 'prod',
        phone: '+14155550122',
        to: 'unsubscribed',
        source: 'keyword',
      });
      await s.pump();
      expect((await s.message(queued.id)).message).toMatchObject({ status: 'suppressed' });
      expect(s.sim.requests().filter((r) => r.path === '/sms/3/messages')).toHaveLength(0);
    } finally {
      await s.close();
    }
  });

  it('answers the batch API per item, in order', async () => {
    const s = await startSendingStack(db());
    try {
      const res = await s.t.app.inject({
        method: 'POST',
        url: '/api/v1/messages/batch',
        headers: s.t.auth,
        payload: {
          messages: [
            { channelConfigurationId: s.smsChannelId, to: '+14155550100', text: 'a' },
            { channelConfigurationId: s.smsChannelId, to: 'not a number', text: 'b' },
            { channelConfigurationId: 'nope', to: '+14155550100', text: 'c' },
            { channelConfigurationId: s.smsChannelId, to: '+14155550101', text: 'x'.repeat(2000) },
            { channelConfigurationId: s.smsChannelId, to: '+14155550102', text: 'd' },
          ],
        },
      });
      expect(res.statusCode).toBe(202);
      const body = res.json<{
        accepted: number;
        refused: number;
        results: { accepted: boolean; error?: { details: { path: string }[] } }[];
      }>();
      expect(body).toMatchObject({ accepted: 2, refused: 3 });
      expect(body.results.map((r) => r.accepted)).toEqual([true, false, false, false, true]);
      expect(body.results[1]?.error?.details[0]?.path).toBe('/to');
      expect(body.results[2]?.error?.details[0]?.path).toBe('/channelConfigurationId');
      expect(body.results[3]?.error?.details[0]?.path).toBe('/text');
      await s.pump();
      const sent = s.sim.requests().filter((r) => r.path === '/sms/3/messages');
      expect(sent).toHaveLength(1); // both accepted messages in one provider request
      expect((sent[0]?.body as SentBody).messages).toHaveLength(2);
    } finally {
      await s.close();
    }
  });

  // Five messages; the effective batch is the smaller of the two limits, whichever it is.
  for (const [batchSize, maxBatchSize, sizes] of [
    [3, 2, [2, 2, 1]],
    [3, 10, [3, 2]],
  ] as const) {
    it(`builds provider batches of at most min(batchSize ${batchSize}, the provider's maxBatchSize ${maxBatchSize})`, async () => {
      const s = await startSendingStack(db(), {
        worker: { batchSize },
        providerClientFor: (account) => {
          const real = providerClient('infobip', account);
          return {
            limits: { ...real.limits, maxBatchSize },
            sendBatch: (channel, batch) => real.sendBatch(channel, batch),
            lookup: (channel, ids) => real.lookup(channel, ids),
            lookupChunks: (ids) => real.lookupChunks(ids),
            verify: () => real.verify(),
            pullReports: (channel, limit) => real.pullReports(channel, limit),
          };
        },
      });
      try {
        for (let i = 0; i < 5; i++) await s.send({ to: `+1415555010${i}`, text: `m${i}` });
        await s.pump();
        const sent = s.sim.requests().filter((r) => r.path === '/sms/3/messages');
        expect(sent.map((r) => (r.body as SentBody).messages.length)).toEqual(sizes);
      } finally {
        await s.close();
      }
    });
  }

  it('authenticates and validates delivery reports, never moving a message backwards', async () => {
    const s = await startSendingStack(db(), { sim: { reportDelayMs: 600_000 } });
    try {
      const { id } = await s.send({ to: '+14155550100', text: 'hi' });
      await s.pump();
      const secret = s.t.services.credentials.webhookSecrets(
        await s.t.services.credentials.get('prod', s.credentialId),
      ).reports;
      const report = (group: [number, string], status: [number, string], doneAt: string) => ({
        results: [
          {
            messageId: id,
            to: '14155550100',
            sentAt: '2026-11-25T12:00:00.000+0000',
            doneAt,
            smsCount: 1,
            status: {
              groupId: group[0],
              groupName: group[1],
              id: status[0],
              name: status[1],
              description: '',
            },
            error: {
              groupId: 0,
              groupName: 'OK',
              id: 0,
              name: 'NO_ERROR',
              description: 'No Error',
              permanent: false,
            },
          },
        ],
      });
      const post = (payload: unknown, key = secret) =>
        s.t.app.inject({
          method: 'POST',
          url: `/webhooks/infobip/${s.credentialId}/reports/${key}`,
          payload: payload as object,
        });

      expect(
        (
          await post(
            report([3, 'DELIVERED'], [5, 'DELIVERED_TO_HANDSET'], '2026-11-25T12:00:05.000+0000'),
            'wrong',
          )
        ).statusCode,
      ).toBe(401);
      expect((await post({ results: [{ messageId: 5 }] })).statusCode).toBe(400);
      expect((await s.message(id)).message.status).toBe('accepted');

      const delivered = report(
        [3, 'DELIVERED'],
        [5, 'DELIVERED_TO_HANDSET'],
        '2026-11-25T12:00:05.000+0000',
      );
      expect((await post(delivered)).json()).toEqual({
        applied: 1,
        unchanged: 0,
        duplicates: 0,
        unknown: 0,
        rejected: 0,
        problems: [],
      });
      expect((await post(delivered)).json()).toMatchObject({ duplicates: 1 });
      const late = report([1, 'PENDING'], [7, 'PENDING_ENROUTE'], '2026-11-25T12:00:09.000+0000');
      expect((await post(late)).json()).toMatchObject({ unchanged: 1 });
      expect((await s.message(id)).message.status).toBe('delivered');

      const unknown = { results: [{ ...delivered.results[0], messageId: 'not-ours' }] };
      expect((await post(unknown)).json()).toMatchObject({ unknown: 1 });
    } finally {
      await s.close();
    }
  });

  it('applies a POST of many reports in body order: duplicates inside it, late ones, unknown ids', async () => {
    const s = await startSendingStack(db(), { sim: { reportDelayMs: 600_000 } });
    try {
      const first = await s.send({ to: '+14155550100', text: 'one' });
      const second = await s.send({ to: '+14155550101', text: 'two' });
      await s.pump();
      const secret = s.t.services.credentials.webhookSecrets(
        await s.t.services.credentials.get('prod', s.credentialId),
      ).reports;
      const result = (messageId: string, group: [number, string], status: [number, string]) => ({
        messageId,
        to: '14155550100',
        sentAt: '2026-11-25T12:00:00.000+0000',
        doneAt: '2026-11-25T12:00:05.000+0000',
        smsCount: 1,
        status: { groupId: group[0], groupName: group[1], id: status[0], name: status[1] },
      });
      const delivered = result(first.id, [3, 'DELIVERED'], [5, 'DELIVERED_TO_HANDSET']);
      const res = await s.t.app.inject({
        method: 'POST',
        url: `/webhooks/infobip/${s.credentialId}/reports/${secret}`,
        payload: {
          results: [
            delivered,
            delivered, // Infobip's retry landing in the same batch
            result(second.id, [5, 'REJECTED'], [6, 'REJECTED_NETWORK']),
            result(first.id, [1, 'PENDING'], [7, 'PENDING_ENROUTE']), // late: never backwards
            result('not-ours', [3, 'DELIVERED'], [5, 'DELIVERED_TO_HANDSET']),
          ],
        },
      });
      expect(res.json()).toEqual({
        applied: 2,
        unchanged: 1,
        duplicates: 1,
        unknown: 1,
        rejected: 0,
        problems: [],
      });
      const one = await s.message(first.id);
      expect(one.message.status).toBe('delivered');
      expect(one.history.filter((h) => h.status === 'delivered')).toHaveLength(1);
      expect((await s.message(second.id)).message.status).toBe('rejected');
      const stored = await db()
        .kysely.selectFrom('delivery_reports')
        .select(['message_id', 'matched'])
        .execute();
      expect(stored).toHaveLength(4); // the duplicate is not kept twice
      expect(stored.filter((r) => r.matched === 0).map((r) => r.message_id)).toEqual(['not-ours']);
    } finally {
      await s.close();
    }
  });
});
