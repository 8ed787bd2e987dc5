/**
 * The single-message API keeps parsed channel configurations and credentials between sends
 * (src/messages/send-context.ts): every edit, a deletion and a consent-policy change must be
 * seen by the very next send.
 */
import { expect, it } from 'vitest';
import { describeEachDialect } from './helpers/databases.js';
import { startSendingStack } from './helpers/sending.js';

describeEachDialect('send contexts', ({ db }) => {
  it('the next send sees an edited channel, an edited credential, the policy and a deletion', async () => {
    const s = await startSendingStack(db());
    const api = (method: 'PATCH' | 'DELETE', url: string, payload?: object) =>
      s.t.app.inject({ method, url, headers: s.t.auth, ...(payload ? { payload } : {}) });
    try {
      const first = await s.send({ to: '+14155550100', text: 'one' });
      expect(first).toMatchObject({ sender: 'TERN', callbackData: null });

      const edited = await api('PATCH', `/api/v1/channel-configurations/${s.smsChannelId}`, {
        sender: 'NEWNAME',
      });
      expect(edited.statusCode, edited.body).toBe(200);
      expect(await s.send({ to: '+14155550100', text: 'two' })).toMatchObject({
        sender: 'NEWNAME',
      });

      const patched = await api('PATCH', `/api/v1/credentials/${s.credentialId}`, {
        callbackData: 'from-the-credential',
      });
      expect(patched.statusCode, patched.body).toBe(200);
      expect(await s.send({ to: '+14155550100', text: 'three' })).toMatchObject({
        callbackData: 'from-the-credential',
      });

      const policy = await api('PATCH', '/api/v1/sandboxes/prod', {
        consentPolicy: 'subscribed-only',
      });
      expect(policy.statusCode, policy.body).toBeLessThan(300);
      expect(
        await s.send({ to: '+14155550100', text: 'four', messageType: 'marketing' }),
      ).toMatchObject({
        status: 'suppressed',
      });

      const deleted = await api('DELETE', `/api/v1/channel-configurations/${s.smsChannelId}`);
      expect(deleted.statusCode, deleted.body).toBe(204);
      const refused = await s.t.app.inject({
        method: 'POST',
        url: '/api/v1/messages',
        headers: s.t.auth,
        payload: { channelConfigurationId: s.smsChannelId, to: '+14155550100', text: 'five' },
      });
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({
        error: { details: [{ path: '/channelConfigurationId' }] },
      });
    } finally {
      await s.close();
    }
  });
});
