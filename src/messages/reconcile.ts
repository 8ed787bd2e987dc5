/**
 * Reconciliation of sends whose outcome Tern does not know: uncertain sends are looked up in the
 * provider's logs on a bounded schedule (see `uncertain.ts`) within the logs' own rate limit,
 * and a sweep pulls delivery reports that never reached the webhook and makes messages stuck in
 * `accepted` past their validity final. What can still be sent twice: docs/design.md.
 */
import type { Clock } from '../clock.js';
import type { StoredCredential } from '../credentials/credential.repository.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { ProviderClient } from '../providers/registry.js';
import { retryDelayMs } from './backoff.js';
import { applyDeliveryReports, type UnmatchedReportsBound } from './delivery-reports.js';
import type { LogsBudget } from './logs-budget.js';
import type { MessageStatus } from './message.js';
import type { MessageRow } from './message.repository.js';
import {
  acceptedPastValidity,
  finishAccepted,
  overdueReports,
  type Settlement,
  type SweptOutcome,
} from './queue.js';
import { isFinal } from './status.js';
import { judgeLookup, LOOKUP_SCHEDULE_MS, type LookupAnswer } from './uncertain.js';

type Channel = 'sms' | 'mms';

/** A settlement for one claimed message. */
export type Settled = { id: string; settlement: Settlement };

/** What the provider's logs hold for one message. */
export interface FoundLog {
  status: MessageStatus | null;
  providerStatus: unknown;
}

/**
 * One logs request's answer: what was found, throttled (429), refused for a scope the key lacks
 * (403: asking again will not help), or no answer.
 */
export type LogsAnswer =
  | { kind: 'ok'; found: Map<string, FoundLog> }
  | { kind: 'throttled'; retryAfterMs?: number; reason: string }
  | { kind: 'forbidden'; reason: string }
  | { kind: 'unavailable'; retryAfterMs?: number; reason: string };

/** Looks up ids that fit one logs request. */
export type LogsLookup = (channel: Channel, ids: readonly string[]) => Promise<LogsAnswer>;

/** A provider account as the reconciler uses it. */
export interface ReconcileTarget {
  lookup: LogsLookup;
  /** The ids in the groups one lookup request carries (the provider's `lookupChunks`). */
  lookupChunks: ProviderClient['lookupChunks'];
  /** Pulls at most `limit` undelivered reports (each returned once) as a report body. */
  pullReports?: ProviderClient['pullReports'];
  /** The logs bucket's key: one per API key. */
  budgetKey: string;
  stored: StoredCredential;
}

/**
 * A provider's lookup (the contract's `ProviderClient.lookup`) as a {@link LogsLookup}. A 429
 * is `throttled`; a 403 (`missing_scope`) is `forbidden`, naming the endpoint and the scopes
 * that would do; every other failure is `unavailable` with the reason naming what failed.
 */
export function providerLookup(provider: ProviderClient): LogsLookup {
  return async (channel, ids) => {
    const result = await provider.lookup(channel, ids);
    if (result.kind === 'ok') {
      const found = new Map<string, FoundLog>();
      for (const log of result.found)
        found.set(log.messageId, { status: log.status, providerStatus: log.providerStatus });
      return { kind: 'ok', found };
    }
    const f = result.failure;
    if (f.kind === 'missing_scope')
      return { kind: 'forbidden', reason: `missing_scope: ${f.reason}` };
    const reason = `${f.httpStatus !== undefined ? `HTTP ${f.httpStatus}: ` : ''}${f.reason}`;
    const base = {
      reason,
      ...(f.retryAfterMs !== undefined ? { retryAfterMs: f.retryAfterMs } : {}),
    };
    return f.kind === 'retry_later' && f.httpStatus === 429
      ? { kind: 'throttled', ...base }
      : { kind: 'unavailable', ...base };
  };
}

/**
 * Looks up, within the budget, every id it can: one request per 2,048-character chunk, one
 * token each. An id whose chunk got no token or no answer is `unavailable` (never "not found").
 */
export async function lookUpIds(
  budget: LogsBudget,
  target: Pick<ReconcileTarget, 'lookup' | 'lookupChunks' | 'budgetKey'>,
  channel: Channel,
  ids: readonly string[],
  now: number,
): Promise<Map<string, LookupAnswer & { log?: FoundLog }>> {
  const answers = new Map<string, LookupAnswer & { log?: FoundLog }>();
  for (const chunk of target.lookupChunks(ids)) {
    const unavailable = (retryAt: number, reason: string, throttled: boolean) => {
      for (const id of chunk) answers.set(id, { kind: 'unavailable', retryAt, reason, throttled });
    };
    if (!budget.take(target.budgetKey)) {
      unavailable(budget.nextAt(target.budgetKey), 'logs lookups throttled to 120 a minute', true);
      continue;
    }
    const answer = await target.lookup(channel, chunk);
    if (answer.kind === 'throttled') {
      budget.throttled(target.budgetKey, answer.retryAfterMs);
      unavailable(
        budget.nextAt(target.budgetKey),
        `the provider throttled logs (${answer.reason})`,
        true,
      );
    } else if (answer.kind === 'forbidden') {
      for (const id of chunk) answers.set(id, { kind: 'no_access', reason: answer.reason });
    } else if (answer.kind === 'unavailable') {
      unavailable(now + (answer.retryAfterMs ?? 0), answer.reason, false);
    } else {
      for (const id of chunk) {
        const log = answer.found.get(id);
        answers.set(id, log ? { kind: 'found', log } : { kind: 'not_found' });
      }
    }
  }
  return answers;
}

