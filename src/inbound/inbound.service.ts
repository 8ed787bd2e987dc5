import type { Actor } from '../auth/principal.js';
import type { Clock } from '../clock.js';
import type { Credential } from '../credentials/credential.js';
import type { StoredCredential } from '../credentials/credential.repository.js';
import { findInboundNumberOwner } from '../credentials/credential.repository.js';
import { inboundAddresses } from '../credentials/inbound-number.js';
import type { CredentialService } from '../credentials/credential.service.js';
import { secretsEqual } from '../credentials/webhook-auth.js';
import type { Db } from '../db/database.js';
import type { Executor } from '../db/executor.js';
import type { GroupCommitter } from '../db/group-commit.js';
import type { Page } from '../db/pagination.js';
import { prepare } from '../db/prepared.js';
import { AppError } from '../errors.js';
import { recordEvent } from '../events/events.js';
import { newId } from '../ids.js';
import { consentBlock } from '../messages/consent-gate.js';
import type { Message, MessageOrigin, NewMessage } from '../messages/message.js';
import { enqueueMessages, listMessages } from '../messages/message.repository.js';
import { countSegments, type SegmentCount } from '../messages/segments.js';
import { normalizeE164 } from '../phone.js';
import { changeConsent } from '../profiles/consent-change.js';
import {
  consentOf,
  consentWithoutProfile,
  phoneHash,
  type ConsentState,
} from '../profiles/consent.js';
import { expireDoubleOptIns, startDoubleOptIn } from '../profiles/double-opt-in.js';
import {
  DOUBLE_OPT_IN_TTL_MS,
  type ConsentEntry,
  type PendingDoubleOptIn,
  type Profile,
} from '../profiles/profile.js';
import {
  addKeywordAttribute,
  consentHistory,
  ensureProfile,
  findPendingDoubleOptIn,
  findProfileByPhone,
} from '../profiles/profile.repository.js';
import { answerProblems, keepRejects } from '../messages/webhook-rejects.js';
import { validityMs } from '../messages/validity.js';
import { providerWebhooks, type InboundText } from '../providers/registry.js';
import { classifyInbound, type Classification, type InboundCategory } from './classify.js';
import {
  DEFAULT_REPLY_LIMITS,
  ReplyLimiter,
  type ReplyLimitReason,
  type ReplyLimits,
} from './reply-limits.js';
import type { FlowInbound, InboundTextContext, KeywordResponder } from './automation.js';
import type { InboundAction, InboundMessage } from './inbound.js';
import {
  findInbound,
  insertInbound,
  listInbound,
  setInboundOutcome,
  type InboundQuery,
} from './inbound.repository.js';

/** Repeated opt-outs inside this window get one confirmation only (carriers frown on more). */
export const OPT_OUT_REPLY_WINDOW_MS = 24 * 3600 * 1000;

/**
 * Texts one webhook POST may carry. Infobip forwards one text per request by default, its pull
 * API answers at most 1,000, and a Subscriptions bucket is 100 by default (issue 12 row 11:
 * one POST of 10,000 texts queued 10,000 replies). More is a 413, changing nothing.
 */
export const MAX_TEXTS_PER_POST = 1000;

/**
 * An API double opt-in repeated within this time of the last one sends nothing new (issue 12
 * row 23: each call sent an SMS). 10 minutes covers a double-submitted or retried sign-up form;
 * after it a person who lost the text can be sent another.
 */
export const DOUBLE_OPT_IN_RESEND_AFTER_MS = 10 * 60 * 1000;

export interface InboundServiceDeps {
  db: Db;
  clock: Clock;
  /** Commits each text's transaction together with concurrent ones (group commit). */
  committer: GroupCommitter;
  credentials: CredentialService;
  /** Default {@link OPT_OUT_REPLY_WINDOW_MS}. */
  optOutReplyWindowMs?: number;
  /** How long a double opt-in waits for its confirmation; default 30 days. */
  doubleOptInTtlMs?: number;
  /** Bounds on automatic replies; default {@link DEFAULT_REPLY_LIMITS}. */
  replyLimits?: ReplyLimits;
  /** Told of each automatic reply not queued because a bound was reached (for the metric). */
  onReplyLimited?: (reason: ReplyLimitReason) => void;
  /** A custom keyword's own reply and actions (issue 17); absent: attribute and event only. */
  keywordResponses?: KeywordResponder;
  /** Flows: pre-emption by STOP/START/HELP, replies to waiting runs, keyword triggers. */
  flows?: FlowInbound;
}

