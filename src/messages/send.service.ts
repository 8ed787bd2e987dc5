import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { isUniqueViolation } from '../db/dialect.js';
import type { Executor } from '../db/executor.js';
import type { GroupCommitter } from '../db/group-commit.js';
import type { Page } from '../db/pagination.js';
import { AppError, type ErrorDetail } from '../errors.js';
import { consentOf } from '../profiles/consent.js';
import type { ConsentPolicy } from '../sandboxes/sandboxes.js';
import { consentBlock } from './consent-gate.js';
import type { Message, MessageEvent, NewMessage } from './message.js';
import { SendContexts, type SendContext } from './send-context.js';
import {
  enqueueMessages,
  findByIdempotencyKey,
  findMessage,
  listMessages,
  messageFromRow,
  messageHistory,
  type MessageFilters,
  type MessageQuery,
} from './message.repository.js';
import { exportMessagesCsv } from './message-export.js';
import { checkMessage, type SendInput } from './message.rules.js';
import { recordEvents } from '../events/events.js';
import {
  applyDecision,
  heldEvents,
  policyApplies,
  profileAttributes,
  type PolicyListener,
} from './send-policy.js';
import { ChunkPolicy, type ChunkPolicySource } from './batch-policy.js';

export const BATCH_MAX = 1000;

/**
 * Requests with at most this many messages to store share a transaction with concurrent
 * requests (group commit); larger batches commit in a transaction of their own, so that many
 * small requests are not held behind one big one.
 */
const GROUP_COMMIT_MAX_MESSAGES = 20;

/** The answer for one message: stored (new or replayed) or refused with its problems. */
export type SendOutcome =
  | { ok: true; message: Message; replayed: boolean }
  | { ok: false; code: 'validation_failed' | 'conflict'; message: string; problems: ErrorDetail[] };

interface Prepared {
  index: number;
  message: NewMessage;
}

/** Accepts messages into the durable queue: validation, consent, idempotency. */
export class SendService {
  private readonly contexts = new SendContexts();

  constructor(
    private readonly deps: {
      db: Db;
      clock: Clock;
      committer: GroupCommitter;
      /** The send-time policy (quiet hours, caps) for marketing messages; absent: none. */
      policy?: ChunkPolicySource;
      onPolicy?: PolicyListener;
    },
  ) {}

  /** One message; throws on a refusal (the HTTP layer answers 400/409). */
  async send(sandbox: string, input: SendInput): Promise<{ message: Message; replayed: boolean }> {
    const [outcome] = await this.sendMany(sandbox, [input]);
    if (!outcome) throw new Error('sendMany returned no outcome');
    if (!outcome.ok) throw new AppError(outcome.code, outcome.message, outcome.problems);
    return outcome;
  }

