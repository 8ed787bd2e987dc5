import { describe, expect, it } from 'vitest';
import {
  canAdvance,
  MESSAGE_STATUSES,
  isFinal,
  mapInfobipStatus,
  statusRank,
} from './status-map.js';

describe('mapInfobipStatus', () => {
  it.each([
    [{ groupId: 0, groupName: 'ACCEPTED' }, 'accepted'],
    [{ groupId: 1, groupName: 'PENDING' }, 'accepted'],
    [{ groupId: 2, groupName: 'UNDELIVERABLE' }, 'undeliverable'],
    [{ groupId: 3, groupName: 'DELIVERED' }, 'delivered'],
    [{ groupId: 4, groupName: 'EXPIRED' }, 'expired'],
    [{ groupId: 5, groupName: 'REJECTED' }, 'rejected'],
    [{ groupName: 'delivered' }, 'delivered'],
    [{ groupName: ' Rejected ' }, 'rejected'],
    [{ groupId: 3 }, 'delivered'],
    [{ groupId: 4, groupName: 'SOMETHING_NEW' }, 'expired'],
    // groupName wins over a disagreeing groupId.
    [{ groupId: 1, groupName: 'DELIVERED' }, 'delivered'],
    [{ groupId: 9 }, null],
    [{ groupId: 1.5 }, null],
    [{ groupName: 'NOPE' }, null],
    [{}, null],
  ] as const)('%j → %s', (status, expected) => {
    expect(mapInfobipStatus(status)).toBe(expected);
  });
});

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
  });

  it('every final status ranks above every non-final one', () => {
    const finals = all.filter(isFinal);
    const open = all.filter((s) => !isFinal(s));
    expect(open).toEqual(['queued', 'sending', 'accepted']);
    for (const f of finals)
      for (const o of open) expect(statusRank(f)).toBeGreaterThan(statusRank(o));
  });

  it('no status advances to itself', () => {
    for (const s of all) expect(canAdvance(s, s)).toBe(false);
  });
});
