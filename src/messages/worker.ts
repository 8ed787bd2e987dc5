import { createHash, randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { Clock } from '../clock.js';
import type { Credential } from '../credentials/credential.js';
import {
  findCredential,
  markProviderAuthFailed,
  type StoredCredential,
} from '../credentials/credential.repository.js';
import type { CredentialService } from '../credentials/credential.service.js';
import { recordProviderOutcome } from '../credentials/credential-health.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { createGuardedDispatcher } from '../net/guarded-dispatcher.js';
import { consentOf } from '../profiles/consent.js';
import {
  providerClient,
  providerLimits,
  type Channel,
  type OutboundMessage,
  type ProviderAccount,
  type ProviderClient,
  type ProviderLimits,
  type SendBatchResult,
} from '../providers/registry.js';
import type { SandboxService } from '../sandboxes/sandboxes.js';
import { consentBlock } from './consent-gate.js';
import {
  batchFailures,
  final,
  judgeSendBatch,
  type JudgeContext,
  type Settled,
} from './send-batch.js';
import { chooseDlt } from './india-dlt.js';
import type { MessageOrigin } from './message.js';
import type { MessageRow } from './message.repository.js';
import { campaignHolds } from './campaign-hold.js';
import { recordEvents, type NewEvent } from '../events/events.js';
import type { MessageType } from '../channels/channel.js';
import { ChunkPolicy, type ChunkPolicySource } from './batch-policy.js';
import { policyApplies, policyDropReason, profileAttributes, releaseAt } from './send-policy.js';
import { claimMessages, dueCredentials, settleMessages } from './queue.js';
import { RateLimiter } from './rate-limiter.js';
import { remainingValiditySeconds } from './validity.js';
import { PollLoop } from '../poll-loop.js';
import { LogsBudget } from './logs-budget.js';
import { LOOKUP_SCHEDULE_MS } from './uncertain.js';
import { providerLookup, reconcileUncertain, Reconciler, type SweepOptions } from './reconcile.js';

export interface WorkerOptions {
  /** Messages per provider request, at most the provider's `limits.maxBatchSize`. */
  batchSize: number;
  /** How long a claim holds; longer than the slowest provider call (15 s headers + 15 s body). */
  leaseMs: number;
  /** Sleep between polls when there is nothing to do. */
  pollMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Provider requests in flight at once, across credentials. */
  maxInFlight: number;
  allowLoopbackProvider: boolean;
  /** The reconciliation sweep (overdue reports pulled, stuck `accepted` ended); see reconcile.ts. */
  sweep: Partial<SweepOptions>;
  /** Reports for unknown ids kept per credential when pulled (as for the webhook). */
  unmatchedReportsPerCredential: number;
  /** When an uncertain send is looked up, from `uncertain_since`; resent only after the last. */
  lookupScheduleMs: readonly number[];
}

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  batchSize: 500,
  leaseMs: 60_000,
  pollMs: 100,
  retryBaseMs: 2_000,
  retryMaxMs: 10 * 60_000,
  maxInFlight: 8,
  allowLoopbackProvider: false,
  sweep: {},
  unmatchedReportsPerCredential: 10_000,
  lookupScheduleMs: LOOKUP_SCHEDULE_MS,
};

/** How often the reconciliation sweep runs (by the worker's clock). */
const SWEEP_EVERY_MS = 60_000;

/** What the worker records in `/metrics` (a worker thread forwards it to the main thread). */
export type WorkerMetrics = Pick<Metrics, 'providerRequest'>;

export interface WorkerDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  credentials: CredentialService;
  sandboxes: SandboxService;
  publicUrl: string;
  /** Builds the provider client for a credential (tests may point it elsewhere). */
  providerClientFor?: (account: ProviderAccount) => ProviderClient;
  /** Provider request counts and latency (optional: tests may leave it out). */
  metrics?: WorkerMetrics;
  /** Time-based upkeep run about once a minute (e.g. expiring double opt-ins). */
  housekeeping?: () => Promise<unknown>;
  /**
   * The send-time policy, whose windows are judged again right before a marketing send (a
   * backlog or a retry may reach a message after its window closed); absent: not judged.
   */
  policy?: ChunkPolicySource;
}