/** What became of one text of a webhook batch. */
export interface TextOutcome {
  providerMessageId: string;
  inboundMessageId: string | null;
  duplicate: boolean;
  sandbox: string | null;
  category: InboundCategory | null;
  action: InboundAction | null;
}

/** The answer to one webhook POST. */
export interface WebhookSummary {
  received: number;
  processed: number;
  duplicates: number;
  unrouted: number;
  /** Texts acted on that got no automatic reply because a reply bound was reached. */
  repliesLimited: number;
  /** Items that were not usable texts: kept raw with their problems (webhook-rejects.ts). */
  rejected: number;
  /** The first problems of the rejected items, with their paths into the body. */
  problems: { path: string; message: string }[];
  results: TextOutcome[];
}

/** A profile with everything the UI shows about it. */
export interface ProfileDetail {
  profile: Profile | null;
  phone: string;
  consent: ConsentState;
  consentHistory: ConsentEntry[];
  pendingDoubleOptIn: PendingDoubleOptIn | null;
  inbound: InboundMessage[];
  outbound: Message[];
}

const DUMMY_SECRET = 'tern-no-such-credential';
const CREDENTIAL_CACHE_SIZE = 1000;
const SEGMENT_CACHE_SIZE = 1000;

interface CachedCredential {
  key: string;
  stored: StoredCredential;
  inboundSecret: string;
  apiKey: string;
}

/**
 * The inbound engine: authenticates Infobip's MO webhook, routes each text by its `to` number,
 * de-duplicates by the provider's message id, and applies the keyword rules (design §3) in one
 * transaction per text: inbound row, profile and ledger, events, and the reply queued.
 */
export class InboundService {
  private readonly optOutReplyWindowMs: number;
  private readonly doubleOptInTtlMs: number;
  private readonly credentialCache = new Map<string, CachedCredential>();
  // Replies are the same few texts over and over; counting segments costs ~0.3 ms each.
  private readonly segmentCache = new Map<string, SegmentCount>();
  private readonly replyLimiter: ReplyLimiter;

  constructor(private readonly deps: InboundServiceDeps) {
    this.optOutReplyWindowMs = deps.optOutReplyWindowMs ?? OPT_OUT_REPLY_WINDOW_MS;
    this.doubleOptInTtlMs = deps.doubleOptInTtlMs ?? DOUBLE_OPT_IN_TTL_MS;
    this.replyLimiter = new ReplyLimiter(deps.replyLimits ?? DEFAULT_REPLY_LIMITS, deps.clock);
  }

  /** The credential a webhook URL names, when its inbound secret matches; otherwise 401. */
  async authenticate(credentialId: string, secret: string): Promise<StoredCredential> {
    const entry = await this.credential(credentialId);
    // Compare even when the credential is unknown, so timing does not tell the two apart.
    if (!secretsEqual(secret, entry?.inboundSecret ?? DUMMY_SECRET) || !entry) {
      throw new AppError('unauthorized', 'The webhook URL is not valid.');
    }
    return entry.stored;
  }

  /**
   * A credential by id with its decrypted inbound secret and API key. The parsed and decrypted
   * form is cached, keyed by the row's version and ciphertexts, so that each webhook costs one
   * small indexed read instead of a parse and two AES-GCM decryptions (measured: ~0.3 ms of
   * ~1 ms per text); any update or key rotation changes the key and is seen at once.
   */
  private async credential(credentialId: string): Promise<CachedCredential | undefined> {
    const [row] = await credentialVersion(this.deps.db.kysely, { id: credentialId });
    if (!row) return undefined;
    const key = `${row.sandbox}|${row.version}|${row.webhook_secret_encrypted}|${row.api_key_encrypted}`;
    const cached = this.credentialCache.get(credentialId);
    if (cached?.key === key) return cached;
    const stored = await this.deps.credentials
      .get(row.sandbox, credentialId)
      .catch(() => undefined);
    if (!stored) return undefined;
    const entry: CachedCredential = {
      key,
      stored,
      inboundSecret: this.deps.credentials.webhookSecrets(stored).inbound,
      apiKey: this.deps.credentials.apiKey(stored),
    };
    if (this.credentialCache.size >= CREDENTIAL_CACHE_SIZE) this.credentialCache.clear();
    this.credentialCache.set(credentialId, entry);
    return entry;
  }