  /**
   * Up to BATCH_MAX messages, each judged on its own; every acceptable one is stored in one
   * transaction. Outcomes come back in input order.
   */
  async sendMany(sandbox: string, inputs: SendInput[]): Promise<SendOutcome[]> {
    if (inputs.length > BATCH_MAX) {
      throw new AppError('validation_failed', `A batch holds at most ${BATCH_MAX} messages.`, [
        { path: '/messages', message: `has ${inputs.length} items` },
      ]);
    }
    const now = this.deps.clock.now();
    const outcomes: (SendOutcome | undefined)[] = new Array<SendOutcome | undefined>(inputs.length);
    const prepared: Prepared[] = [];
    const contexts = new Map<string, SendContext | null>();

    for (const [index, input] of inputs.entries()) {
      const id = input.channelConfigurationId ?? '';
      if (!contexts.has(id))
        contexts.set(
          id,
          id === '' ? null : await this.contexts.get(this.deps.db.kysely, sandbox, id),
        );
      const found = contexts.get(id);
      if (!found) {
        outcomes[index] = refused([
          {
            path: '/channelConfigurationId',
            message: 'is not a channel configuration of this sandbox',
          },
        ]);
        continue;
      }
      const checked = checkMessage(input, found.channel, found.credential, now);
      if (!checked.ok) {
        outcomes[index] = refused(checked.problems);
        continue;
      }
      const m = checked.message;
      const message: NewMessage = {
        sandbox,
        channelConfigurationId: found.channel.id,
        credentialId: found.credential.id,
        channel: found.channel.channel,
        messageType: m.messageType,
        sender: found.channel.sender,
        to: m.to,
        text: m.text,
        media: m.media,
        callbackData: input.callbackData ?? found.credential.callbackData,
        status: 'queued',
        statusReason: null,
        validUntil: m.validUntil,
        sendAt: m.sendAt,
        segments: m.count.segments,
        encoding: m.count.encoding,
        idempotencyKey: input.idempotencyKey ?? null,
        requestHash: null,
        origin: 'api',
        inboundMessageId: null,
        ...m.dlt,
      };
      // Only a key's later repeats compare against it: a message without one needs no hash.
      if (message.idempotencyKey !== null) message.requestHash = requestHash(message, input);
      prepared.push({ index, message });
    }

    // The send-time policy, before the transaction like every read (on SQLite a query outside
    // it would wait for it forever). Transactional messages do no policy work at all.
    const policyOutcomes = await this.applySendPolicy(sandbox, prepared, now);

    // Read with the contexts, before the transaction: on SQLite a query outside it would wait
    // for it forever. A sandbox has one policy, so any context's is the one.
    const policy = [...contexts.values()].find((c) => c !== null)?.policy;
    if (prepared.length > 0 && policy) {
      const store = (trx: Executor) => this.store(trx, sandbox, policy, prepared, outcomes);
      try {
        await (prepared.length <= GROUP_COMMIT_MAX_MESSAGES
          ? this.deps.committer.run(store)
          : this.deps.committer.runAlone(store));
        for (const o of policyOutcomes) this.deps.onPolicy?.(o.outcome, o.reason);
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // Another request stored the same idempotency key between our check and our insert.
        for (const { index } of prepared) {
          outcomes[index] = {
            ok: false,
            code: 'conflict',
            message: 'A concurrent request used the same idempotency key; retry to get its result.',
            problems: [
              { path: '/idempotencyKey', message: 'is being used by a concurrent request' },
            ],
          };
        }
      }
    }
    return outcomes.map((o) => o ?? refused([{ message: 'not processed' }]));
  }

  /**
   * Decides each marketing message by the send-time policy at the time it would go (`sendAt`,
   * else now): held messages wait in the queue until their window opens, dropped ones are
   * stored `suppressed` with the coded reason. The recipients' profile attributes (time zone,
   * state) come in one read for the whole request.
   */
  private async applySendPolicy(
    sandbox: string,
    prepared: Prepared[],
    now: Date,
  ): Promise<{ outcome: 'held' | 'dropped'; reason: string }[]> {
    const outcomes: { outcome: 'held' | 'dropped'; reason: string }[] = [];
    const source = this.deps.policy;
    if (!source) return outcomes;
    const judged = prepared.filter((p) => policyApplies(p.message.messageType, p.message.origin));
    if (judged.length === 0) return outcomes;
    const phones = judged.map((p) => p.message.to);
    const [attributes, policy] = await Promise.all([
      profileAttributes(this.deps.db.kysely, sandbox, phones),
      ChunkPolicy.load(source, sandbox, null, phones, now),
    ]);
    for (const { message } of judged) {
      const decision = policy.decide(
        message.to,
        attributes.get(message.to) ?? {},
        message.sendAt ? new Date(message.sendAt) : now,
        message.validUntil,
        message.origin,
      );
      const applied = applyDecision(message, decision);
      if (applied) outcomes.push(applied);
    }
    return outcomes;
  }

