/**
 * Issue 13 items 7 and 8, against the strict simulator (it records what Tern sent):
 * validity periods in minutes, exact on a retry, never past validUntil; India DLT templates per
 * message, channel configuration and credential.
 */
import { expect, it } from 'vitest';
import { describeEachDialect } from './helpers/databases.js';
import { startSendingStack, type SendingStack } from './helpers/sending.js';

type SmsBody = {
  messages: {
    options?: {
      validityPeriod?: { amount: number; timeUnit: string };
      regional?: { indiaDlt?: Record<string, string> };
    };
  }[];
};

const smsRequests = (s: SendingStack) =>
  s.sim
    .requests()
    .filter((r) => r.path === '/sms/3/messages')
    .map((r) => (r.body as SmsBody).messages[0]?.options);

const PE = '1101000000000000001';
const CREDENTIAL_TEMPLATE = '1107000000000000001';
const CHANNEL_TEMPLATE = '1107000000000000002';
const MESSAGE_TEMPLATE = '1107000000000000003';

describeEachDialect('validity periods (issue 13 item 7)', ({ db }) => {
  it('a 5-minute code on the credential: validUntil exact, the provider asked for 300 s', async () => {
    const s = await startSendingStack(db(), {
      credential: { validityPeriod: { amount: 5, timeUnit: 'MINUTES' } },
    });
    try {
      const cred = await s.t.app.inject({
        url: `/api/v1/credentials/${s.credentialId}`,
        headers: s.t.auth,
      });
      expect(cred.json()).toMatchObject({
        validityPeriod: { amount: 5, timeUnit: 'MINUTES' },
        validityPeriodHours: null,
      });
      const acceptedAt = s.clock.now().getTime();
      const sent = await s.send({ to: '+14155550100', text: 'Your code is 123456' });
      expect(Date.parse((sent as unknown as { validUntil: string }).validUntil)).toBe(
        acceptedAt + 300_000,
      );
      await s.pump();
      expect(smsRequests(s)).toEqual([{ validityPeriod: { amount: 300, timeUnit: 'SECONDS' } }]);
    } finally {
      await s.close();
    }
  });

  it("a message's own validityPeriod wins over the credential's", async () => {
    const s = await startSendingStack(db(), { credential: { validityPeriodHours: 48 } });
    try {
      const acceptedAt = s.clock.now().getTime();
      const sent = await s.send({
        to: '+14155550100',
        text: 'Your code is 123456',
        validityPeriod: { amount: 90, timeUnit: 'SECONDS' },
      });
      expect(Date.parse((sent as unknown as { validUntil: string }).validUntil)).toBe(
        acceptedAt + 90_000,
      );
      await s.pump();
      expect(smsRequests(s)[0]?.validityPeriod).toEqual({ amount: 90, timeUnit: 'SECONDS' });
    } finally {
      await s.close();
    }
  });

  it('a retry asks for the exact seconds left, not an hour past validUntil', async () => {
    const s = await startSendingStack(db(), {
      credential: { validityPeriod: { amount: 5, timeUnit: 'MINUTES' } },
    });
    try {
      s.sim.addFault({ kind: 'too-many-requests', count: 1, path: '/sms/3/messages' });
      const sent = await s.send({ to: '+14155550100', text: 'Your code is 123456' });
      const validUntil = Date.parse((sent as unknown as { validUntil: string }).validUntil);
      await s.pump();
      expect((await s.message(sent.id)).message.status).toBe('queued');
      s.clock.advance(100_500);
      await s.pump();
      expect((await s.message(sent.id)).message.status).toBe('accepted');
      const [first, retry] = smsRequests(s);
      expect(first?.validityPeriod).toEqual({ amount: 300, timeUnit: 'SECONDS' });
      // 300 s - 100.5 s = 199.5 s left: 199 (whole hours sent {1, HOURS}, 3,400 s too many).
      expect(retry?.validityPeriod).toEqual({ amount: 199, timeUnit: 'SECONDS' });
      expect(s.clock.now().getTime() + 199_000).toBeLessThanOrEqual(validUntil);
    } finally {
      await s.close();
    }
  });

  it('less than a second left: expired, nothing sent', async () => {
    const s = await startSendingStack(db(), {
      credential: { validityPeriod: { amount: 5, timeUnit: 'MINUTES' } },
    });
    try {
      const sent = await s.send({ to: '+14155550100', text: 'Your code is 123456' });
      s.clock.advance(299_500);
      await s.pump();
      const { message } = await s.message(sent.id);
      expect(message.status).toBe('expired');
      expect(smsRequests(s)).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('refuses a validity outside 1 minute..48 h, or both forms at once, naming the field', async () => {
    const s = await startSendingStack(db());
    try {
      const patch = (payload: object) =>
        s.t.app.inject({
          method: 'PATCH',
          url: `/api/v1/credentials/${s.credentialId}`,
          headers: s.t.auth,
          payload,
        });
      for (const [payload, path] of [
        [{ validityPeriod: { amount: 30, timeUnit: 'SECONDS' } }, '/validityPeriod'],
        [{ validityPeriod: { amount: 49, timeUnit: 'HOURS' } }, '/validityPeriod'],
        [{ validityPeriodHours: 49 }, '/validityPeriodHours'],
        [
          { validityPeriod: { amount: 5, timeUnit: 'MINUTES' }, validityPeriodHours: 1 },
          '/validityPeriod',
        ],
      ] as const) {
        const res = await patch(payload);
        expect(res.statusCode, JSON.stringify(payload)).toBe(400);
        expect(
          res.json<{ error: { details: { path: string }[] } }>().error.details.map((d) => d.path),
        ).toContain(path);
      }
      const old = await patch({ validityPeriodHours: 2 });
      expect(old.json()).toMatchObject({
        validityPeriod: { amount: 2, timeUnit: 'HOURS' },
        validityPeriodHours: 2,
      });

      const msg = await s.t.app.inject({
        method: 'POST',
        url: '/api/v1/messages',
        headers: s.t.auth,
        payload: {
          channelConfigurationId: s.smsChannelId,
          to: '+14155550100',
          text: 'hi',
          validityPeriod: { amount: 2, timeUnit: 'DAYS' },
        },
      });
      expect(msg.statusCode).toBe(400);
      expect(msg.body).toContain('/validityPeriod');
    } finally {
      await s.close();
    }
  });
});

describeEachDialect('India DLT templates (issue 13 item 8)', ({ db }) => {
  it('message > channel configuration > credential, field by field', async () => {
    const s = await startSendingStack(db(), {
      credential: { dltPrincipalEntityId: PE, dltContentTemplateId: CREDENTIAL_TEMPLATE },
    });
    try {
      const channel = await s.t.app.inject({
        method: 'POST',
        url: '/api/v1/channel-configurations',
        headers: s.t.auth,
        payload: {
          name: 'otp',
          credentialId: s.credentialId,
          sender: 'TERNIN',
          dltContentTemplateId: CHANNEL_TEMPLATE,
          dltTelemarketerId: 'TM1702000000000000001',
        },
      });
      expect(channel.statusCode).toBe(201);
      const otpChannel = channel.json<{ id: string }>().id;
      expect(channel.json()).toMatchObject({ dltContentTemplateId: CHANNEL_TEMPLATE });

      const plain = await s.send({ to: '+919800000001', text: 'credential template' });
      const viaChannel = await s.send({
        channelConfigurationId: otpChannel,
        to: '+919800000002',
        text: 'channel template',
      });
      const own = await s.send({
        channelConfigurationId: otpChannel,
        to: '+919800000003',
        text: 'message template',
        dltContentTemplateId: MESSAGE_TEMPLATE,
      });
      expect(own).toMatchObject({
        dltContentTemplateId: MESSAGE_TEMPLATE,
        dltTelemarketerId: 'TM1702000000000000001',
      });
      expect(plain).toMatchObject({ dltContentTemplateId: null });
      await s.pump();

      const sentDlt = new Map(
        s.sim
          .requests()
          .filter((r) => r.path === '/sms/3/messages')
          .flatMap(
            (r) =>
              (
                r.body as {
                  messages: {
                    destinations: { messageId: string }[];
                    options?: { regional?: { indiaDlt?: unknown } };
                  }[];
                }
              ).messages,
          )
          .map((m) => [m.destinations[0]?.messageId, m.options?.regional?.indiaDlt]),
      );
      expect(sentDlt.get(plain.id)).toEqual({
        principalEntityId: PE,
        contentTemplateId: CREDENTIAL_TEMPLATE,
      });
      expect(sentDlt.get(viaChannel.id)).toEqual({
        principalEntityId: PE,
        contentTemplateId: CHANNEL_TEMPLATE,
        telemarketerId: 'TM1702000000000000001',
      });
      expect(sentDlt.get(own.id)).toEqual({
        principalEntityId: PE,
        contentTemplateId: MESSAGE_TEMPLATE,
        telemarketerId: 'TM1702000000000000001',
      });
      for (const id of [plain.id, viaChannel.id, own.id])
        expect((await s.message(id)).message.status).toBe('accepted');
    } finally {
      await s.close();
    }
  });

  it('refuses a malformed, overlong, MMS or principal-less DLT id, naming the field', async () => {
    const s = await startSendingStack(db());
    try {
      const post = (url: string, payload: object) =>
        s.t.app.inject({ method: 'POST', url, headers: s.t.auth, payload });
      const paths = (res: Awaited<ReturnType<typeof post>>) => {
        expect(res.statusCode, res.body).toBe(400);
        return res.json<{ error: { details: { path: string; message: string }[] } }>().error
          .details;
      };
      const message = (extra: object, channelConfigurationId = s.smsChannelId) =>
        post('/api/v1/messages', {
          channelConfigurationId,
          to: '+919800000001',
          text: 'hi',
          ...extra,
        });

      // No principal entity on the credential: Infobip requires it with any DLT id.
      const noPrincipal = paths(await message({ dltContentTemplateId: MESSAGE_TEMPLATE }));
      expect(noPrincipal.map((d) => d.path)).toEqual(['/dltContentTemplateId']);
      expect(noPrincipal[0]?.message).toMatch(/principal entity/);
      await s.t.app.inject({
        method: 'PATCH',
        url: `/api/v1/credentials/${s.credentialId}`,
        headers: s.t.auth,
        payload: { dltPrincipalEntityId: PE },
      });
      expect(paths(await message({ dltContentTemplateId: 'abc' }))[0]?.path).toBe(
        '/dltContentTemplateId',
      );
      expect(paths(await message({ dltTelemarketerId: 'tm id!' }))[0]?.path).toBe(
        '/dltTelemarketerId',
      );
      // Over the schema's bound: refused before any pattern runs.
      expect(paths(await message({ dltContentTemplateId: '1'.repeat(101) }))[0]?.path).toMatch(
        /dltContentTemplateId/,
      );
      expect(
        paths(
          await message({ dltContentTemplateId: MESSAGE_TEMPLATE, media: [] }, s.mmsChannelId),
        )[0]?.message,
      ).toMatch(/MMS/);
      const mmsChannel = await post('/api/v1/channel-configurations', {
        name: 'mms-dlt',
        channel: 'mms',
        credentialId: s.credentialId,
        sender: '+14155550101',
        dltContentTemplateId: CHANNEL_TEMPLATE,
      });
      expect(paths(mmsChannel)[0]?.path).toBe('/dltContentTemplateId');
      expect(s.sim.requests().filter((r) => r.path === '/sms/3/messages')).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
