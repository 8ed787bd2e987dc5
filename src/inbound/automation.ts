import type { Credential } from '../credentials/credential.js';
import type { Executor } from '../db/executor.js';
import type { Profile } from '../profiles/profile.js';
import type { InboundCategory } from './classify.js';

/**
 * What the inbound engine hands to automations (keyword responses, flows), inside the text's
 * transaction: whatever they do commits with the text or not at all.
 */
export interface InboundTextContext {
  credential: Credential;
  /** The texter, E.164. */
  phone: string;
  inboundMessageId: string;
  text: string;
  category: InboundCategory;
  /** The keyword matched (custom, opt-out…), normalised; null for free text. */
  keyword: string | null;
  /** The texter's profile, when they have one. */
  profileId: string | null;
}

/**
 * Queues a text to the texter from the credential's inbound number, as the engine's own
 * replies are (consent applied, reply limits spent); the message id, or null when none was
 * queued (no inbound number, or a reply limit reached).
 */
export type QueueReply = (text: string) => Promise<string | null>;

/** A custom keyword's configured reply and actions (src/keywords/). */
export interface KeywordResponder {
  respond(
    trx: Executor,
    ctx: InboundTextContext & { keyword: string; profile: Profile },
    reply: QueueReply,
  ): Promise<{ responded: boolean; replyMessageId: string | null }>;
}

/** The flows' side of an inbound text (src/flows/). */
export interface FlowInbound {
  /**
   * An opt-out ends every run of the number in the sandbox; an opt-in, help or double opt-in
   * keyword, or a fuzzy opt-out ("please stop"), ends the runs waiting for the number's reply
   * (it is never taken as the reply).
   * Returns how many runs ended.
   */
  preempt(trx: Executor, ctx: InboundTextContext): Promise<number>;
  /**
   * Any other text (a custom keyword, free text): hands it to the runs waiting
   * for this number's reply on this credential (`consumed`), then starts the active flows a
   * custom keyword triggers.
   */
  onText(trx: Executor, ctx: InboundTextContext): Promise<{ consumed: boolean; started: number }>;
}
