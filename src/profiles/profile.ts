import type { ConsentSource, ConsentState } from './consent.js';

/** One custom keyword a person texted, as kept on their profile. */
export interface KeywordAttribute {
  count: number;
  firstAt: string;
  lastAt: string;
}

/** A person, by E.164 phone number within a sandbox. */
export interface Profile {
  id: string;
  sandbox: string;
  phone: string;
  consent: ConsentState;
  consentUpdatedAt: string | null;
  /** Free-form JSON; custom inbound keywords are under `keywords.<KEYWORD>`. */
  attributes: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/** One entry of the consent ledger. */
export interface ConsentEntry {
  id: string;
  profileId: string | null;
  from: ConsentState;
  to: ConsentState;
  source: ConsentSource;
  inboundMessageId: string | null;
  actor: string | null;
  note: string | null;
  at: string;
}

/** A double opt-in waiting for the person's confirmation. */
export interface PendingDoubleOptIn {
  phone: string;
  credentialId: string | null;
  previousState: ConsentState;
  requestedAt: string;
  expiresAt: string;
}

/** Double opt-ins expire after this long unless configured otherwise (design §3). */
export const DOUBLE_OPT_IN_TTL_MS = 30 * 24 * 3600 * 1000;
