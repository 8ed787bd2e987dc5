/**
 * The provider contract: everything the domain (messages, inbound, credentials) may know about
 * an SMS/MMS provider. One folder per implementation (`providers/infobip/`) and one registry
 * (`providers/registry.ts`) that picks it; nothing else imports an implementation (lint rule
 * in eslint.config.js), and an implementation imports nothing of the domain but this file and
 * `provider-webhooks.ts`.
 */
import type { MessageStatus } from '../messages/status.js';

export type { MessageStatus } from '../messages/status.js';

/** The channels a provider sends on. */
export type Channel = 'sms' | 'mms';

/**
 * The closed list of ways a provider call fails, and what the caller does about each:
 * - `auth_failed`: the key itself is refused (bad, expired, revoked, or the caller's IP not
 *   allowed): flag the credential; nothing with this key will work.
 * - `missing_scope`: the key is fine but lacks a permission for this endpoint; only this
 *   channel/endpoint is affected and it will not fix itself until someone changes the key.
 * - `rejected`: this request (or the items named in `items`) is refused as sent; resending it
 *   unchanged will not help.
 * - `retry_later`: throttled or a provider-side error; try again (after `retryAfterMs`).
 * - `unreachable`: no usable answer (DNS, refused, TLS, timeout, reset, garbled answer).
 */
export type ProviderErrorKind =
  'auth_failed' | 'missing_scope' | 'rejected' | 'retry_later' | 'unreachable';

/** One refused field of a request, as the provider named it. */
export interface ProviderViolation {
  property: string;
  violation: string;
}

/** Why a provider request got no usable answer (for `unreachable`). */
export type UnreachableReason =
  | 'address_refused'
  | 'dns'
  | 'connect'
  | 'tls'
  | 'timeout'
  | 'reset'
  | 'invalid_response'
  | 'other';

/** A failed provider call, in the contract's taxonomy. */
export interface ProviderFailure {
  kind: ProviderErrorKind;
  /** The provider's reason, in its words (scrubbed of the API key). */
  reason: string;
  /** The provider's code (Infobip: `E403`, `UNAUTHORIZED`, …), or `HTTP_<status>`. */
  code: string;
  httpStatus?: number;
  /** For `missing_scope`: the scopes of which the key needs any one for this endpoint. */
  scopes?: string[];
  /** The endpoint the failure is about (`POST /sms/3/messages`), for messages and health. */
  endpoint?: string;
  /** For `retry_later`: how long the provider asked to wait. */
  retryAfterMs?: number;
  /** For `unreachable`: what went wrong on the wire. */
  unreachable?: UnreachableReason;
  /** True when a send may have reached the provider anyway: look it up before resending. */
  maybeAccepted: boolean;
  violations: ProviderViolation[];
  latencyMs: number;
}

/** One media item of an MMS, by URL (the provider fetches it). */
export interface OutboundMedia {
  url: string;
  contentType?: string;
}

/** One message to send, in the provider's terms but with Tern's values. */
export interface OutboundMessage {
  /** Tern's message id; the provider gets it as its own id when it takes caller ids. */
  messageId: string;
  /** E.164. */
  to: string;
  /** Optional for MMS (the provider then uses the account's default). */
  sender?: string;
  text?: string;
  /** MMS subject. */
  title?: string;
  media?: OutboundMedia[];
  /** What is left of the validity period, in milliseconds (the adapter converts and clamps). */
  validityMs?: number;
  callbackData?: string;
  /** Where the provider posts delivery reports for this message. */
  notifyUrl?: string;
  indiaDlt?: { principalEntityId: string; contentTemplateId?: string; telemarketerId?: string };
}

/** What became of one message of a batch. */
export type SendItemOutcome =
  | {
      kind: 'accepted';
      /** The id the provider knows the message by (stored as `provider_message_id`). */
      providerMessageId: string;
      providerStatus: unknown;
      /** Parts, when the provider says. */
      parts: number | null;
    }
  | {
      kind: 'rejected';
      /** Provider's reason, for `status_reason`. */
      reason: string;
      providerStatus?: unknown;
      providerError?: unknown;
    }
  /** A request-level failure that applies to this message (for example the batch's 403). */
  | { kind: 'failed'; failure: ProviderFailure }
  /** The answer did not mention it: its fate is unknown, look it up before resending. */
  | { kind: 'unanswered' };

