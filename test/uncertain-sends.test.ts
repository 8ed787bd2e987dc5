import { expect, it } from 'vitest';
import { describeEachDialect } from './helpers/databases.js';
import { eventually, startSendingStack, type SendingStack } from './helpers/sending.js';

/** Moves time through the whole lookup window (5 min) in one-minute steps, pumping each. */
async function walkWindow(s: SendingStack): Promise<void> {
  for (let i = 0; i < 6; i++) {
    s.clock.advance(60_000);
    await s.pump();
  }
}

/**
 * A message whose send may have reached the provider unanswered (a killed worker, a cut
 * connection) is looked up in the provider's logs before anything else is decided about it:
 * the provider has it, so it was sent, even if its number opted out or its validity ended since.
 * Found by the chaos run: such messages were recorded as suppressed while the provider delivered
 * them, and their delivery reports were then ignored.
 */
/** The number opts out through the API while its message waits to be reconciled. */
async function optOut(s: SendingStack, phone: string): Promise<void> {
  const res = await s.t.app.inject({
    method: 'PUT',
    url: `/api/v1/profiles/${encodeURIComponent(phone)}/consent`,
    headers: s.t.auth,
    payload: { consent: 'unsubscribed' },
  });
  expect(res.statusCode).toBe(200);
}

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
      await optOut(s, '+14155550133');

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

/**
 * The same for MMS: an MMS whose send may have reached Infobip unanswered is looked up in
 * `GET /mms/2/logs` (an MMS is not in the SMS logs) before it is sent again.
 */
describeEachDialect('uncertain MMS sends', ({ db }) => {
  const mms = (s: { mmsChannelId: string }, to: string, text: string) => ({
    channelConfigurationId: s.mmsChannelId,
    to,
    text,
    media: [{ url: 'https://cdn.example.com/r.jpg', contentType: 'image/jpeg' }],
  });

  for (const kind of ['accept-then-reset', 'accept-then-error'] as const) {
    it(`an MMS accepted before ${kind} is found in /mms/2/logs and not sent again`, async () => {
      // Reports held back, so that only the logs can tell Tern what the provider has.
      const s = await startSendingStack(db(), { sim: { reportDelayMs: 600_000 } });
      try {
        s.sim.addFault({ kind, count: 1, path: '/mms/2/messages' });
        const ids: string[] = [];
        for (let i = 0; i < 3; i++)
          ids.push((await s.send(mms(s, `+1415555020${i}`, `receipt ${i}`))).id);
        await s.pump();
        for (const id of ids) {
          const { message } = await s.message(id);
          expect(message.status).toBe('queued');
          expect(message.statusReason).toMatch(/will retry/);
        }
        expect(s.sim.messages().filter((m) => ids.includes(m.messageId))).toHaveLength(3);

        s.clock.advance(120_000);
        await s.pump();
        for (const id of ids) expect((await s.message(id)).message.status).toBe('accepted');
        const posts = s.sim.requests().filter((r) => r.path === '/mms/2/messages');
        expect(posts).toHaveLength(1);
        expect(s.sim.duplicateCount()).toBe(0);
        const lookups = s.sim.requests().filter((r) => r.path === '/mms/2/logs');
        expect(lookups).not.toHaveLength(0);
        expect(lookups.every((r) => r.outcome === 200)).toBe(true);
        expect(s.sim.requests().filter((r) => r.path.startsWith('/sms/'))).toHaveLength(0);

        // The delivery reports of the MMS that was not sent twice are applied.
        await s.sim.flushReports();
        await eventually(async () => {
          for (const id of ids) expect((await s.message(id)).message.status).toBe('delivered');
        });
      } finally {
        await s.close();
      }
    });
  }

  it('an MMS the provider has is recorded as sent, though its number opted out meanwhile', async () => {
    const s = await startSendingStack(db(), { sim: { reportDelayMs: 600_000 } });
    try {
      s.sim.addFault({ kind: 'accept-then-reset', count: 1, path: '/mms/2/messages' });
      const { id } = await s.send(mms(s, '+14155550230', 'sent, answer lost'));
      await s.pump();
      expect((await s.message(id)).message.status).toBe('queued');
      await optOut(s, '+14155550230');

      s.clock.advance(120_000);
      await s.pump();
      expect((await s.message(id)).message.status).toBe('accepted');
      expect(s.sim.requests().filter((r) => r.path === '/mms/2/logs')).toHaveLength(1);
      expect(s.sim.requests().filter((r) => r.path === '/mms/2/messages')).toHaveLength(1);
      expect(s.sim.duplicateCount()).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('an MMS that did not reach the provider (500) is looked up, not found, and sent once', async () => {
    const s = await startSendingStack(db(), { sim: { reportDelayMs: 600_000 } });
    try {
      s.sim.addFault({ kind: 'server-error', status: 500, count: 1, path: '/mms/2/messages' });
      const { id } = await s.send(mms(s, '+14155550210', 'never arrived'));
      await s.pump();
      expect((await s.message(id)).message).toMatchObject({
        status: 'queued',
        statusReason: expect.stringMatching(/will retry/) as unknown,
      });
      expect(s.sim.messages().filter((m) => m.messageId === id)).toHaveLength(0);

      // Not found in the logs: looked up again through the window, then sent once more.
      await walkWindow(s);
      expect((await s.message(id)).message).toMatchObject({ status: 'accepted', attempts: 2 });
      expect(s.sim.requests().filter((r) => r.path === '/mms/2/logs').length).toBeGreaterThan(1);
      expect(s.sim.requests().filter((r) => r.path === '/mms/2/messages')).toHaveLength(2);
      expect(s.sim.messages().filter((m) => m.messageId === id)).toHaveLength(1);
      expect(s.sim.duplicateCount()).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('an uncertain SMS and MMS in one batch are each looked up in their own logs', async () => {
    const s = await startSendingStack(db(), { sim: { reportDelayMs: 600_000 } });
    try {
      // The MMS reached the provider (its answer was lost); the SMS did not (500).
      s.sim.addFault({ kind: 'accept-then-reset', count: 1, path: '/mms/2/messages' });
      s.sim.addFault({ kind: 'server-error', status: 500, count: 1, path: '/sms/3/messages' });
      const sms = (await s.send({ to: '+14155550220', text: 'an SMS' })).id;
      const mmsId = (await s.send(mms(s, '+14155550221', 'an MMS'))).id;
      await s.pump();
      for (const id of [sms, mmsId]) expect((await s.message(id)).message.status).toBe('queued');

      await walkWindow(s);
      for (const id of [sms, mmsId]) expect((await s.message(id)).message.status).toBe('accepted');
      const asked = (path: string) =>
        s.sim
          .requests()
          .filter((r) => r.path === path)
          .map((r) => new URL(r.url, 'http://x').searchParams.get('messageId'));
      expect(new Set(asked('/sms/3/logs'))).toEqual(new Set([sms]));
      expect(asked('/mms/2/logs')).toEqual([mmsId]);
      expect(s.sim.requests().filter((r) => r.path === '/mms/2/messages')).toHaveLength(1);
      expect(s.sim.requests().filter((r) => r.path === '/sms/3/messages')).toHaveLength(2);
      expect(s.sim.messages().filter((m) => m.messageId === sms)).toHaveLength(1);
      expect(s.sim.duplicateCount()).toBe(0);
    } finally {
      await s.close();
    }
  });
});
