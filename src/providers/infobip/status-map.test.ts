import { describe, expect, it } from 'vitest';
import { mapInfobipStatus } from './status-map.js';

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