/** One provider request made for a batch (for metrics and the per-request log line). */
export interface ProviderRequestRecord {
  outcome: 'ok' | ProviderErrorKind;
  httpStatus?: number;
  latencyMs: number;
  /** The messages the request carried (logs follow a message by id through its send). */
  messageIds: readonly string[];
  reason?: string;
}

/** The answer to a batch: an outcome for every message sent, and the requests it took. */
export interface SendBatchResult {
  outcomes: Map<string, SendItemOutcome>;
  requests: ProviderRequestRecord[];
}

/** A provider's record of a message sent earlier (for uncertain sends). */
export interface LookedUpMessage {
  messageId: string;
  providerMessageId: string;
  /** Tern's status for what the provider says, or null for a status it does not know. */
  status: MessageStatus | null;
  providerStatus: unknown;
  parts: number | null;
}

/** Messages the provider knows among those asked for, or why it could not say. */
export type LookupResult =
  | { kind: 'ok'; found: LookedUpMessage[]; latencyMs: number }
  | { kind: 'error'; failure: ProviderFailure };

/** One permission (scope) Tern uses, and whether the key has it. */
export interface ScopeCheck {
  /** What Tern uses it for ("send SMS", "look up SMS sends"). */
  feature: string;
  /** The scopes of which the key needs one. */
  scopes: string[];
  endpoint: string;
  /** `granted`: 2xx; `missing`: 403; `unknown`: the check could not tell (throttled, down). */
  state: 'granted' | 'missing' | 'unknown';
  detail?: string;
}

/** "Verify connection": is the key good, and which of the scopes Tern uses does it have. */
export interface VerifyOutcome {
  status: 'ok' | 'unauthorized' | 'missing_scope' | 'unreachable' | 'error';
  message: string;
  latencyMs: number;
  httpStatus?: number;
  scopes: ScopeCheck[];
}

/** Limits the domain reads from the provider instead of hard-coding them. */
export interface ProviderLimits {
  /** Messages per send request. */
  maxBatchSize: number;
  /** Longest validity period the provider honours, in milliseconds. */
  maxValidityMs: number;
  /** Longest caller message id the provider takes. */
  maxMessageIdLength: number;
  /** Longest MMS text part. */
  maxMmsTextLength: number;
  /** Longest callback data echoed in reports. */
  maxCallbackDataLength: number;
  /** How far ahead a send may be scheduled, in days. */
  maxScheduleDays: number;
}

/** A provider account bound to one credential (key, base URL). */
export interface ProviderClient {
  readonly limits: ProviderLimits;
  /** Sends one batch of one channel; never throws for HTTP or network outcomes. */
  sendBatch(channel: Channel, batch: readonly OutboundMessage[]): Promise<SendBatchResult>;
  /** Looks messages up by Tern's ids (uncertain sends); never throws for HTTP outcomes. */
  lookup(channel: Channel, messageIds: readonly string[]): Promise<LookupResult>;
  /**
   * The ids split into the groups one lookup request carries each (a caller's rate budget for
   * lookups counts one token per request).
   */
  lookupChunks(messageIds: readonly string[]): string[][];
  /** Checks the key with the least privilege Tern needs, scope by scope. */
  verify(): Promise<VerifyOutcome>;
  /**
   * Pulls at most `limit` delivery reports not yet delivered to the webhook (each returned
   * once), as a body for {@link ProviderWebhooks.parseDeliveryReports}; never throws for HTTP
   * outcomes.
   */
  pullReports(channel: Channel, limit: number): Promise<ReportsPullResult>;
}

/** One reports pull: a report body, or why there is none (scrubbed of the key). */
export type ReportsPullResult =
  { kind: 'ok'; body: { results: unknown[] } } | { kind: 'error'; reason: string };

/**
 * The provider's webhook bodies, parsed (already JSON-decoded). Stateless and shared by the
 * process: these run on the hot webhook path. Parsing never throws; each item of a body is
 * usable or rejected on its own, and only a body whose envelope is wrong fails whole.
 */
export interface ProviderWebhooks {
  parseDeliveryReports(body: unknown): WebhookParse<DeliveryReportBatch>;
  parseInbound(body: unknown): WebhookParse<InboundBatch>;
}

