import { expect, it } from 'vitest';
import { describeEachDialect } from './helpers/databases.js';
import { eventually, startSendingStack } from './helpers/sending.js';

/**
 * A message whose send may have reached the provider unanswered (a killed worker, a cut
 * connection) is looked up in the provider's logs before anything else is decided about it:
 * the provider has it, so it was sent, even if its number opted out or its validity ended since.
 * Found by the chaos run: such messages were recorded as suppressed while the provider delivered
 * them, and their delivery reports were then ignored.
 */
describeEachDialect('uncertain sends', ({ db }) => {
  it('a message the provider has is recorded as sent, though its number opted out meanwhile', async () => {
    const s = await startSendingStack(db(), { sim: { reportDelayMs: 600_000 } });
    try {
      s.sim.addFault({ kind: 'accept-then-reset', count: 1, path: '/sms/3/messages' });
      const { id } = await s.send({ to: '+14155550133', text: 'sent, answer lost' });
      await s.pump();
      expect((await s.message(id)).message).toMatchObject({
        status: 'queued',
        statusReason: expect.stringMatching(/will retry/) as unknown,
      });
      const optOut = await s.t.app.inject({
        method: 'PUT',
        url: `/api/v1/profiles/${encodeURIComponent('+14155550133')}/consent`,
        headers: s.t.auth,
        payload: { consent: 'unsubscribed' },
      });
      expect(optOut.statusCode).toBe(200);

      s.clock.advance(120_000);
      await s.pump();
      expect((await s.message(id)).message.status).toBe('accepted');
      expect(s.sim.requests().filter((r) => r.path.startsWith('/sms/3/logs'))).not.toHaveLength(0);
      expect(s.sim.requests().filter((r) => r.path === '/sms/3/messages')).toHaveLength(1);
      expect(s.sim.duplicateCount()).toBe(0);

      // Its delivery report then counts (a suppressed message would have ignored it).
      await s.sim.flushReports();
      await eventually(async () => expect((await s.message(id)).message.status).toBe('delivered'));
    } finally {
      await s.close();
    }
  });
});
