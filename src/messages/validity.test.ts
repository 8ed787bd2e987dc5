import { describe, expect, it } from 'vitest';
import {
  remainingValiditySeconds,
  validityFromStored,
  validityMs,
  validityProblem,
  wholeHours,
} from './validity.js';

const T = Date.parse('2026-12-01T10:00:00.000Z');

describe('remainingValiditySeconds', () => {
  it.each([
    // [what, validUntil - now in ms, seconds to send]
    ['a fresh 5-minute code', 300_000, 300],
    ['a 5-minute code 12.3 s later', 300_000 - 12_300, 287],
    ['a 48 h message', 48 * 3_600_000, 172_800],
    ['more than 48 h left (a scheduled send) is capped at 48 h', 49 * 3_600_000, 172_800],
    ['59 min 59.9 s left: 3599, not rounded up to an hour', 3_599_900, 3_599],
    ['one second left', 1_000, 1],
    ['1.999 s left: 1', 1_999, 1],
  ])('%s', (_what, leftMs, seconds) => {
    expect(remainingValiditySeconds(T + leftMs, T)).toBe(seconds);
  });

  it.each([
    ['less than a second left', 999],
    ['exactly at validUntil', 0],
    ['after validUntil', -60_000],
  ])('%s: expired, not sent', (_what, leftMs) => {
    expect(remainingValiditySeconds(T + leftMs, T)).toBeNull();
  });

  it('never asks for more than is left (property over 10,000 remainders)', () => {
    for (let left = 0; left < 10_000_000; left += 997) {
      const s = remainingValiditySeconds(T + left, T);
      if (s !== null) expect(s * 1000).toBeLessThanOrEqual(left);
      else expect(left).toBeLessThan(1000);
    }
  });

  it('an unparseable validUntil is expired', () => {
    expect(remainingValiditySeconds(Number.NaN, T)).toBeNull();
  });
});

describe('validityProblem', () => {
  it.each([
    [{ amount: 5, timeUnit: 'MINUTES' }],
    [{ amount: 60, timeUnit: 'SECONDS' }],
    [{ amount: 90, timeUnit: 'SECONDS' }],
    [{ amount: 48, timeUnit: 'HOURS' }],
    [{ amount: 2880, timeUnit: 'MINUTES' }],
    [{ amount: 172_800, timeUnit: 'SECONDS' }],
  ])('accepts %o', (value) => {
    expect(validityProblem(value)).toBeUndefined();
  });

  it.each([
    [{ amount: 59, timeUnit: 'SECONDS' }, /1 minute to 48 hours/],
    [{ amount: 49, timeUnit: 'HOURS' }, /1 minute to 48 hours/],
    [{ amount: 2881, timeUnit: 'MINUTES' }, /1 minute to 48 hours/],
    [{ amount: 0, timeUnit: 'MINUTES' }, /at least 1/],
    [{ amount: 1.5, timeUnit: 'HOURS' }, /whole number/],
    [{ amount: 5, timeUnit: 'DAYS' }, /SECONDS, MINUTES or HOURS/],
    [{ amount: 5 }, /SECONDS, MINUTES or HOURS/],
    [null, /amount, timeUnit/],
    [5, /amount, timeUnit/],
  ])('refuses %o', (value, message) => {
    expect(validityProblem(value)).toMatch(message);
  });
});

describe('stored periods and the old hours field', () => {
  it('reads an old credential (validityPeriodHours only) as hours', () => {
    expect(validityFromStored(undefined, 12)).toEqual({ amount: 12, timeUnit: 'HOURS' });
    expect(validityFromStored(undefined, undefined)).toEqual({ amount: 48, timeUnit: 'HOURS' });
    expect(validityFromStored({ amount: 5, timeUnit: 'MINUTES' }, 48)).toEqual({
      amount: 5,
      timeUnit: 'MINUTES',
    });
  });

  it.each([
    [{ amount: 5, timeUnit: 'MINUTES' } as const, null, 300_000],
    [{ amount: 120, timeUnit: 'MINUTES' } as const, 2, 7_200_000],
    [{ amount: 3600, timeUnit: 'SECONDS' } as const, 1, 3_600_000],
    [{ amount: 48, timeUnit: 'HOURS' } as const, 48, 172_800_000],
  ])('%o is %s whole hours, %d ms', (period, hours, ms) => {
    expect(wholeHours(period)).toBe(hours);
    expect(validityMs(period)).toBe(ms);
  });
});
