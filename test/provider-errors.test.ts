// Issue 13 items 2 and 4, against the strict simulator: a 403 is a missing scope of one channel's
// endpoint (never a refused key), and a 400 whose violations name messages[i] fails only those
// messages and resends the rest once.
import { expect, it } from 'vitest';
import { describeEachDialect } from './helpers/databases.js';
import { SIM_KEY, eventually, startSendingStack, type SendingStack } from './helpers/sending.js';

const sendPaths = (s: SendingStack, path: string) =>
  s.sim.requests().filter((r) => r.path === path);

async function credential(s: SendingStack) {
  const res = await s.t.app.inject({
    url: `/api/v1/credentials/${s.credentialId}`,
    headers: s.t.auth,
  });
  return res.json<{ providerAuthFailedAt: string | null }>();
}

describeEachDialect('provider errors per channel and per item', ({ db }) => {
  it('403 on MMS send (key without an MMS scope) fails the MMS with missing_scope; the SMS of the same batch goes out; the key is not flagged', async () => {
    const s = await startSendingStack(db(), {
      sim: { apiKeys: [{ key: SIM_KEY, scopes: ['sms:message:send', 'sms:logs:read'] }] },
    });
    try {
      const sms = await s.send({ to: '+41793026727', text: 'sms' });
      const mms = await s.send({
        channelConfigurationId: s.mmsChannelId,
        to: '+41793026728',
        text: 'mms',
        media: [{ url: 'https://cdn.example.com/a.jpg', contentType: 'image/jpeg' }],
      });
      await s.pump();
      expect((await s.message(sms.id)).message.status).toBe('accepted');
      const failed = (await s.message(mms.id)).message;
      expect(failed.status).toBe('failed');
      // Before: "credential rejected by provider (HTTP 403 …)" and the key flagged refused.
      expect(failed.statusReason).toMatch(/^missing_scope: /);
      expect(failed.statusReason).toContain('mms:message:send, message:send, mms:manage');
      expect(failed.statusReason).toContain('POST /mms/2/messages');
      expect((await credential(s)).providerAuthFailedAt).toBeNull();
      // Failed, not retried: the key will not gain the scope by itself.
      s.clock.advance(10 * 60_000);
      await s.pump();
      expect(sendPaths(s, '/mms/2/messages')).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it('403 on a logs lookup (key without sms:logs:read): resent at once with the same id, the duplicate refusal (23) records it accepted', async () => {
    const s = await startSendingStack(db(), {
      // The report held back, so only the lookup (or the resend) can tell.
      sim: { apiKeys: [{ key: SIM_KEY, scopes: ['sms:message:send'] }], reportDelayMs: 600_000 },
    });
    try {
      // Accepted, but the answer is lost: the send is uncertain and must be looked up.
      s.sim.addFault({ kind: 'accept-then-reset', count: 1, path: '/sms/3/messages' });
      const sms = await s.send({ to: '+41793026727', text: 'sms' });
      await s.pump();
      for (let i = 0; i < 3; i++) {
        s.clock.advance(5_000);
        await s.pump();
      }
      expect(s.sim.requests().some((r) => r.path === '/sms/3/logs' && r.outcome === 403)).toBe(
        true,
      );
      // Before: the lookup was asked again until the validity ended, and nothing was sent.
      // Now the first 403 sends again with the same messageId, and Infobip refuses the copy.
      const sends = s.sim.requests().filter((r) => r.path === '/sms/3/messages');
      expect(sends).toHaveLength(2);
      // One copy goes out; the other is the refused duplicate.
      expect(s.sim.messages().filter((m) => !m.rejected)).toHaveLength(1);
      expect(s.sim.duplicateCount()).toBe(1);
      const m = (await s.message(sms.id)).message;
      expect(m.status).toBe('accepted');
      expect((await credential(s)).providerAuthFailedAt).toBeNull();
      await s.sim.flushReports();
      await eventually(async () =>
        expect((await s.message(sms.id)).message.status).toBe('delivered'),
      );
    } finally {
      await s.close();
    }
  });

  it('401 still flags the credential as refused', async () => {
    const s = await startSendingStack(db(), { sim: { apiKeys: ['some-other-key-000000000000'] } });
    try {
      const sms = await s.send({ to: '+41793026727', text: 'sms' });
      await s.pump();
      const m = (await s.message(sms.id)).message;
      expect(m.status).toBe('failed');
      expect(m.statusReason).toMatch(/credential rejected by provider \(HTTP 401/);
      expect((await credential(s)).providerAuthFailedAt).not.toBeNull();
    } finally {
      await s.close();
    }
  });

  it('a 400 naming messages[i] fails message i with the provider reason and resends the rest once', async () => {
    const s = await startSendingStack(db(), {
      sim: { outcomeRules: [{ toEndsWith: '0993', outcome: 'BAD_REQUEST' }] },
    });
    try {
      const good1 = await s.send({ to: '+41793020001', text: 'one' });
      const bad = await s.send({ to: '+41793020993', text: 'two' });
      const good2 = await s.send({ to: '+41793020003', text: 'three' });
      await s.pump();
      const requests = sendPaths(s, '/sms/3/messages');
      // The 400, then the two good ones alone.
      expect(requests).toHaveLength(2);
      expect(requests.map((r) => r.outcome)).toEqual([400, 200]);
      expect((requests[1]?.body as { messages: unknown[] }).messages).toHaveLength(2);
      const failed = (await s.message(bad.id)).message;
      expect(failed.status).toBe('failed');
      expect(failed.statusReason).toMatch(/messages\[\d\]\.destinations\[0\]\.to/);
      expect(failed.statusReason).toContain('must be a valid destination address');
      // Before: all three failed with the batch's 400.
      expect((await s.message(good1.id)).message.status).toBe('accepted');
      expect((await s.message(good2.id)).message.status).toBe('accepted');
      // provider_message_id (migration 0009): the id Infobip knows it by, Tern's own.
      const rows = await db()
        .kysely.selectFrom('messages')
        .select(['id', 'provider_message_id'])
        .where('id', 'in', [good1.id, bad.id])
        .execute();
      expect(Object.fromEntries(rows.map((r) => [r.id, r.provider_message_id]))).toEqual({
        [good1.id]: good1.id,
        [bad.id]: null,
      });
    } finally {
      await s.close();
    }
  });
});
