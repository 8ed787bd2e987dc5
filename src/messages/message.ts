import type { MessageStatus } from './status.js';
import type { Channel, MessageType } from '../channels/channel.js';
import type { SmsEncoding } from './segments.js';

export type { MessageStatus };

/**
 * Where a message came from. `opt_out_reply` is the one kind an unsubscribed number still
 * receives (the confirmation of its opt-out); every other kind is suppressed for it.
 */
export type MessageOrigin =
  | 'api'
  | 'reply'
  | 'opt_out_reply'
  | 'double_opt_in'
  | 'campaign'
  /** A flow's send step (src/flows/): consent and the send-time policy as for a campaign. */
  | 'flow';

export interface MediaItem {
  url: string;
  contentType?: string;
}

/** An outbound message as the API shows it. */
export interface Message {
  id: string;
  sandbox: string;
  channelConfigurationId: string | null;
  credentialId: string;
  channel: Channel;
  messageType: MessageType;
  sender: string;
  to: string;
  text: string | null;
  media: MediaItem[];
  callbackData: string | null;
  status: MessageStatus;
  statusReason: string | null;
  attempts: number;
  nextAttemptAt: string | null;
  validUntil: string;
  sendAt: string | null;
  segments: number;
  encoding: SmsEncoding;
  providerStatus: unknown;
  providerError: unknown;
  /**
   * The last error a provider call for this message met (DNS failure, refused, TLS, an HTTP
   * error), kept after a later success: why a message is still queued, or took long.
   */
  lastProviderError: { message: string; at: string } | null;
  /** The id the provider knows the message by (Infobip: Tern's id); null until it accepted it. */
  providerMessageId: string | null;
  idempotencyKey: string | null;
  origin: MessageOrigin;
  inboundMessageId: string | null;
  /** India DLT ids chosen at accept (the message's, else its channel configuration's); null: the credential's at send. */
  dltContentTemplateId: string | null;
  dltTelemarketerId: string | null;
  /** The campaign that queued it (origin `campaign`); null for every other message. */
  campaignId: string | null;
  /**
   * When Tern hands it to the provider as accepted: a held message's release (its window's
   * start plus jitter), else `sendAt`, else the accept time; null when it never goes (suppressed).
   */
  scheduledFor: string | null;
  /** The send-time policy rule that held or dropped it, and where the recipient's location came from. */
  policy: MessagePolicy | null;
  createdAt: string;
  updatedAt: string;
  acceptedAt: string | null;
  doneAt: string | null;
}

/** What the send-time policy did to a message: held until `heldUntil`, or dropped (`heldUntil` null). */
export interface MessagePolicy {
  action: 'held' | 'dropped';
  rule: string;
  source: string;
  heldUntil: string | null;
}

/** What the queue needs to store a new message; the send service and the inbound engine build it. */
export interface NewMessage {
  sandbox: string;
  channelConfigurationId: string | null;
  credentialId: string;
  channel: Channel;
  messageType: MessageType;
  sender: string;
  to: string;
  text: string | null;
  media: MediaItem[];
  callbackData: string | null;
  /** `queued`, or `suppressed` when consent forbids sending (kept, with its reason). */
  status: 'queued' | 'suppressed';
  statusReason: string | null;
  validUntil: string;
  sendAt: string | null;
  segments: number;
  encoding: SmsEncoding;
  idempotencyKey: string | null;
  requestHash: string | null;
  origin: MessageOrigin;
  inboundMessageId: string | null;
  /** India DLT ids of the message or its channel configuration; absent or null: the credential's. */
  dltContentTemplateId?: string | null;
  dltTelemarketerId?: string | null;
  /** The campaign fanning it out; absent or null for every other message. */
  campaignId?: string | null;
  /** Set by the send-time policy (send-policy.ts): a hold's release time, or a drop (null). */
  policy?: { rule: string; source: string; heldUntil: string | null };
}

/** One entry of a message's status history. */
export interface MessageEvent {
  id: string;
  at: string;
  status: MessageStatus;
  reason: string | null;
  report: unknown;
}