  /**
   * Handles one MO_JSON_2 or MO_MMS_2 body from an authenticated webhook: each item is judged
   * on its own, so one bad item does not lose the others (issue 13 item 5); the unusable ones
   * are kept raw with their problems, and a body with none usable is a 400 naming them. Each
   * usable text is processed in its own transaction.
   */
  async receive(auth: StoredCredential, body: unknown): Promise<WebhookSummary> {
    const items = (body as { results?: unknown } | null)?.results;
    if (Array.isArray(items) && items.length > MAX_TEXTS_PER_POST) {
      throw new AppError(
        'payload_too_large',
        `An inbound webhook request carries at most ${MAX_TEXTS_PER_POST} texts; this one has ${items.length}.`,
        [{ path: '/results', message: `must have at most ${MAX_TEXTS_PER_POST} items` }],
      );
    }
    const parsed = providerWebhooks(auth.credential.provider).parseInbound(body);
    if (!parsed.ok) {
      throw new AppError(
        'validation_failed',
        'The inbound webhook body is not valid.',
        parsed.problems.map((p) => ({ path: p.path, message: p.message })),
      );
    }
    const { texts, rejected } = parsed.value;
    const problems = answerProblems(rejected).map((p) => ({ path: p.path, message: p.message }));
    if (rejected.length > 0) {
      await keepRejects(
        this.deps.db.kysely,
        this.deps.clock,
        { credentialId: auth.credential.id, sandbox: auth.credential.sandbox, webhook: 'inbound' },
        rejected,
      );
      if (texts.length === 0) {
        throw new AppError(
          'validation_failed',
          `None of the ${rejected.length} inbound items is valid.`,
          problems,
        );
      }
    }
    const results: TextOutcome[] = [];
    const limited = { count: 0 };
    for (const text of texts) results.push(await this.processText(auth, text, limited));
    return {
      received: results.length,
      processed: results.filter((r) => !r.duplicate && r.action !== 'unrouted').length,
      duplicates: results.filter((r) => r.duplicate).length,
      unrouted: results.filter((r) => !r.duplicate && r.action === 'unrouted').length,
      repliesLimited: limited.count,
      rejected: rejected.length,
      problems,
      results,
    };
  }

  /**
   * Which credential owns a `to` number. A number owned by another credential counts only when
   * that credential is in the same sandbox and uses the same Infobip API key (the same account):
   * one credential's webhook secret never acts in another sandbox, even one sharing its key.
   * Such texts are stored unrouted; the remedy is each number forwarding to its own
   * credential's webhook URL (README, "Inbound texts").
   */
  private async route(auth: StoredCredential, addresses: string[]): Promise<Credential | null> {
    // The credential's inbound number is written with the global lookup row, in one
    // transaction: when they agree there is nothing to look up.
    if (auth.credential.inboundNumber !== null && addresses.includes(auth.credential.inboundNumber))
      return auth.credential;
    for (const address of addresses) {
      const owner = await findInboundNumberOwner(this.deps.db.kysely, address);
      if (!owner) continue;
      if (owner.sandbox !== auth.credential.sandbox) return null;
      if (owner.credentialId === auth.credential.id) return auth.credential;
      const [mine, other] = await Promise.all([
        this.credential(auth.credential.id),
        this.credential(owner.credentialId),
      ]);
      return mine && other && secretsEqual(mine.apiKey, other.apiKey)
        ? other.stored.credential
        : null;
    }
    return null;
  }

