import { expect, it } from 'vitest';
import { describeEachDialect } from './helpers/databases.js';
import { eventually, startSendingStack, type SendingStack } from './helpers/sending.js';

/**
 * The provider down for minutes (test/sending.test.ts covers one 429 and 5xx until expiry): the
 * simulator first answers 503, then drops every connection unanswered (a network failure, so
 * the messages become "uncertain" and need a logs lookup, which fails too), on every route.
 * Messages wait with growing backoff and go out once the provider is back, or expire at their
 * validity end; none is lost or sent twice. Time is a manual clock: the minutes cost nothing.
 */
const STEP_MS = 15_000;
// The production defaults (TERN_RETRY_BASE_MS, TERN_RETRY_MAX_MS).
const WORKER = { retryBaseMs: 2_000, retryMaxMs: 600_000 };

async function sendMany(s: SendingStack, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push((await s.send({ to: `+1415555${String(2000 + i)}`, text: `outage ${i}` })).id);
  return ids;
}

async function statuses(s: SendingStack, ids: string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const id of ids) {
    const { status } = (await s.message(id)).message;
    counts[status] = (counts[status] ?? 0) + 1;
  }
  return counts;
}

/** Moves time in steps of STEP_MS for `ms`, running the worker after each step. */
async function pass(s: SendingStack, ms: number, until?: () => Promise<boolean>): Promise<number> {
  for (let elapsed = 0; elapsed < ms; elapsed += STEP_MS) {
    await s.pump();
    if (until && (await until())) return elapsed;
    s.clock.advance(STEP_MS);
  }
  await s.pump();
  return ms;
}

const sendRequests = (s: SendingStack) =>
  s.sim.requests().filter((r) => r.path === '/sms/3/messages').length;

describeEachDialect('provider down for minutes', ({ db }) => {
  it('messages wait with backoff through a 20-minute outage and all go out, once, when it ends', async () => {
    // Reports held until flushed: "accepted" first, then "delivered".
    const s = await startSendingStack(db(), { worker: WORKER, sim: { reportDelayMs: 600_000 } });
    try {
      s.sim.addFault({ kind: 'server-error', status: 503 });
      const ids = await sendMany(s, 20);
      await pass(s, 10 * 60_000);
      s.sim.clearFaults();
      s.sim.addFault({ kind: 'reset' });
      await pass(s, 10 * 60_000);

      // 20 minutes down: everything still waits, retried with backoff (not every 15 s).
      expect(await statuses(s, ids)).toEqual({ queued: 20 });
      const attempts = (await s.message(ids[0]!)).message.attempts;
      expect(attempts).toBeGreaterThanOrEqual(6);
      expect(attempts).toBeLessThanOrEqual(14); // 80 steps of 15 s; backoff doubles to 10 min
      const { message } = await s.message(ids[0]!);
      expect(message.statusReason).toMatch(/will retry/);
      // Each attempt is one provider call for the message: its one send (never resent blind),
      // then logs lookups that failed; so the bound above also bounds the lookups (they were
      // every 15 s once the 5-minute lookup window had passed, and not counted).
      const lookups = s.sim
        .requests()
        .filter((r) => r.path.startsWith('/sms/3/logs') && r.url.includes(ids[0]!));
      expect(lookups.length).toBe(attempts - 1);
      expect(sendRequests(s)).toBe(1);
      expect(s.sim.messages().length).toBe(0);

      // Back: within one maximum backoff every message is accepted, then delivered.
      s.sim.clearFaults();
      const waited = await pass(s, WORKER.retryMaxMs + STEP_MS, async () => {
        return (await statuses(s, ids)).accepted === 20;
      });
      expect(await statuses(s, ids)).toEqual({ accepted: 20 });
      console.log(
        `after 20 minutes down (${attempts} attempts each), all 20 accepted ${waited / 1000} s after the provider came back`,
      );
      await s.sim.flushReports();
      await eventually(async () => expect(await statuses(s, ids)).toEqual({ delivered: 20 }));
      expect(s.sim.messages().length).toBe(20);
      expect(s.sim.duplicateCount()).toBe(0);
      // Uncertain after the dropped connections: looked up in the logs before the resend.
      expect(s.sim.requests().some((r) => r.path.startsWith('/sms/3/logs'))).toBe(true);
      expect(sendRequests(s)).toBeGreaterThan(1);
    } finally {
      await s.close();
    }
  });

  it('an outage longer than the validity period expires the messages, and nothing goes out later', async () => {
    const s = await startSendingStack(db(), {
      worker: WORKER,
      credential: { validityPeriodHours: 1 },
    });
    try {
      s.sim.addFault({ kind: 'reset' });
      const ids = await sendMany(s, 5);
      await pass(s, 30 * 60_000);
      expect(await statuses(s, ids)).toEqual({ queued: 5 });
      await pass(s, 40 * 60_000, async () => (await statuses(s, ids)).expired === 5);
      expect(await statuses(s, ids)).toEqual({ expired: 5 });
      expect((await s.message(ids[0]!)).message.statusReason).toMatch(/validity period ended/);

      s.sim.clearFaults();
      const before = s.sim.requests().length;
      await pass(s, 15 * 60_000);
      expect(s.sim.requests().length).toBe(before); // expired stays expired: no late send
      expect(s.sim.messages().length).toBe(0);
      expect(await statuses(s, ids)).toEqual({ expired: 5 });
    } finally {
      await s.close();
    }
  });
});
