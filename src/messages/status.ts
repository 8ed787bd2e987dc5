/**
 * Tern's message statuses, their order, and which are final. Every provider maps its own
 * statuses onto this list (`providers/<name>/status-map.ts`); nothing here knows a provider.
 */

/** Tern's message lifecycle, in the order of its stages. */
export const MESSAGE_STATUSES = [
  'queued',
  // A campaign's message held while its campaign is paused (issue 15): queued again on resume.
  'paused',
  'sending',
  'accepted',
  'delivered',
  'undeliverable',
  'expired',
  'rejected',
  'failed',
  'suppressed',
  // A campaign's message never sent because its campaign was cancelled.
  'cancelled',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** True for statuses no later report or retry changes (except to `delivered`, see {@link statusRank}). */
export function isFinal(status: MessageStatus): boolean {
  switch (status) {
    case 'queued':
    case 'paused':
    case 'sending':
    case 'accepted':
      return false;
    case 'delivered':
    case 'undeliverable':
    case 'expired':
    case 'rejected':
    case 'failed':
    case 'suppressed':
    case 'cancelled':
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
    // Only a message that was never handed over is paused (an uncertain one stays queued).
    case 'paused':
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
    case 'cancelled':
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