/**
 * Decides every uncertain row of a claimed batch: found in the logs (recorded as the logs say),
 * looked up again later (nothing sent), expired, or handed back to be sent again. Rows that are
 * not uncertain are handed back unchanged. A lookup the provider failed to answer counts as an
 * attempt and waits the send backoff (`backoff`, by the row's attempts): through an outage the
 * logs are asked with growing gaps, as a send would be, not every poll once the window is over.
 */
export async function reconcileUncertain(
  rows: MessageRow[],
  ctx: {
    now: number;
    budget: LogsBudget;
    target: Pick<ReconcileTarget, 'lookup' | 'lookupChunks' | 'budgetKey'>;
    /** The send backoff (TERN_RETRY_BASE_MS, TERN_RETRY_MAX_MS). */
    backoff: { baseMs: number; maxMs: number };
    schedule?: readonly number[];
  },
): Promise<{ settled: Settled[]; pending: MessageRow[] }> {
  const { now, budget, target, backoff } = ctx;
  const schedule = ctx.schedule ?? LOOKUP_SCHEDULE_MS;
  const settled: Settled[] = [];
  const decided = new Set<string>();
  for (const channel of ['sms', 'mms'] as const) {
    const uncertain = rows.filter((r) => r.uncertain === 1 && r.channel === channel);
    if (uncertain.length === 0) continue;
    const answers = await lookUpIds(
      budget,
      target,
      channel,
      uncertain.map((r) => r.id),
      now,
    );
    for (const row of uncertain) {
      const looked = answers.get(row.id) ?? { kind: 'not_found' as const };
      // A failed lookup (not a throttled one) is an attempt: it waits as a failed send would.
      const failedLookup = looked.kind === 'unavailable' && !looked.throttled;
      const answer = failedLookup
        ? {
            ...looked,
            retryAt: Math.max(looked.retryAt, now + retryDelayMs(row.attempts, backoff)),
          }
        : looked;
      // Rows from before `uncertain_since` existed start their window at this claim.
      const since = row.uncertain_since !== null ? Date.parse(row.uncertain_since) : now;
      const validUntil = Date.parse(row.valid_until);
      const verdict = judgeLookup(answer, { now, since, validUntil }, schedule);
      if (verdict.kind === 'resend') continue;
      decided.add(row.id);
      if (verdict.kind === 'found') {
        const log = answer.kind === 'found' ? answer.log : undefined;
        const status = log?.status ?? null;
        settled.push(
          status && isFinal(status)
            ? {
                id: row.id,
                settlement: {
                  kind: 'final',
                  status: status as 'delivered',
                  reason: 'found in the provider logs',
                  providerStatus: log?.providerStatus,
                },
              }
            : { id: row.id, settlement: { kind: 'accepted', providerStatus: log?.providerStatus } },
        );
      } else if (verdict.kind === 'expire') {
        settled.push({
          id: row.id,
          settlement: { kind: 'final', status: 'expired', reason: verdict.reason },
        });
      } else {
        settled.push({
          id: row.id,
          settlement: {
            kind: 'retry',
            at: new Date(verdict.at).toISOString(),
            reason: verdict.reason,
            uncertain: true,
            uncertainSince: new Date(since).toISOString(),
            // Not found yet, or held back by the logs' bucket or a 429: not an attempt.
            lookupOnly: !failedLookup,
          },
        });
      }
    }
  }
  return { settled, pending: rows.filter((r) => !decided.has(r.id)) };
}

export interface SweepOptions {
  /** A message `accepted` this long without a final report has its reports pulled. Guess: 10 min. */
  reportsOverdueMs: number;
  /** How long past its validity a message may stay `accepted` before the sweep ends it. */
  validityMarginMs: number;
  /** Pull calls per credential and channel per sweep (1,000 reports each). */
  maxPullsPerSweep: number;
  /** Messages looked at per sweep. */
  batch: number;
}

export const DEFAULT_SWEEP_OPTIONS: SweepOptions = {
  reportsOverdueMs: 10 * 60_000,
  // Guess: Infobip sends EXPIRED itself at the end of the validity; 15 min lets that report come.
  validityMarginMs: 15 * 60_000,
  maxPullsPerSweep: 5,
  batch: 1_000,
};

/** What one sweep did. */
export interface SweepOutcome {
  pulled: number;
  applied: number;
  finished: number;
}

