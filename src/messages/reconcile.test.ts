import { describe, expect, it } from 'vitest';
import { LogsBudget } from './logs-budget.js';
import type { MessageRow } from './message.repository.js';
import type { Settlement } from './queue.js';
import { reconcileUncertain, type LogsAnswer } from './reconcile.js';

const NOW = Date.parse('2026-12-01T10:00:00.000Z');
const BACKOFF = { baseMs: 2_000, maxMs: 600_000 };
const row = (attempts: number, uncertainForMs: number) =>
  ({
    id: 'm1',
    channel: 'sms',
    uncertain: 1,
    uncertain_since: new Date(NOW - uncertainForMs).toISOString(),
    valid_until: new Date(NOW + 3_600_000).toISOString(),
    attempts,
  }) as MessageRow;

/** One claimed uncertain row judged after the logs gave `answer`. */
async function judge(answer: LogsAnswer, r: MessageRow) {
  const budget = new LogsBudget(() => NOW);
  const { settled, pending } = await reconcileUncertain([r], {
    now: NOW,
    budget,
    // One id: one lookup request.
    target: {
      lookup: () => Promise.resolve(answer),
      lookupChunks: (ids) => [[...ids]],
      budgetKey: 'k',
    },
    backoff: BACKOFF,
  });
  expect(pending).toEqual([]);
  const s = settled[0]!.settlement as Extract<Settlement, { kind: 'retry' }>;
  expect(s.kind).toBe('retry');
  return { ...s, inMs: Date.parse(s.at) - NOW };
}

describe('reconcileUncertain: a lookup that fails backs off and counts; one held back does not', () => {
  it('a 503 past the 5-minute window: an attempt, looked up again after the send backoff', async () => {
    // Attempt 6: 2 s doubled five times is 64 s, half of it fixed (equal jitter).
    const s = await judge({ kind: 'unavailable', reason: 'HTTP 503: down' }, row(6, 600_000));
    expect(s.lookupOnly).toBe(false);
    expect(s.inMs).toBeGreaterThanOrEqual(32_000);
    expect(s.inMs).toBeLessThanOrEqual(64_000);
    expect(s.reason).toMatch(/^will retry: provider logs unavailable \(HTTP 503: down\)/);
    expect(s.uncertain).toBe(true);
  });

  it('a failed lookup inside the window waits for the later of the schedule and the backoff', async () => {
    // 10 s uncertain: the schedule says 15 s (5 s from now); attempt 5's backoff is 16-32 s.
    const s = await judge({ kind: 'unavailable', reason: 'network: reset' }, row(5, 10_000));
    expect(s.lookupOnly).toBe(false);
    expect(s.inMs).toBeGreaterThanOrEqual(16_000);
  });

  it('a 429 is a wait for the bucket, not an attempt', async () => {
    const s = await judge(
      { kind: 'throttled', reason: 'HTTP 429: slow down', retryAfterMs: 60_000 },
      row(6, 600_000),
    );
    expect(s.lookupOnly).toBe(true);
    expect(s.inMs).toBe(60_000);
    expect(s.reason).not.toMatch(/will retry/);
  });

  it('not found inside the window: looked up again on the schedule, not an attempt', async () => {
    const s = await judge({ kind: 'ok', found: new Map() }, row(6, 10_000));
    expect(s.lookupOnly).toBe(true);
    expect(s.inMs).toBe(5_000);
  });
});
