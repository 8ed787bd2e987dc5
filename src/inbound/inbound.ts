import type { InboundCategory } from './classify.js';

/**
 * What the engine did with an inbound text (stored on its row, shown in the inbound log):
 * - `unrouted`: no credential (of the calling Infobip account) owns the `to` number;
 * - `invalid_sender`: `from` is not a phone number, so there is no profile to act on;
 * - `opted_out`, `opted_in`, `double_opt_in_confirmed`, `double_opt_in_started`: consent moved;
 * - `already_opted_out`, `already_subscribed`: consent already was what the text asked for;
 * - `opted_out_no_reply`: a repeated opt-out inside the reply window (no second confirmation);
 * - `help_replied`, `fuzzy_replied`, `default_replied`: a reply was queued;
 * - `keyword_recorded`: a custom keyword landed on the profile (with its response, if one is set);
 * - `flow_replied`: a flow waiting for the person's reply took the text (no default reply);
 * - `none`: nothing matched and no default reply is set.
 */
export type InboundAction =
  | 'unrouted'
  | 'invalid_sender'
  | 'opted_out'
  | 'already_opted_out'
  | 'opted_out_no_reply'
  | 'opted_in'
  | 'double_opt_in_confirmed'
  | 'already_subscribed'
  | 'double_opt_in_started'
  | 'help_replied'
  | 'fuzzy_replied'
  | 'default_replied'
  | 'keyword_recorded'
  | 'flow_replied'
  | 'none';

/** One part of an inbound MMS: a text, or a link to media Infobip hosts. */
export type InboundPart =
  { contentType: string | null; text: string } | { contentType: string | null; url: string };

/** An inbound text as the API shows it. */
export interface InboundMessage {
  id: string;
  providerMessageId: string;
  sandbox: string | null;
  credentialId: string | null;
  from: string;
  to: string;
  /** `sms`, or `mms` for an inbound MMS (MO_MMS_2). */
  channel: 'sms' | 'mms';
  /** For an MMS, its text parts joined by a line break (what the keyword rules read). */
  text: string;
  /** An MMS's parts in order (media as links); empty for a text. */
  parts: InboundPart[];
  category: InboundCategory | null;
  action: InboundAction | null;
  /** Id of the reply queued for it (possibly `suppressed`), or null. */
  replyMessageId: string | null;
  receivedAt: string;
}