  private async processText(
    auth: StoredCredential,
    text: InboundText,
    limited: { count: number },
  ): Promise<TextOutcome> {
    // A short code arrives as is ("25256"), a number without `+`; an alphanumeric `to` owns
    // no credential and is stored unrouted (issue 13 item 6).
    const addresses = inboundAddresses(text.to);
    const credential = await this.route(auth, addresses);
    const to =
      credential?.inboundNumber !== undefined &&
      credential.inboundNumber !== null &&
      addresses.includes(credential.inboundNumber)
        ? credential.inboundNumber
        : addresses[0];
    const from = normalizeE164(text.from);
    const { clock } = this.deps;
    const id = newId();
    const receivedAt = clock.now().toISOString();
    const classification: Classification | null =
      credential && from ? classifyInbound(text.text, credential) : null;

    return this.deps.committer.run(async (trx) => {
      const stored = await insertInbound(trx, {
        id,
        provider_message_id: text.messageId,
        sandbox: credential?.sandbox ?? null,
        credential_id: credential?.id ?? null,
        from_number: from ?? text.from,
        to_number: to ?? text.to,
        text: text.text,
        category: classification?.category ?? null,
        action: credential ? null : 'unrouted',
        received_at: receivedAt,
        raw: text.raw,
        webhook_credential_id: auth.credential.id,
        channel: text.channel,
        parts: JSON.stringify(text.parts),
      });
      const outcome: TextOutcome = {
        providerMessageId: text.messageId,
        inboundMessageId: stored ? id : null,
        duplicate: !stored,
        sandbox: credential?.sandbox ?? null,
        category: classification?.category ?? null,
        action: credential ? null : 'unrouted',
      };
      if (!stored || !credential) return outcome;
      if (!from || !classification) {
        await setInboundOutcome(trx, id, null, 'invalid_sender');
        return { ...outcome, action: 'invalid_sender' };
      }
      const effect = await this.apply(
        trx,
        credential,
        from,
        id,
        classification,
        limited,
        text.text,
      );
      await setInboundOutcome(trx, id, classification.category, effect.action);
      await recordEvent(trx, clock, {
        sandbox: credential.sandbox,
        type: 'inbound.received',
        payload: {
          inboundMessageId: id,
          providerMessageId: text.messageId,
          credentialId: credential.id,
          from,
          to: to ?? text.to,
          channel: text.channel,
          text: text.text,
          parts: text.parts,
          category: classification.category,
          keyword: classification.keyword,
          fuzzy: classification.fuzzy,
          action: effect.action,
          profileId: effect.profileId,
          replyMessageId: effect.replyMessageId,
          callbackData: credential.callbackData,
        },
      });
      return { ...outcome, action: effect.action };
    });
  }

