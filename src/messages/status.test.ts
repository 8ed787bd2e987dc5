import { describe, expect, it } from 'vitest';
import { canAdvance, MESSAGE_STATUSES, isFinal, statusRank } from './status.js';

describe('status ordering', () => {
  const all = MESSAGE_STATUSES;

  it('a late PENDING after DELIVERED changes nothing', () => {
    expect(canAdvance('delivered', 'accepted')).toBe(false);
    expect(canAdvance('accepted', 'delivered')).toBe(true);
  });

  it('the first failure wins, delivered overrides a failure, nothing overrides suppressed', () => {
    expect(canAdvance('expired', 'undeliverable')).toBe(false);
    expect(canAdvance('expired', 'delivered')).toBe(true);
    expect(canAdvance('delivered', 'expired')).toBe(false);
    for (const s of all) expect(canAdvance('suppressed', s)).toBe(false);
    for (const s of all) expect(canAdvance('cancelled', s)).toBe(false);
  });

  it('every final status ranks above every non-final one', () => {
    const finals = all.filter(isFinal);
    const open = all.filter((s) => !isFinal(s));
    expect(open).toEqual(['queued', 'paused', 'sending', 'accepted']);
    for (const f of finals)
      for (const o of open) expect(statusRank(f)).toBeGreaterThan(statusRank(o));
  });

  it('no status advances to itself', () => {
    for (const s of all) expect(canAdvance(s, s)).toBe(false);
  });
});