const HOUSEKEEPING_EVERY_MS = 60_000;

/**
 * The send worker: claims due messages per credential under a lease, within the credential's
 * rate, sends each batch in one provider request, and settles every message. Several run side
 * by side on PostgreSQL (SKIP LOCKED claims); a crashed worker's lease runs out and its
 * messages are claimed again as "uncertain", which makes the next worker look them up in the
 * provider's logs before resending. `stop()` finishes the provider calls in flight and leaves
 * everything else queued.
 */
export class SendWorker {
  readonly owner = `worker-${randomUUID()}`;
  private readonly options: WorkerOptions;
  private readonly limiter = new RateLimiter();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly busyCredentials = new Set<string>();
  private readonly clients = new Map<
    string,
    {
      version: number;
      provider: ProviderClient;
      notifyUrl: string;
      budgetKey: string;
    }
  >();
  /** Logs lookups' own rate limit, per API key (120 a minute, see logs-budget.ts). */
  private readonly logsBudget: LogsBudget;
  readonly reconciler: Reconciler;
  private nextSweep = 0;
  private readonly dispatcher: Dispatcher;
  private readonly loop: PollLoop;
  private nextHousekeeping = 0;

  constructor(
    private readonly deps: WorkerDeps,
    options: Partial<WorkerOptions> = {},
  ) {
    this.options = { ...DEFAULT_WORKER_OPTIONS, ...options };
    this.logsBudget = new LogsBudget(() => this.deps.clock.now().getTime());
    this.reconciler = new Reconciler(
      {
        db: deps.db,
        clock: deps.clock,
        logger: deps.logger,
        budget: this.logsBudget,
        unmatched: { maxPerCredential: this.options.unmatchedReportsPerCredential },
        targetFor: (sandbox, credentialId) => this.reconcileTarget(sandbox, credentialId),
      },
      this.options.sweep,
    );
    this.loop = new PollLoop(
      () => this.step(),
      // The database may be down for a while: keep the process, try again after a pause.
      (error) => this.deps.logger.error({ err: error }, 'send worker: claiming failed'),
      this.options.pollMs,
    );
    this.dispatcher = createGuardedDispatcher({
      allowLoopback: this.options.allowLoopbackProvider,
      connectTimeoutMs: 5_000,
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Stops claiming, waits for the provider calls in flight to finish and be recorded. */
  async stop(): Promise<void> {
    this.stopping = this.loop.isRunning;
    await this.loop.stop();
    await Promise.allSettled([...this.inFlight]);
    await this.dispatcher.close();
  }

  /** One step of the loop: upkeep, then claim what is due; returns how long to sleep. */
  private async step(): Promise<number> {
    await this.housekeep();
    if (this.deps.clock.now().getTime() >= this.nextSweep) await this.sweep();
    const started = await this.dispatchDue();
    if (started === 0) return this.options.pollMs;
    return this.inFlight.size >= this.options.maxInFlight ? 5 : 0;
  }

  private async housekeep(): Promise<void> {
    const now = Date.now();
    if (!this.deps.housekeeping || now < this.nextHousekeeping) return;
    this.nextHousekeeping = now + HOUSEKEEPING_EVERY_MS;
    await this.deps.housekeeping();
  }

  /** True once `stop()` was called on a started worker (a hand-driven one never stops). */
  private stopping = false;

  /** Claims and starts batches while slots and rate allow; returns how many batches started. */
  async dispatchDue(): Promise<number> {
    const now = this.deps.clock.now().toISOString();
    let started = 0;
    for (const { sandbox, credentialId } of await dueCredentials(this.deps.db.kysely, now, 100)) {
      if (this.stopping) break;
      if (this.inFlight.size >= this.options.maxInFlight) break;
      if (this.busyCredentials.has(credentialId)) continue;
      const stored = await findCredential(this.deps.db.kysely, sandbox, credentialId);
      const batch = this.batchLimit(stored);
      const rate = stored?.credential.sendRatePerSecond ?? batch;
      const granted = this.limiter.take(credentialId, rate, batch);
      if (granted === 0) continue;
      const rows = await claimMessages(this.deps.db.kysely, this.deps.db.capabilities, {
        sandbox,
        credentialId,
        now,
        limit: granted,
        owner: this.owner,
        leaseMs: this.options.leaseMs,
      });
      this.limiter.refund(credentialId, granted - rows.length);
      if (rows.length === 0) continue;
      started += 1;
      this.busyCredentials.add(credentialId);
      const work = this.processBatch(sandbox, stored, rows)
        .catch((error: unknown) => {
          // The lease runs out and the messages are claimed again (as uncertain): nothing is lost.
          this.deps.logger.error(
            { err: error, credentialId, count: rows.length },
            'send worker: batch failed',
          );
        })
        .finally(() => {
          this.busyCredentials.delete(credentialId);
          this.inFlight.delete(work);
          this.loop.wake(); // a slot is free: look for more work at once
        });
      this.inFlight.add(work);
    }
    return started;
  }

  /**
   * Messages one claim (one provider request per channel) may carry: the worker's batch size
   * (TERN_SEND_BATCH_SIZE), capped by the provider's `limits.maxBatchSize`. A key that cannot be
   * decrypted takes the provider's published limits here and fails in `processBatch`, as before.
   */
  private batchLimit(stored: StoredCredential | undefined): number {
    if (!stored) return this.options.batchSize;
    let limits: ProviderLimits;
    try {
      limits = this.providerFor(stored).provider.limits;
    } catch {
      limits = providerLimits(stored.credential.provider);
    }
    return Math.max(1, Math.min(this.options.batchSize, limits.maxBatchSize));
  }

  /** Waits until every claimed batch has been settled (tests and `runUntilIdle`). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async processBatch(
    sandbox: string,
    stored: StoredCredential | undefined,
    rows: MessageRow[],
  ): Promise<void> {
    const settled: Settled[] = [];
    const now = this.deps.clock.now();
    if (!stored) {
      for (const row of rows)
        settled.push(final(row.id, 'failed', 'the API credential was deleted'));
      await this.settle(sandbox, rows[0]?.credential_id ?? '', settled);
      return;
    }

    const credential = stored.credential;
    const { provider, notifyUrl } = this.providerFor(stored);
    // A message that may already be at the provider is looked up first: one the provider has
    // was sent, whatever its consent or validity say now (judging it first recorded sent
    // messages as suppressed or expired, and their delivery reports were then ignored).
    // Each channel has its own logs (an MMS is not in /sms/3/logs): one lookup per channel.
    const reconciled = await reconcileUncertain(rows, {
      now: now.getTime(),
      budget: this.logsBudget,
      target: {
        lookup: providerLookup(provider),
        lookupChunks: (ids) => provider.lookupChunks(ids),
        budgetKey: this.providerFor(stored).budgetKey,
      },
      backoff: { baseMs: this.options.retryBaseMs, maxMs: this.options.retryMaxMs },
      schedule: this.options.lookupScheduleMs,
    });
    settled.push(...reconciled.settled);
    // A paused or cancelled campaign's message is not sent (found after the lookups: one the
    // provider already has was sent, whatever its campaign says now).
    const holds = await campaignHolds(this.deps.db.kysely, sandbox, reconciled.pending);
    settled.push(...holds.held);
    const pending = holds.sendable;
    // A message the send-time policy held, taken for the first time since: released now. Its
    // consent and validity are judged below like any other's (an opt-out during the hold wins).
    const released = pending.filter(
      (r) => r.held_until !== null && r.attempts === 1 && r.uncertain === 0,
    );

    // Consent again, right before sending: an opt-out may have arrived while the message waited.
    const [consent, policy] = await Promise.all([
      consentOf(
        this.deps.db.kysely,
        sandbox,
        pending.map((r) => r.to_number),
      ),
      this.deps.sandboxes.consentPolicy(sandbox),
    ]);
    const sendable: MessageRow[] = [];
    for (const row of pending) {
      const block = consentBlock(
        consent.get(row.to_number) ?? 'unknown',
        row.message_type as 'marketing',
        policy,
        row.origin as MessageOrigin,
      );
      if (remainingValiditySeconds(Date.parse(row.valid_until), now.getTime()) === null) {
        settled.push(
          final(
            row.id,
            'expired',
            'the validity period ended before the provider accepted the message',
          ),
        );
      } else if (block) {
        settled.push(final(row.id, 'suppressed', block));
      } else {
        sendable.push(row);
      }
    }

    const windows = await this.windowHolds(sandbox, sendable, now);
    settled.push(...windows.held);
    if (windows.sendable.length > 0)
      settled.push(
        ...(await this.send(sandbox, credential, provider, notifyUrl, windows.sendable)),
      );
    await this.settle(sandbox, credential.id, settled, released);
  }

  /**
   * The send-time windows again, right before sending: a marketing message whose recipient's
   * window closed while it waited (a backlog at 20:59, a retry after the provider's 429) is held
   * until the next opening (jittered as at accept), or dropped if that is past its validity.
   * Caps are not judged again: the message itself is among the sends they count.
   */
  private async windowHolds(
    sandbox: string,
    rows: MessageRow[],
    now: Date,
  ): Promise<{ held: Settled[]; sendable: MessageRow[] }> {
    const source = this.deps.policy;
    const judged = source
      ? rows.filter((r) => policyApplies(r.message_type as MessageType, r.origin as MessageOrigin))
      : [];
    if (!source || judged.length === 0) return { held: [], sendable: rows };
    const phones = judged.map((r) => r.to_number);
    const [attributes, policy] = await Promise.all([
      profileAttributes(this.deps.db.kysely, sandbox, phones),
      ChunkPolicy.load(windowsOnly(source), sandbox, null, phones, now),
    ]);
    const held: Settled[] = [];
    const stopped = new Set<string>();
    for (const row of judged) {
      const decision = policy.decide(
        row.to_number,
        attributes.get(row.to_number) ?? {},
        now,
        row.valid_until,
        row.origin,
      );
      if (decision.action === 'send') continue;
      stopped.add(row.id);
      held.push(
        decision.action === 'hold'
          ? {
              id: row.id,
              settlement: {
                kind: 'retry',
                at: releaseAt(decision.until, row.valid_until, row.to_number),
                reason: `held by send-time rule ${decision.rule} until its window opens`,
                uncertain: false,
                lookupOnly: true,
              },
            }
          : final(row.id, 'suppressed', policyDropReason(decision.reason, decision.rule)),
      );
    }
    return { held, sendable: rows.filter((r) => !stopped.has(r.id)) };
  }

  private async send(
    sandbox: string,
    credential: Credential,
    provider: ProviderClient,
    notifyUrl: string,
    rows: MessageRow[],
  ): Promise<Settled[]> {
    const now = this.deps.clock.now().getTime();
    const settled: Settled[] = [];
    // What is left of the validity period, to the second and never past validUntil: a retry of a
    // 5-minute code asks for the minutes left (whole hours sent it on after Tern expired it).
    const left = new Map<string, number>();
    for (const row of rows) {
      const seconds = remainingValiditySeconds(Date.parse(row.valid_until), now);
      if (seconds === null)
        settled.push(
          final(row.id, 'expired', 'the validity period ended before the message was sent'),
        );
      else left.set(row.id, seconds);
    }
    // The message's template (or its channel configuration's), else the credential's.
    const dlt = (row: MessageRow) => {
      const principalEntityId = credential.dltPrincipalEntityId;
      if (!principalEntityId) return {};
      const chosen = chooseDlt(
        {
          dltContentTemplateId: row.dlt_content_template_id,
          dltTelemarketerId: row.dlt_telemarketer_id,
        },
        credential,
      );
      return {
        indiaDlt: {
          principalEntityId,
          ...(chosen.dltContentTemplateId
            ? { contentTemplateId: chosen.dltContentTemplateId }
            : {}),
          ...(chosen.dltTelemarketerId ? { telemarketerId: chosen.dltTelemarketerId } : {}),
        },
      };
    };
    const outbound = (row: MessageRow): OutboundMessage => ({
      messageId: row.id,
      to: row.to_number,
      // Optional for MMS (the account's default sender then).
      ...(row.sender !== '' ? { sender: row.sender } : {}),
      ...(row.text !== null ? { text: row.text } : {}),
      // Whole seconds as ms: the adapter rounds down again, so nothing is lost or added.
      ...(left.has(row.id) ? { validityMs: (left.get(row.id) ?? 0) * 1000 } : {}),
      ...(row.callback_data !== null ? { callbackData: row.callback_data } : {}),
      notifyUrl,
      ...(row.channel === 'mms'
        ? {
            media: row.media
              ? (JSON.parse(row.media) as { url: string; contentType?: string }[])
              : [],
          }
        : dlt(row)),
    });
    for (const channel of ['sms', 'mms'] as const) {
      const batch = rows.filter((r) => r.channel === channel && left.has(r.id));
      if (batch.length === 0) continue;
      const result = await provider.sendBatch(channel, batch.map(outbound));
      settled.push(...(await this.outcome(sandbox, credential, channel, batch, result)));
    }
    return settled;
  }

  /** Settles each message of a sent batch from the provider's answer (see the contract). */
  private async outcome(
    sandbox: string,
    credential: Credential,
    channel: Channel,
    rows: MessageRow[],
    result: SendBatchResult,
  ): Promise<Settled[]> {
    // One line per provider request, with the ids it carried (a batch is one line, not 500).
    for (const request of result.requests) {
      this.deps.metrics?.providerRequest(request.outcome, request.latencyMs / 1000);
      const line = {
        credentialId: credential.id,
        sandbox,
        channel,
        outcome: request.outcome,
        httpStatus: request.httpStatus,
        latencyMs: request.latencyMs,
        count: request.messageIds.length,
        messageIds: request.messageIds,
      };
      if (request.outcome === 'ok') this.deps.logger.info(line, 'provider send');
      else this.deps.logger.warn({ ...line, error: request.reason }, 'provider send failed');
    }
    // Health hears the request that decided the batch (the resend, after a 400 naming items).
    const { failures, decisive } = batchFailures(result);
    await recordProviderOutcome(
      this.deps,
      sandbox,
      credential,
      decisive
        ? {
            kind: decisive.kind,
            ...(decisive.unreachable !== undefined ? { reason: decisive.unreachable } : {}),
            ...(decisive.httpStatus !== undefined ? { httpStatus: decisive.httpStatus } : {}),
            message: decisive.reason,
          }
        : { kind: 'ok' },
      rows.filter((r) => result.outcomes.get(r.id)?.kind === 'failed'),
    );
    if (failures.some((f) => f.kind === 'auth_failed')) {
      // Only a 401 says the key itself is refused; a 403 is a missing scope (issue 13 item 2).
      await markProviderAuthFailed(
        this.deps.db.kysely,
        sandbox,
        credential.id,
        this.deps.clock.now().toISOString(),
      );
      this.deps.logger.warn({ credentialId: credential.id }, 'provider refused the API key');
    }
    const scope = failures.find((f) => f.kind === 'missing_scope');
    if (scope) {
      this.deps.logger.warn(
        { credentialId: credential.id, channel, endpoint: scope.endpoint, scopes: scope.scopes },
        'provider API key lacks a scope',
      );
    }
    return judgeSendBatch(rows, result, this.judgeContext());
  }

  private judgeContext(): JudgeContext {
    return {
      now: this.deps.clock.now().getTime(),
      retryBaseMs: this.options.retryBaseMs,
      retryMaxMs: this.options.retryMaxMs,
    };
  }

  /** One reconciliation sweep now (the loop runs one a minute); tests drive it by hand. */
  async sweep(): Promise<void> {
    this.nextSweep = this.deps.clock.now().getTime() + SWEEP_EVERY_MS;
    try {
      await this.reconciler.sweep();
    } catch (error) {
      this.deps.logger.error({ err: error }, 'send worker: reconciliation sweep failed');
    }
  }

  private async reconcileTarget(sandbox: string, credentialId: string) {
    const stored = await findCredential(this.deps.db.kysely, sandbox, credentialId);
    if (!stored) return undefined;
    const { provider, budgetKey } = this.providerFor(stored);
    return {
      lookup: providerLookup(provider),
      lookupChunks: (ids: readonly string[]) => provider.lookupChunks(ids),
      pullReports: (channel: Channel, limit: number) => provider.pullReports(channel, limit),
      budgetKey,
      stored,
    };
  }

  private async settle(
    sandbox: string,
    credentialId: string,
    settled: Settled[],
    released: MessageRow[] = [],
  ): Promise<void> {
    if (settled.length === 0) return;
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      await settleMessages(trx, this.deps.clock, this.owner, sandbox, settled);
      await recordEvents(trx, this.deps.clock, releasedEvents(released));
    });
    // Per message at debug (at info a busy worker would write a line per message). The status
    // is what this worker recorded, unless a delivery report overtook it (the update then skips).
    for (const { id, settlement } of settled) {
      this.deps.logger.debug(
        {
          messageId: id,
          credentialId,
          sandbox,
          status:
            settlement.kind === 'final'
              ? settlement.status
              : settlement.kind === 'retry'
                ? 'queued'
                : settlement.kind === 'hold'
                  ? 'paused'
                  : 'accepted',
          ...(settlement.kind === 'accepted' ? {} : { reason: settlement.reason }),
          ...(settlement.kind === 'retry' ? { retryAt: settlement.at } : {}),
        },
        'message settled',
      );
    }
  }

  /**
   * The provider client and report URL of a credential, made once per credential version: the
   * key and the webhook secret are decrypted once, not for every batch.
   */
  private providerFor(stored: StoredCredential): {
    provider: ProviderClient;
    notifyUrl: string;
    budgetKey: string;
  } {
    const { credential } = stored;
    const cached = this.clients.get(credential.id);
    if (cached && cached.version === credential.version) return cached;
    const apiKey = this.deps.credentials.apiKey(stored);
    const secrets = this.deps.credentials.webhookSecrets(stored);
    const account = { baseUrl: credential.baseUrl, apiKey, dispatcher: this.dispatcher };
    const entry = {
      version: credential.version,
      provider: (this.deps.providerClientFor ?? ((a) => providerClient(credential.provider, a)))(
        account,
      ),
      notifyUrl: `${this.deps.publicUrl}/webhooks/infobip/${credential.id}/reports/${secrets.reports}`,
      budgetKey: createHash('sha256').update(`${credential.baseUrl} ${apiKey}`).digest('hex'),
    };
    this.clients.set(credential.id, entry);
    return entry;
  }
}

/** `message.released` for held messages the worker took after their hold. */
function releasedEvents(rows: MessageRow[]): NewEvent[] {
  return rows.map((r) => ({
    sandbox: r.sandbox,
    type: 'message.released' as const,
    payload: {
      messageId: r.id,
      to: r.to_number,
      heldUntil: r.held_until,
      rule: r.policy_rule,
      campaignId: r.campaign_id,
      callbackData: r.callback_data,
    },
  }));
}

/** The policy's windows alone: a claimed message is among the sends its caps count. */
function windowsOnly(source: ChunkPolicySource): ChunkPolicySource {
  return {
    rulesFor: async (sandbox) => {
      const { rules, defaultTimeZone } = await source.rulesFor(sandbox);
      return { rules: rules.filter((r) => r.kind === 'window'), defaultTimeZone };
    },
    recentSendsFor: () => Promise.resolve(new Map()),
  };
}