/**
 * The sweep: pulls reports for credentials with overdue ones (the fallback for reports lost on
 * the way to the webhook), then gives messages still `accepted` past their validity plus a
 * margin a last logs lookup and a final status: the one the logs show if final, else `expired`
 * (Tern's status for "no final outcome within the validity period", as Infobip's EXPIRED group).
 */
export class Reconciler {
  readonly options: SweepOptions;

  constructor(
    private readonly deps: {
      db: Db;
      clock: Clock;
      logger: Logger;
      budget: LogsBudget;
      unmatched: UnmatchedReportsBound;
      targetFor: (sandbox: string, credentialId: string) => Promise<ReconcileTarget | undefined>;
    },
    options: Partial<SweepOptions> = {},
  ) {
    this.options = { ...DEFAULT_SWEEP_OPTIONS, ...options };
  }

  async sweep(): Promise<SweepOutcome> {
    const outcome: SweepOutcome = { pulled: 0, applied: 0, finished: 0 };
    await this.pullOverdue(outcome);
    await this.finishStuck(outcome);
    return outcome;
  }

  private async pullOverdue(outcome: SweepOutcome): Promise<void> {
    const { db, clock, logger } = this.deps;
    const now = clock.now().getTime();
    const overdue = await overdueReports(db.kysely, {
      acceptedBefore: new Date(now - this.options.reportsOverdueMs).toISOString(),
      limit: 100,
    });
    for (const { sandbox, credentialId, channel } of overdue) {
      const target = await this.deps.targetFor(sandbox, credentialId);
      if (!target?.pullReports || (channel !== 'sms' && channel !== 'mms')) continue;
      for (let i = 0; i < this.options.maxPullsPerSweep; i++) {
        const pulled = await target.pullReports(channel, 1000);
        if (pulled.kind !== 'ok') {
          logger.warn({ credentialId, channel, reason: pulled.reason }, 'report pull failed');
          break;
        }
        if (pulled.body.results.length === 0) break;
        outcome.pulled += pulled.body.results.length;
        try {
          const applied = await applyDeliveryReports(db, clock, target.stored, pulled.body, {
            unmatched: this.deps.unmatched,
            log: logger,
          });
          outcome.applied += applied.applied;
        } catch (error) {
          // A body the parser refuses is lost for Tern either way; keep the sweep going.
          logger.warn({ err: error, credentialId, channel }, 'pulled reports not applied');
        }
        if (pulled.body.results.length < 1000) break;
      }
    }
  }

  private async finishStuck(outcome: SweepOutcome): Promise<void> {
    const { db, clock, budget } = this.deps;
    const now = clock.now().getTime();
    const stuck = await acceptedPastValidity(db.kysely, {
      validBefore: new Date(now - this.options.validityMarginMs).toISOString(),
      limit: this.options.batch,
    });
    const groups = new Map<string, typeof stuck>();
    for (const m of stuck) {
      const key = JSON.stringify([m.sandbox, m.credentialId, m.channel]);
      groups.set(key, [...(groups.get(key) ?? []), m]);
    }
    for (const messages of groups.values()) {
      const first = messages[0]!;
      const channel = first.channel === 'mms' ? 'mms' : 'sms';
      const target = await this.deps.targetFor(first.sandbox, first.credentialId);
      const answers = target
        ? await lookUpIds(
            budget,
            target,
            channel,
            messages.map((m) => m.id),
            now,
          )
        : new Map<string, LookupAnswer & { log?: FoundLog }>();
      const finals: SweptOutcome[] = [];
      for (const m of messages) {
        const answer = answers.get(m.id);
        // Without a credential there is nobody to ask; with one, an unanswered lookup waits.
        if (target && (!answer || answer.kind === 'unavailable')) continue;
        const status = answer?.kind === 'found' ? answer.log?.status : undefined;
        const providerStatus = answer?.kind === 'found' ? answer.log?.providerStatus : undefined;
        const margin = `${this.options.validityMarginMs / 60_000} min`;
        finals.push(
          status === 'delivered' || status === 'undeliverable' || status === 'rejected'
            ? {
                id: m.id,
                status,
                reason: 'found in the provider logs after its validity',
                providerStatus,
              }
            : {
                id: m.id,
                status: 'expired',
                reason:
                  status === 'expired'
                    ? 'found expired in the provider logs'
                    : answer?.kind === 'no_access'
                      ? `no final delivery report ${margin} after the validity period; the provider logs cannot be read (${answer.reason})`
                      : answer?.kind === 'found'
                        ? `no final delivery report ${margin} after the validity period; the provider logs still show it pending`
                        : `no final delivery report ${margin} after the validity period, and not in the provider logs (kept 48 h)`,
                ...(providerStatus !== undefined ? { providerStatus } : {}),
              },
        );
      }
      if (finals.length === 0) continue;
      outcome.finished += await db.kysely
        .transaction()
        .execute((trx) => finishAccepted(trx, clock, first.sandbox, finals));
    }
  }
}
