import type { ValidityPeriod } from '../messages/validity.js';
import type { KeywordListInput } from './keywords.js';

export type FuzzyOptOutMode = 'off' | 'reply' | 'opt-out';
export const FUZZY_OPT_OUT_MODES: readonly FuzzyOptOutMode[] = ['off', 'reply', 'opt-out'];

/** Everything an operator configures on an API credential, normalised. */
export interface CredentialSettings {
  name: string;
  provider: 'infobip';
  baseUrl: string;
  optInKeywords: string[];
  optInMessage: string;
  optOutKeywords: string[];
  optOutMessage: string;
  helpKeywords: string[];
  helpMessage: string;
  doubleOptInKeywords: string[];
  doubleOptInMessage: string;
  dltPrincipalEntityId: string | null;
  /** The default template of the credential's SMS; a channel configuration or message may set its own. */
  dltContentTemplateId: string | null;
  dltTelemarketerId: string | null;
  /** How long Infobip may try to deliver, as configured (e.g. 5 minutes for a one-time code). */
  validityPeriod: ValidityPeriod;
  callbackData: string | null;
  inboundNumber: string | null;
  customInboundKeywords: string[];
  defaultInboundReply: string | null;
  fuzzyOptOut: FuzzyOptOutMode;
  fuzzyOptOutReply: string;
  /** Messages per second Tern sends with this credential (per process). */
  sendRatePerSecond: number;
}

/** A stored credential, without its secrets. */
export interface Credential extends CredentialSettings {
  id: string;
  sandbox: string;
  apiKeyHint: string;
  /** When the provider last refused this key while sending (cleared by a successful verify or a new key). */
  providerAuthFailedAt: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** What a create or update request may carry: lists as arrays or comma-separated strings. */
export interface CredentialInput {
  name?: string;
  provider?: string;
  baseUrl?: string;
  apiKey?: string;
  optInKeywords?: KeywordListInput;
  optInMessage?: string;
  optOutKeywords?: KeywordListInput;
  optOutMessage?: string;
  helpKeywords?: KeywordListInput;
  helpMessage?: string;
  doubleOptInKeywords?: KeywordListInput;
  doubleOptInMessage?: string;
  dltPrincipalEntityId?: string | null;
  dltContentTemplateId?: string | null;
  dltTelemarketerId?: string | null;
  /** Checked by the rules (an object from the API; anything from the CLI). */
  validityPeriod?: unknown;
  /** The older whole-hours form; refused together with `validityPeriod`. */
  validityPeriodHours?: number;
  callbackData?: string | null;
  inboundNumber?: string | null;
  customInboundKeywords?: KeywordListInput;
  defaultInboundReply?: string | null;
  fuzzyOptOut?: FuzzyOptOutMode;
  fuzzyOptOutReply?: string;
  sendRatePerSecond?: number;
}

export const DEFAULT_REPLIES = {
  optInMessage:
    'You are subscribed. Msg & data rates may apply. Reply HELP for help, STOP to opt out.',
  optOutMessage:
    'You are unsubscribed and will receive no more messages. Reply START to subscribe again.',
  helpMessage: 'Reply STOP to unsubscribe or START to subscribe. Msg & data rates may apply.',
  doubleOptInMessage: 'Reply YES to confirm your subscription. Reply STOP to opt out.',
  fuzzyOptOutReply: 'To stop receiving messages, reply STOP.',
} as const;

/** Shows the last four characters of an API key, never more (and nothing of a short key). */
export function maskApiKey(apiKey: string): string {
  return apiKey.length >= 12 ? `••••${apiKey.slice(-4)}` : '••••';
}