  private async store(
    trx: Executor,
    sandbox: string,
    policy: ConsentPolicy,
    prepared: Prepared[],
    outcomes: (SendOutcome | undefined)[],
  ): Promise<void> {
    // Idempotency: the same key with the same request returns the original; another request, 409.
    const toStore: Prepared[] = [];
    const firstWithKey = new Map<string, Prepared>();
    const repeats: { index: number; key: string }[] = [];
    for (const item of prepared) {
      const key = item.message.idempotencyKey;
      if (key === null) {
        toStore.push(item);
        continue;
      }
      const earlier = firstWithKey.get(key);
      const existing = earlier ? undefined : await findByIdempotencyKey(trx, sandbox, key);
      const originalHash = earlier?.message.requestHash ?? existing?.request_hash;
      if (originalHash === undefined) {
        firstWithKey.set(key, item);
        toStore.push(item);
      } else if (originalHash !== item.message.requestHash) {
        outcomes[item.index] = {
          ok: false,
          code: 'conflict',
          message: 'This idempotency key was already used for a different message.',
          problems: [{ path: '/idempotencyKey', message: 'was used with another request body' }],
        };
      } else if (existing) {
        outcomes[item.index] = { ok: true, message: messageFromRow(existing), replayed: true };
      } else {
        repeats.push({ index: item.index, key }); // a repeat inside this batch
      }
    }

    const consent = await consentOf(
      trx,
      sandbox,
      toStore.map((p) => p.message.to),
    );
    for (const { message } of toStore) {
      const reason = consentBlock(
        consent.get(message.to) ?? 'unknown',
        message.messageType,
        policy,
        message.origin,
      );
      if (reason) {
        message.status = 'suppressed';
        message.statusReason = reason;
        delete message.policy; // consent decided, not the send-time policy
      }
    }
    const rows = await enqueueMessages(
      trx,
      this.deps.clock,
      toStore.map((p) => p.message),
    );
    await recordEvents(trx, this.deps.clock, heldEvents(rows));
    const byKey = new Map<string, Message>();
    rows.forEach((row, i) => {
      const item = toStore[i];
      if (!item) return;
      const message = messageFromRow(row);
      outcomes[item.index] = { ok: true, message, replayed: false };
      if (row.idempotency_key) byKey.set(row.idempotency_key, message);
    });
    for (const { index, key } of repeats) {
      const original = byKey.get(key);
      if (original) outcomes[index] = { ok: true, message: original, replayed: true };
    }
  }

  async get(
    sandbox: string,
    id: string,
  ): Promise<{
    message: Message;
    history: MessageEvent[];
    reports: { receivedAt: string; report: unknown }[];
  }> {
    const row = await findMessage(this.deps.db.kysely, sandbox, id);
    if (!row) throw new AppError('not_found', `No message ${id} in this sandbox.`);
    const [history, reports] = await Promise.all([
      messageHistory(this.deps.db.kysely, sandbox, id),
      this.deps.db.kysely
        .selectFrom('delivery_reports')
        .select(['raw', 'received_at'])
        .where('sandbox', '=', sandbox)
        .where('message_id', '=', id)
        .orderBy('id')
        .execute(),
    ]);
    return {
      message: messageFromRow(row),
      history,
      reports: reports.map((r) => ({
        receivedAt: r.received_at,
        report: JSON.parse(r.raw) as unknown,
      })),
    };
  }

  list(sandbox: string, query: MessageQuery): Promise<Page<Message>> {
    return listMessages(this.deps.db.kysely, sandbox, query);
  }

  /** The filtered log as CSV, page by page as it is read (message-export.ts). */
  exportCsv(sandbox: string, filters: MessageFilters, onPage?: (rows: number) => void) {
    return exportMessagesCsv(this.deps.db.kysely, sandbox, filters, onPage ? { onPage } : {});
  }
}

function refused(problems: ErrorDetail[]): SendOutcome {
  return { ok: false, code: 'validation_failed', message: 'The message is not valid.', problems };
}

/**
 * What makes two requests "the same message" for idempotency. The options added later
 * (validity, DLT ids) count only when given, so a key stored before them still matches.
 */
function requestHash(m: NewMessage, input: SendInput): string {
  const { channelConfigurationId, to, text, media, messageType, sendAt, callbackData } = m;
  const { validityPeriod, dltContentTemplateId, dltTelemarketerId } = input;
  return createHash('sha256')
    .update(
      JSON.stringify({
        channelConfigurationId,
        to,
        text,
        media,
        messageType,
        sendAt,
        callbackData,
        validityPeriod: validityPeriod && {
          amount: validityPeriod.amount,
          timeUnit: validityPeriod.timeUnit,
        },
        dltContentTemplateId: dltContentTemplateId ?? undefined,
        dltTelemarketerId: dltTelemarketerId ?? undefined,
      }),
    )
    .digest('hex');
}
