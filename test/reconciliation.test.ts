import { request } from 'undici';
import { expect, it } from 'vitest';
import { describeEachDialect } from './helpers/databases.js';
import { eventually, SIM_KEY, startSendingStack, type SendingStack } from './helpers/sending.js';

/**
 * Issue 13 item 3: uncertain sends against the strict simulator (logs lag, the 120/min logs
 * throttle with 429, duplicate messageIds refused with status 23). Before, one "not found" in the
 * logs meant a resend: under lag that sent the text twice, and Infobip's status 23 for the
 * resend was recorded as a final `rejected` although the first copy went out.
 */
async function walk(s: SendingStack, ms: number, step = 10_000): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    s.clock.advance(step);
    await s.pump();
  }
}

const sends = (s: SendingStack) => s.sim.requests().filter((r) => r.path === '/sms/3/messages');
const lookups = (s: SendingStack) => s.sim.requests().filter((r) => r.path === '/sms/3/logs');

describeEachDialect('reconciliation of uncertain sends', ({ db }) => {
  it('accept-then-reset with the logs lagging 30 s: found later, never sent twice', async () => {
    const s = await startSendingStack(db(), { sim: { reportDelayMs: 600_000, logsLagMs: 30_000 } });
    try {
      s.sim.addFault({ kind: 'accept-then-reset', count: 1, path: '/sms/3/messages' });
      const { id } = await s.send({ to: '+14155550301', text: 'lagging logs' });
      await s.pump();
      await walk(s, 120_000, 2_000);
      expect((await s.message(id)).message.status).toBe('accepted');
      expect(sends(s)).toHaveLength(1);
      expect(s.sim.duplicateCount()).toBe(0);
      // Looked up more than once: the first lookups came before the message was visible.
      expect(lookups(s).length).toBeGreaterThan(1);
      await s.sim.flushReports();
      await eventually(async () => expect((await s.message(id)).message.status).toBe('delivered'));
    } finally {
      await s.close();
    }
  });

  it('logs answering 429: lookups back off, nothing is resent, the message is found', async () => {
    const s = await startSendingStack(db(), { sim: { reportDelayMs: 600_000 } });
    try {
      s.sim.addFault({ kind: 'accept-then-reset', count: 1, path: '/sms/3/messages' });
      s.sim.addFault({ kind: 'too-many-requests', count: 3, path: '/sms/3/logs' });
      const { id } = await s.send({ to: '+14155550302', text: 'throttled logs' });
      await s.pump();
      // Past the whole window while the logs answer 429: a 429 is never "not found".
      await walk(s, 400_000);
      expect(sends(s)).toHaveLength(1);
      expect((await s.message(id)).message.status).toBe('accepted');
      const answered = lookups(s).map((r) => r.outcome);
      expect(answered.filter((o) => o === 429)).toHaveLength(3);
      expect(answered.at(-1)).toBe(200);
      // Each 429 held the next lookup back 60 s (no Retry-After): 3 × 429 in ≥ 180 s.
      expect(lookups(s).length).toBeLessThanOrEqual(6);
      expect(s.sim.duplicateCount()).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('logs within 120 a minute for 600 uncertain messages (batched, own bucket)', async () => {
    const s = await startSendingStack(db(), { sim: { reportDelayMs: 600_000, logsLagMs: 0 } });
    try {
      s.sim.addFault({ kind: 'accept-then-reset', count: 2, path: '/sms/3/messages' });
      const ids: string[] = [];
      for (let i = 0; i < 600; i++)
        ids.push((await s.send({ to: `+1415555${String(1000 + i)}`, text: `n${i}` })).id);
      await s.pump();
      await walk(s, 30_000, 2_000);
      for (const id of ids.slice(0, 5))
        expect((await s.message(id)).message.status).toBe('accepted');
      expect(lookups(s).every((r) => r.outcome === 200)).toBe(true);
      // ~52 UUIDv7 ids fit in 2,048 characters: 600 ids take 12 requests, not 600.
      expect(lookups(s).length).toBeLessThanOrEqual(24);
      expect(s.sim.duplicateCount()).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('status 23 to a resend is recorded accepted, then delivered by the first copy’s report', async () => {
    // Logs lagging past the whole 5-minute window: Tern resends and Infobip refuses the copy.
    const s = await startSendingStack(db(), {
      sim: { reportDelayMs: 600_000, logsLagMs: 900_000 },
    });
    try {
      s.sim.addFault({ kind: 'accept-then-reset', count: 1, path: '/sms/3/messages' });
      const { id } = await s.send({ to: '+14155550303', text: 'one copy only' });
      await s.pump();
      await walk(s, 360_000, 30_000);
      expect(sends(s)).toHaveLength(2);
      const after = await s.message(id);
      expect(after.message.status).toBe('accepted');
      expect(after.history.map((h) => h.status)).not.toContain('rejected');
      await s.sim.flushReports();
      await eventually(async () => expect((await s.message(id)).message.status).toBe('delivered'));
      expect((await s.message(id)).history.map((h) => h.status)).not.toContain('rejected');
    } finally {
      await s.close();
    }
  });

  it('pull fallback: a report Infobip did not push is pulled from /sms/3/reports', async () => {
    const s = await startSendingStack(db(), { sim: { reportDelayMs: 10 } });
    try {
      // Tern's send never reached the simulator (500), so the message waits as uncertain …
      s.sim.addFault({ kind: 'server-error', status: 500, count: 1, path: '/sms/3/messages' });
      const { id } = await s.send({ to: '+14155550304', text: 'pulled' });
      await s.pump();
      // … while Infobip has a copy under its id whose report is not pushed (no webhook).
      const res = await request(`${s.sim.url}/sms/3/messages`, {
        method: 'POST',
        headers: { authorization: `App ${SIM_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          messages: [
            {
              sender: 'TERN',
              destinations: [{ to: '14155550304', messageId: id }],
              content: { text: 'pulled' },
            },
          ],
        }),
      });
      expect(res.statusCode).toBe(200);
      await res.body.text();
      await s.sim.flushReports();
      await s.worker.sweep();
      expect((await s.message(id)).message.status).toBe('delivered');
      expect(s.sim.requests().filter((r) => r.path === '/sms/3/reports')).not.toHaveLength(0);
      // Tern's one send (the 500) and the copy above: Tern did not send it again.
      expect(sends(s)).toHaveLength(2);
    } finally {
      await s.close();
    }
  });

  it('a send that never reached the provider is resent at the end of a configured window (15 s), not 5 min', async () => {
    // The chaos run's case: a worker killed between its claim and its provider call. Its
    // harness shortens the window (TERN_UNCERTAIN_LOOKUP_SCHEDULE_MS) to fit its settle time.
    const s = await startSendingStack(db(), {
      sim: { reportDelayMs: 10, logsLagMs: 0 },
      worker: { lookupScheduleMs: [2_000, 5_000, 15_000] },
    });
    try {
      s.sim.addFault({ kind: 'reset', count: 1, path: '/sms/3/messages' });
      const { id } = await s.send({ to: '+14155550306', text: 'never reached' });
      await s.pump();
      expect(sends(s)).toHaveLength(1);
      await walk(s, 14_000, 1_000);
      const waiting = (await s.message(id)).message;
      expect(waiting.status).toBe('queued');
      expect(waiting.statusReason).toMatch(/up to 15 s after the send/);
      expect(sends(s)).toHaveLength(1);
      await walk(s, 2_000, 1_000);
      expect(sends(s)).toHaveLength(2);
      await s.sim.flushReports();
      await eventually(async () => expect((await s.message(id)).message.status).toBe('delivered'));
      expect(s.sim.duplicateCount()).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('sweep: accepted past its validity plus 15 min becomes expired after a last lookup', async () => {
    const s = await startSendingStack(db(), {
      sim: { reportDelayMs: 10, outcomeRules: [{ toEndsWith: '0305', outcome: 'NO_REPORT' }] },
    });
    try {
      const { id } = await s.send({ to: '+14155550305', text: 'no report ever' });
      await s.pump();
      expect((await s.message(id)).message.status).toBe('accepted');
      await s.worker.sweep();
      expect((await s.message(id)).message.status).toBe('accepted');
      s.clock.advance(49 * 3_600_000);
      const before = lookups(s).length;
      await s.worker.sweep();
      const { message } = await s.message(id);
      expect(message.status).toBe('expired');
      expect(message.statusReason).toMatch(/no final delivery report 15 min after the validity/);
      expect(lookups(s).length).toBe(before + 1);
    } finally {
      await s.close();
    }
  });
});
