/**
 * Infobip status groups mapped onto Tern's message statuses, in one exhaustive switch. The
 * statuses and their order live in `messages/status.ts`.
 */
import type { MessageStatus } from '../provider.js';

// Webhook parsing reads the type from here; the statuses themselves live in messages/status.ts.
export type { MessageStatus } from '../provider.js';

/** Infobip's general status groups (`status.groupName`; `groupId` 0–5). */
export type InfobipStatusGroup =
  'ACCEPTED' | 'PENDING' | 'UNDELIVERABLE' | 'DELIVERED' | 'EXPIRED' | 'REJECTED';

const GROUP_BY_ID: readonly InfobipStatusGroup[] = [
  'ACCEPTED',
  'PENDING',
  'UNDELIVERABLE',
  'DELIVERED',
  'EXPIRED',
  'REJECTED',
];

function isGroup(name: string): name is InfobipStatusGroup {
  return (GROUP_BY_ID as readonly string[]).includes(name);
}

/** The status group of an Infobip status object: by `groupName` (any case), else by `groupId`. */
export function infobipStatusGroup(status: {
  groupId?: number | null;
  groupName?: string | null;
}): InfobipStatusGroup | null {
  const name = status.groupName?.trim().toUpperCase();
  if (name !== undefined && isGroup(name)) return name;
  const id = status.groupId;
  if (typeof id === 'number' && Number.isInteger(id)) return GROUP_BY_ID[id] ?? null;
  return null;
}

/** Tern's status for an Infobip status group. */
export function statusForGroup(group: InfobipStatusGroup): MessageStatus {
  switch (group) {
    case 'ACCEPTED':
    case 'PENDING':
      // Infobip has the message; the operator outcome is not known yet.
      return 'accepted';
    case 'DELIVERED':
      return 'delivered';
    case 'UNDELIVERABLE':
      return 'undeliverable';
    case 'EXPIRED':
      return 'expired';
    case 'REJECTED':
      return 'rejected';
    default: {
      const unreachable: never = group;
      return unreachable;
    }
  }
}

/** Tern's status for an Infobip status object, or `null` when its group is unknown (keep the raw report, change nothing). */
export function mapInfobipStatus(status: {
  groupId?: number | null;
  groupName?: string | null;
}): MessageStatus | null {
  const group = infobipStatusGroup(status);
  return group === null ? null : statusForGroup(group);
}