  /** The keyword rules (design §3) for one routed text, inside its transaction. */
  private async apply(
    trx: Executor,
    credential: Credential,
    phone: string,
    inboundId: string,
    classification: Classification,
    limited: { count: number },
    text: string,
  ): Promise<{ action: InboundAction; profileId: string | null; replyMessageId: string | null }> {
    const { clock } = this.deps;
    const sandbox = credential.sandbox;
    const consentChange = (to: ConsentState) =>
      changeConsent(trx, clock, {
        sandbox,
        phone,
        to,
        source: 'keyword',
        inboundMessageId: inboundId,
        eventContext: { credentialId: credential.id, callbackData: credential.callbackData },
      });
    // Automatic replies are bounded (reply-limits.ts); the consent change is made regardless.
    const reply = (body: string, origin: MessageOrigin, consent?: ConsentState) =>
      this.queueReply(trx, credential, phone, body, origin, inboundId, consent, limited);
    // The profile and consent of the texter, for the categories that do not change consent.
    const current = async () => {
      const profile = await findProfileByPhone(trx, sandbox, phone);
      const consent = profile?.consent ?? (await consentWithoutProfile(trx, sandbox, phone));
      return { profileId: profile?.id ?? null, consent };
    };
    // What automations (keyword responses, flows) are told of the text.
    const automation = (profileId: string | null): InboundTextContext => ({
      credential,
      phone,
      inboundMessageId: inboundId,
      text,
      category: classification.category,
      keyword: classification.keyword,
      profileId,
    });
    const preempt = (profileId: string | null) =>
      this.deps.flows?.preempt(trx, automation(profileId)) ?? Promise.resolve(0);

    switch (classification.category) {
      case 'opt_out': {
        const change = await consentChange('unsubscribed');
        await preempt(change.profileId);
        // A repeated STOP gets one confirmation per window; a real change always gets one.
        if (!change.changed && (await this.recentOptOutReply(trx, sandbox, phone))) {
          return {
            action: 'opted_out_no_reply',
            profileId: change.profileId,
            replyMessageId: null,
          };
        }
        return {
          action: change.changed ? 'opted_out' : 'already_opted_out',
          profileId: change.profileId,
          replyMessageId: await reply(credential.optOutMessage, 'opt_out_reply', 'unsubscribed'),
        };
      }
      case 'opt_in': {
        // A pending double opt-in, if any, ends with this change: it is then confirmed.
        const change = await consentChange('subscribed');
        await preempt(change.profileId);
        return {
          action: change.endedDoubleOptIn
            ? 'double_opt_in_confirmed'
            : change.changed
              ? 'opted_in'
              : 'already_subscribed',
          profileId: change.profileId,
          replyMessageId: await reply(credential.optInMessage, 'reply', 'subscribed'),
        };
      }
      case 'help': {
        const { profileId, consent } = await current();
        await preempt(profileId);
        return {
          action: 'help_replied',
          profileId,
          replyMessageId: await reply(credential.helpMessage, 'reply', consent),
        };
      }
      case 'double_opt_in': {
        const started = await startDoubleOptIn(trx, clock, {
          sandbox,
          phone,
          credentialId: credential.id,
          source: 'keyword',
          ttlMs: this.doubleOptInTtlMs,
          inboundMessageId: inboundId,
        });
        await preempt(started.profileId);
        // The consent it leaves is known: the reply needs no second read of it.
        if (!started.started) {
          return {
            action: 'already_subscribed',
            profileId: started.profileId,
            replyMessageId: await reply(credential.optInMessage, 'reply', started.consent),
          };
        }
        return {
          action: 'double_opt_in_started',
          profileId: started.profileId,
          replyMessageId: await reply(
            credential.doubleOptInMessage,
            'double_opt_in',
            started.consent,
          ),
        };
      }
      case 'custom': {
        const keyword = classification.keyword ?? '';
        const profile = await addKeywordAttribute(
          trx,
          clock,
          await ensureProfile(trx, clock, sandbox, phone),
          keyword,
        );
        await recordEvent(trx, clock, {
          sandbox,
          type: 'profile.keyword',
          payload: {
            keyword,
            profile: {
              id: profile.id,
              phone: profile.phone,
              consent: profile.consent,
              attributes: profile.attributes,
            },
            inboundMessageId: inboundId,
            credentialId: credential.id,
            callbackData: credential.callbackData,
          },
        });
        const responded = await this.deps.keywordResponses?.respond(
          trx,
          { ...automation(profile.id), keyword, profile },
          (body) => reply(body, 'reply'),
        );
        await this.deps.flows?.onText(trx, automation(profile.id));
        return {
          action: 'keyword_recorded',
          profileId: profile.id,
          replyMessageId: responded?.replyMessageId ?? null,
        };
      }
      case 'fuzzy_opt_out': {
        const { profileId, consent } = await current();
        // Someone asking to stop in their own words is not answering a flow's question.
        await preempt(profileId);
        return {
          action: 'fuzzy_replied',
          profileId,
          replyMessageId: await reply(credential.fuzzyOptOutReply, 'reply', consent),
        };
      }
      case 'none': {
        if (this.deps.flows) {
          const profile = await findProfileByPhone(trx, sandbox, phone);
          const taken = await this.deps.flows.onText(trx, automation(profile?.id ?? null));
          if (taken.consumed) {
            return { action: 'flow_replied', profileId: profile?.id ?? null, replyMessageId: null };
          }
        }
        if (credential.defaultInboundReply === null || credential.defaultInboundReply === '') {
          const profile = await findProfileByPhone(trx, sandbox, phone);
          return { action: 'none', profileId: profile?.id ?? null, replyMessageId: null };
        }
        const { profileId, consent } = await current();
        return {
          action: 'default_replied',
          profileId,
          replyMessageId: await reply(credential.defaultInboundReply, 'reply', consent),
        };
      }
    }
  }

