import { describe, expect, it } from 'vitest';
import {
  judgeLookup,
  LOOKUP_SCHEDULE_MS,
  nextLookupOffset,
  type LookupAnswer,
} from './uncertain.js';

const since = 1_000_000;
const validUntil = since + 3_600_000;
const at = (elapsed: number, answer: LookupAnswer) =>
  judgeLookup(answer, { now: since + elapsed, since, validUntil });

describe('judgeLookup', () => {
  it.each([
    ['found is found', 2_000, { kind: 'found' }, 'found'],
    ['not found inside the window: look again', 2_000, { kind: 'not_found' }, 'look_again'],
    ['not found at the window end: resend', 300_000, { kind: 'not_found' }, 'resend'],
    [
      'no access to the logs: resend at once',
      2_000,
      { kind: 'no_access', reason: '403' },
      'resend',
    ],
    [
      'logs unavailable past the window: never resent blind',
      400_000,
      { kind: 'unavailable', retryAt: 0, reason: '503', throttled: false },
      'look_again',
    ],
    [
      'past the window and the validity: resend (the send path expires it)',
      3_600_000,
      { kind: 'not_found' },
      'resend',
    ],
  ] as [string, number, LookupAnswer, string][])('%s', (_name, elapsed, answer, verdict) => {
    expect(at(elapsed, answer).kind).toBe(verdict);
  });

  it('expires rather than look again past the validity', () => {
    const shortValidity = { now: since + 60_000, since, validUntil: since + 60_000 };
    expect(judgeLookup({ kind: 'not_found' }, shortValidity).kind).toBe('expire');
  });

  it('looks again at the next offset of the schedule', () => {
    expect(nextLookupOffset(0)).toBe(LOOKUP_SCHEDULE_MS[0]);
    expect(nextLookupOffset(2_000)).toBe(5_000);
    expect(nextLookupOffset(300_000)).toBeNull();
  });
});