// The webhooks' and the reports pull's values, provider-neutral (Infobip's parser in
// `providers/infobip/webhooks.ts` produces them; the domain reads only these).

/** One thing wrong with a webhook body; `path` is a JSON pointer into the body (`/results/0/messageId`). */
export interface WebhookProblem {
  path: string;
  message: string;
}

/** The parse outcome: values, or every problem (capped by the implementation). */
export type WebhookParse<T> = { ok: true; value: T } | { ok: false; problems: WebhookProblem[] };

/** An item of a webhook body that Tern could not use: where it was, a bounded raw copy, and why. */
export interface RejectedItem {
  /** Its index in `results`. */
  index: number;
  /** The item's JSON, bounded by the implementation (then marked as cut). */
  raw: string;
  /** Capped in number; paths point into the whole body (`/results/3/status`). */
  problems: WebhookProblem[];
}

/** A price as the provider reports it. */
export interface ProviderPrice {
  perMessage: number | null;
  currency: string | null;
}

/** The provider's status object (Infobip's shape), kept for the message history. */
export interface ProviderStatus {
  groupId: number;
  groupName: string | null;
  id: number | null;
  name: string | null;
  description: string | null;
}

/** The provider's error object (Infobip's shape); `null` on a report when it says "no error". */
export interface ProviderError {
  groupId: number | null;
  groupName: string | null;
  id: number | null;
  name: string | null;
  description: string | null;
  permanent: boolean | null;
}

/** One delivery report, the same whichever of the provider's shapes it came in. */
export interface DeliveryReport {
  /** Which webhook shape it came in: v2 (`smsCount`, `from`) or v3 (`messageCount`, `sender`, `platform`). */
  shape: 'v2' | 'v3';
  /** The message id; Tern sends its own message id, so this is normally Tern's id. */
  messageId: string;
  bulkId: string | null;
  to: string | null;
  sender: string | null;
  /** ISO-8601 UTC. */
  sentAt: string | null;
  /** ISO-8601 UTC. */
  doneAt: string | null;
  /** SMS parts (v2 `smsCount`, v3 `messageCount`). */
  messageCount: number | null;
  mccMnc: string | null;
  callbackData: string | null;
  price: ProviderPrice | null;
  status: ProviderStatus;
  error: ProviderError | null;
  /** Tern's status for the report's status group; `null` for a group Tern does not know. */
  ternStatus: MessageStatus | null;
  entityId: string | null;
  applicationId: string | null;
  campaignReferenceId: string | null;
}

/** One part of an inbound MMS: a text (`text/plain`) or a media link Infobip hosts. */
export type InboundPart =
  { contentType: string | null; text: string } | { contentType: string | null; url: string };

/** One inbound (MO) text or MMS. */
export interface InboundText {
  /** Its index in the body's `results`. */
  index: number;
  /** `sms` from MO_JSON_2, `mms` from MO_MMS_2. */
  channel: 'sms' | 'mms';
  messageId: string;
  from: string;
  to: string;
  /**
   * Bounded by the implementation; see `truncated`. For an MMS, its text
   * parts joined by a line break (what the keyword rules read).
   */
  text: string;
  /** The text without the keyword Infobip matched (falls back to `text`); bounded the same. */
  cleanText: string;
  /** True when Infobip's text was longer than that bound and was cut. */
  truncated: boolean;
  /** An MMS's parts in order (text parts cut like `text`); empty for an SMS. */
  parts: InboundPart[];
  keyword: string | null;
  /** ISO-8601 UTC. */
  receivedAt: string | null;
  messageCount: number | null;
  price: ProviderPrice | null;
  callbackData: string | null;
  entityId: string | null;
  applicationId: string | null;
  campaignReferenceId: string | null;
  /** The item as received, bounded: kept as evidence. */
  raw: string;
}

/** The inbound webhook body, normalised: the usable texts, and the items that were not. */
export interface InboundBatch {
  texts: InboundText[];
  rejected: RejectedItem[];
  messageCount: number | null;
  pendingMessageCount: number | null;
}

/** The delivery-report webhook body, normalised: the usable reports, and the items that were not. */
export interface DeliveryReportBatch {
  reports: DeliveryReport[];
  rejected: RejectedItem[];
}