  private async recentOptOutReply(db: Executor, sandbox: string, phone: string): Promise<boolean> {
    const since = new Date(
      this.deps.clock.now().getTime() - this.optOutReplyWindowMs,
    ).toISOString();
    const rows = await recentOptOutReplies(db, { sandbox, phone, since });
    return rows.length > 0;
  }

  /**
   * Queues a reply from the credential's inbound number, as a transactional message, in the
   * caller's transaction. Consent is applied as on any send: an unsubscribed number gets only
   * the opt-out confirmation; anything else is stored `suppressed` with the reason.
   */
  private async queueReply(
    trx: Executor,
    credential: Credential,
    phone: string,
    text: string,
    origin: MessageOrigin,
    inboundId: string | null,
    knownConsent?: ConsentState,
    limited?: { count: number },
  ): Promise<string | null> {
    if (credential.inboundNumber === null) return null;
    const consent =
      knownConsent ?? (await consentOf(trx, credential.sandbox, [phone])).get(phone) ?? 'unknown';
    const block = consentBlock(consent, 'transactional', 'not-unsubscribed', origin);
    // Only a reply that would be sent spends the budget; one blocked by consent costs nothing.
    if (limited && block === null) {
      const refused = this.replyLimiter.take(credential.id, phone);
      if (refused) {
        limited.count++;
        this.deps.onReplyLimited?.(refused);
        return null;
      }
    }
    let count = this.segmentCache.get(text);
    if (!count) {
      count = countSegments(text);
      if (this.segmentCache.size >= SEGMENT_CACHE_SIZE) this.segmentCache.clear();
      this.segmentCache.set(text, count);
    }
    const { encoding, segments } = count;
    const now = this.deps.clock.now().getTime();
    const message: NewMessage = {
      sandbox: credential.sandbox,
      channelConfigurationId: null,
      credentialId: credential.id,
      channel: 'sms',
      messageType: 'transactional',
      sender: credential.inboundNumber,
      to: phone,
      text,
      media: [],
      callbackData: credential.callbackData,
      status: block === null ? 'queued' : 'suppressed',
      statusReason: block,
      validUntil: new Date(now + validityMs(credential.validityPeriod)).toISOString(),
      sendAt: null,
      segments,
      encoding,
      idempotencyKey: null,
      requestHash: null,
      origin,
      inboundMessageId: inboundId,
    };
    const [row] = await enqueueMessages(trx, this.deps.clock, [message]);
    return row?.id ?? null;
  }

  /**
   * Starts a double opt-in from the API (a web sign-up form, say): the number goes `pending`
   * (or gets a pending request if it has no profile) and the credential's double opt-in message
   * is queued from its inbound number. 409 when the number is already subscribed.
   */
  async requestDoubleOptIn(
    sandbox: string,
    actor: Actor,
    rawPhone: string,
    input: { credentialId: string; note?: string | null },
  ): Promise<{
    pending: PendingDoubleOptIn;
    profileId: string | null;
    messageId: string | null;
    sent: boolean;
  }> {
    const phone = requirePhone(rawPhone);
    const stored = await this.deps.credentials
      .get(sandbox, input.credentialId)
      .catch((error: unknown) => {
        if (error instanceof AppError && error.code === 'not_found') {
          throw new AppError(
            'validation_failed',
            'The API credential does not exist in this sandbox.',
            [{ path: '/credentialId', message: 'no such API credential in this sandbox' }],
          );
        }
        throw error;
      });
    const credential = stored.credential;
    if (credential.inboundNumber === null) {
      throw new AppError(
        'validation_failed',
        'The API credential has no inbound number to send from and receive the confirmation on.',
        [{ path: '/credentialId', message: 'set an inboundNumber on this API credential first' }],
      );
    }
    return this.deps.db.kysely.transaction().execute(async (trx) => {
      const started = await startDoubleOptIn(trx, this.deps.clock, {
        sandbox,
        phone,
        credentialId: credential.id,
        source: 'api',
        ttlMs: this.doubleOptInTtlMs,
        actor: actor.id,
        note: input.note ?? null,
        resendAfterMs: DOUBLE_OPT_IN_RESEND_AFTER_MS,
      });
      if (!started.started && started.reason === 'recent') {
        // The pending request stands as it was; its message went out less than 10 minutes ago.
        return {
          pending: started.pending,
          profileId: started.profileId,
          messageId: null,
          sent: false,
        };
      }
      if (!started.started) {
        throw new AppError('conflict', `${phone} is already subscribed.`, [
          { path: '/phone', message: 'is already subscribed: no double opt-in needed' },
        ]);
      }
      const messageId = await this.queueReply(
        trx,
        credential,
        phone,
        credential.doubleOptInMessage,
        'double_opt_in',
        null,
        started.consent,
      );
      return { pending: started.pending, profileId: started.profileId, messageId, sent: true };
    });
  }

