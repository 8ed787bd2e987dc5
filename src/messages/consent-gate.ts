import type { MessageType } from '../channels/channel.js';
import type { ConsentState } from '../profiles/consent.js';
import type { ConsentPolicy } from '../sandboxes/sandboxes.js';
import type { MessageOrigin } from './message.js';

/**
 * Why a message may not go to a number, or null when it may. Checked when a message is
 * accepted and again by the worker right before sending, since an opt-out may arrive meanwhile.
 */
export function consentBlock(
  consent: ConsentState,
  messageType: MessageType,
  policy: ConsentPolicy,
  origin: MessageOrigin,
): string | null {
  // The confirmation of an opt-out is the one message an unsubscribed number still receives.
  if (origin === 'opt_out_reply') return null;
  if (consent === 'unsubscribed') return 'recipient opted out (consent: unsubscribed)';
  if (messageType === 'marketing' && policy === 'subscribed-only' && consent !== 'subscribed') {
    return `marketing needs a subscribed recipient under this sandbox's subscribed-only policy (consent: ${consent})`;
  }
  return null;
}
