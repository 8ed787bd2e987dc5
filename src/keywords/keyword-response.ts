import type { Action } from '../automation/action.js';

/** The reply and actions behind one custom inbound keyword of a credential. */
export interface KeywordResponse {
  credentialId: string;
  /** Normalised (upper case, NFC), as the credential lists it. */
  keyword: string;
  /** The template of the reply; null: no reply, actions only. */
  templateId: string | null;
  /** Run in order, before the reply is rendered (so the reply sees what they did). */
  actions: Action[];
  /** False when the keyword is no longer one of the credential's custom inbound keywords. */
  active: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** What PUT takes. */
export interface KeywordResponseInput {
  templateId: string | null;
  actions: Action[];
}