  /** A number's profile (if any), its consent history, pending double opt-in, and recent texts both ways. */
  async profileDetail(sandbox: string, rawPhone: string, limit = 50): Promise<ProfileDetail> {
    const phone = requirePhone(rawPhone);
    const db = this.deps.db.kysely;
    const profile = await findProfileByPhone(db, sandbox, phone);
    const pending = await findPendingDoubleOptIn(db, sandbox, phone);
    const history = await consentHistory(db, sandbox, phoneHash(phone));
    if (!profile && !pending && history.length === 0) {
      throw new AppError('not_found', `No profile for ${phone} in this sandbox.`);
    }
    const consent = (await consentOf(db, sandbox, [phone])).get(phone) ?? 'unknown';
    const inbound = await listInbound(db, sandbox, { from: phone, limit });
    const outbound = await listMessages(db, sandbox, { to: phone, limit });
    return {
      profile: profile ?? null,
      phone,
      consent,
      consentHistory: history,
      pendingDoubleOptIn: pending ?? null,
      inbound: inbound.items,
      outbound: outbound.items,
    };
  }

  listInbound(sandbox: string, query: InboundQuery): Promise<Page<InboundMessage>> {
    return listInbound(this.deps.db.kysely, sandbox, query);
  }

  async getInbound(sandbox: string, id: string): Promise<InboundMessage> {
    const found = await findInbound(this.deps.db.kysely, sandbox, id);
    if (!found) throw new AppError('not_found', `No inbound message ${id} in this sandbox.`);
    return found;
  }

  /** Expires due double opt-ins (see {@link expireDoubleOptIns}); returns how many. */
  expireDoubleOptIns(limit?: number): Promise<number> {
    return expireDoubleOptIns(this.deps.db.kysely, this.deps.clock, limit ? { limit } : {});
  }
}

// Queries run for every text, compiled once (see db/prepared.ts).
const credentialVersion = prepare<
  { id: string },
  { sandbox: string; version: number; webhook_secret_encrypted: string; api_key_encrypted: string }
>((db, param) =>
  db
    .selectFrom('credentials')
    .select(['sandbox', 'version', 'webhook_secret_encrypted', 'api_key_encrypted'])
    .where('id', '=', param('id')),
);

const recentOptOutReplies = prepare<{ sandbox: string; phone: string; since: string }>(
  (db, param) =>
    db
      .selectFrom('messages')
      .select('id')
      .where('sandbox', '=', param('sandbox'))
      .where('to_number', '=', param('phone'))
      .where('origin', '=', 'opt_out_reply')
      .where('created_at', '>=', param('since'))
      .limit(1),
);

/** A phone number from a URL or body, in E.164, or a 400 naming it. */
export function requirePhone(raw: string, path = '/params/phone'): string {
  const phone = normalizeE164(raw);
  if (!phone) {
    throw new AppError('validation_failed', 'The phone number is not valid.', [
      { path, message: 'must be a valid phone number in international format, e.g. +14155550100' },
    ]);
  }
  return phone;
}
