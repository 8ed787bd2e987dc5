/**
 * Infobip status groups mapped onto Tern's message statuses, in one exhaustive switch, and the
 * ordering that keeps a message from moving backwards (a late PENDING after DELIVERED).
 */

/** Tern's message lifecycle, in the order of its stages. */
export const MESSAGE_STATUSES = [
  'queued',
  'sending',
  'accepted',
  'delivered',
  'undeliverable',
  'expired',
  'rejected',
  'failed',
  'suppressed',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

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

/** True for statuses no later report or retry changes (except to `delivered`, see {@link statusRank}). */
export function isFinal(status: MessageStatus): boolean {
  switch (status) {
    case 'queued':
    case 'sending':
    case 'accepted':
      return false;
    case 'delivered':
    case 'undeliverable':
    case 'expired':
    case 'rejected':
    case 'failed':
    case 'suppressed':
      return true;
    default: {
      const unreachable: never = status;
      return unreachable;
    }
  }
}

/**
 * How far along a message is. A report may move a message only to a higher rank. Failures share
 * one rank (the first final outcome wins); `delivered` ranks above them because a handset receipt
 * that arrives after, say, EXPIRED is the better evidence of what happened.
 */
export function statusRank(status: MessageStatus): number {
  switch (status) {
    case 'queued':
      return 0;
    case 'sending':
      return 1;
    case 'accepted':
      return 2;
    case 'undeliverable':
    case 'expired':
    case 'rejected':
    case 'failed':
      return 3;
    case 'delivered':
      return 4;
    case 'suppressed':
      // Never sent: nothing the provider says can apply to it.
      return 5;
    default: {
      const unreachable: never = status;
      return unreachable;
    }
  }
}

/** True when a message in `current` should take `next` (strictly forward only). */
export function canAdvance(current: MessageStatus, next: MessageStatus): boolean {
  return statusRank(next) > statusRank(current);
}
