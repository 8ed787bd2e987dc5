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
  createInfobipClient,
  type FailureResult,
  type InfobipApi,
  type SentMessage,
} from '../providers/infobip/client.js';
import { isFinal } from './status.js';
import type { SandboxService } from '../sandboxes/sandboxes.js';
import { retryDelayMs } from './backoff.js';
import { consentBlock } from './consent-gate.js';
import type { MessageOrigin } from './message.js';
import type { MessageRow } from './message.repository.js';
import { claimMessages, dueCredentials, settleMessages, type Settlement } from './queue.js';
import { RateLimiter } from './rate-limiter.js';
import { PollLoop } from '../poll-loop.js';
import {
  createReportsPuller,
  isDuplicateMessageId,
  type ReportsPuller,
} from '../providers/infobip/reports-pull.js';
import { LogsBudget } from './logs-budget.js';
import { infobipLookup, reconcileUncertain, Reconciler, type SweepOptions } from './reconcile.js';

export interface WorkerOptions {
  /** Messages per provider request. */
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
};

/** How often the reconciliation sweep runs (by the worker's clock). */
const SWEEP_EVERY_MS = 60_000;

export interface WorkerDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  credentials: CredentialService;
  sandboxes: SandboxService;
  publicUrl: string;
  /** Builds the provider client for a credential (tests may point it elsewhere). */
  clientFor?: (baseUrl: string, apiKey: string, dispatcher: Dispatcher) => InfobipApi;
  /** Provider request counts and latency (optional: tests may leave it out). */
  metrics?: Metrics;
  /** Time-based upkeep run about once a minute (e.g. expiring double opt-ins). */
  housekeeping?: () => Promise<unknown>;
}

const HOUSEKEEPING_EVERY_MS = 60_000;

type Settled = { id: string; settlement: Settlement };

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
      client: InfobipApi;
      notifyUrl: string;
      budgetKey: string;
      pullReports: ReportsPuller;
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
      const rate = stored?.credential.sendRatePerSecond ?? this.options.batchSize;
      const granted = this.limiter.take(credentialId, rate, this.options.batchSize);
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
    const { client, notifyUrl } = this.providerFor(stored);
    // A message that may already be at the provider is looked up first: one the provider has
    // was sent, whatever its consent or validity say now (judging it first recorded sent
    // messages as suppressed or expired, and their delivery reports were then ignored).
    // Each channel has its own logs (an MMS is not in /sms/3/logs): one lookup per channel.
    const reconciled = await reconcileUncertain(rows, {
      now: now.getTime(),
      budget: this.logsBudget,
      target: { lookup: infobipLookup(client), budgetKey: this.providerFor(stored).budgetKey },
    });
    settled.push(...reconciled.settled);
    const pending = reconciled.pending;

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
      if (Date.parse(row.valid_until) <= now.getTime()) {
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

    if (sendable.length > 0)
      settled.push(...(await this.send(sandbox, credential, client, notifyUrl, sendable)));
    await this.settle(sandbox, credential.id, settled);
  }

  private async send(
    sandbox: string,
    credential: Credential,
    client: InfobipApi,
    notifyUrl: string,
    rows: MessageRow[],
  ): Promise<Settled[]> {
    const now = this.deps.clock.now().getTime();
    const common = (row: MessageRow) => ({
      messageId: row.id,
      to: row.to_number,
      sender: row.sender,
      // What is left of the validity period, in Infobip's whole hours (at least 1).
      validityHours: Math.min(
        48,
        Math.max(1, Math.ceil((Date.parse(row.valid_until) - now) / 3_600_000)),
      ),
      ...(row.callback_data !== null ? { callbackData: row.callback_data } : {}),
      notifyUrl,
    });
    const sms = rows.filter((r) => r.channel === 'sms');
    const mms = rows.filter((r) => r.channel === 'mms');
    const settled: Settled[] = [];
    if (sms.length > 0) {
      const dlt = credential.dltPrincipalEntityId
        ? {
            indiaDlt: {
              principalEntityId: credential.dltPrincipalEntityId,
              ...(credential.dltContentTemplateId
                ? { contentTemplateId: credential.dltContentTemplateId }
                : {}),
            },
          }
        : {};
      const result = await client.sendSms(
        sms.map((row) => ({ ...common(row), text: row.text ?? '', ...dlt })),
      );
      settled.push(...(await this.outcome(sandbox, credential, sms, result)));
    }
    if (mms.length > 0) {
      const result = await client.sendMms(
        mms.map((row) => ({
          ...common(row),
          ...(row.text !== null ? { text: row.text } : {}),
          media: row.media
            ? (JSON.parse(row.media) as { url: string; contentType?: string }[])
            : [],
        })),
      );
      settled.push(...(await this.outcome(sandbox, credential, mms, result)));
    }
    return settled;
  }

  private async outcome(
    sandbox: string,
    credential: Credential,
    rows: MessageRow[],
    result: Awaited<ReturnType<InfobipApi['sendSms']>>,
  ): Promise<Settled[]> {
    this.deps.metrics?.providerRequest(result.kind, result.latencyMs / 1000);
    await recordProviderOutcome(this.deps, sandbox, credential, result, rows.map((r) => r.id));
    // One line per provider request, with the ids it carried (a batch is one line, not 500).
    const line = {
      credentialId: credential.id,
      sandbox,
      outcome: result.kind,
      httpStatus: 'httpStatus' in result ? result.httpStatus : undefined,
      latencyMs: result.latencyMs,
      count: rows.length,
      messageIds: rows.map((r) => r.id),
    };
    if (result.kind === 'ok') this.deps.logger.info(line, 'provider send');
    else this.deps.logger.warn({ ...line, error: result.message }, 'provider send failed');
    if (result.kind === 'ok') {
      const byId = new Map<string, SentMessage>(result.messages.map((m) => [m.messageId, m]));
      return rows.map((row) => {
        const sent = byId.get(row.id);
        if (!sent)
          return this.retry(
            row,
            {
              kind: 'network',
              reason: 'invalid_response',
              message: 'the provider did not answer for this message',
              maybeAccepted: true,
              latencyMs: 0,
            },
            true,
          );
        // Status 23 to a resend: the first copy exists; its report (or the sweep) ends it.
        if (isDuplicateMessageId(sent.status))
          return { id: row.id, settlement: { kind: 'accepted', providerStatus: sent.status } };
        if (sent.ternStatus === 'rejected') {
          return final(
            row.id,
            'rejected',
            `${sent.status.name}: ${sent.status.description ?? ''}`.trim(),
            sent.status,
          );
        }
        return { id: row.id, settlement: { kind: 'accepted', providerStatus: sent.status } };
      });
    }
    if (result.kind === 'rejected') {
      if (result.httpStatus === 401 || result.httpStatus === 403) {
        await markProviderAuthFailed(
          this.deps.db.kysely,
          sandbox,
          credential.id,
          this.deps.clock.now().toISOString(),
        );
        this.deps.logger.warn(
          { credentialId: credential.id, httpStatus: result.httpStatus },
          'provider refused the API key',
        );
        return rows.map((row) =>
          final(
            row.id,
            'failed',
            `credential rejected by provider (HTTP ${result.httpStatus}: ${result.message})`,
          ),
        );
      }
      return rows.map((row) =>
        final(
          row.id,
          'failed',
          `provider refused the request (HTTP ${result.httpStatus}): ${result.message}`,
          undefined,
          result.violations,
        ),
      );
    }
    return rows.map((row) => this.retry(row, result, result.maybeAccepted));
  }

  /** Schedules another attempt with backoff, or expires the message when its validity would be over. */
  private retry(row: MessageRow, failure: FailureResult, uncertain: boolean): Settled {
    const now = this.deps.clock.now().getTime();
    const delay = retryDelayMs(row.attempts, {
      baseMs: this.options.retryBaseMs,
      maxMs: this.options.retryMaxMs,
      retryAfterMs: failure.kind === 'retryable' ? failure.retryAfterMs : undefined,
    });
    const reason =
      failure.kind === 'retryable'
        ? `provider answered ${failure.httpStatus ?? ''} ${failure.message}`.replace(/\s+/g, ' ')
        : `network: ${failure.message}`;
    if (now + delay >= Date.parse(row.valid_until)) {
      return final(
        row.id,
        'expired',
        `the validity period ended while retrying (last error: ${reason})`,
      );
    }
    return {
      id: row.id,
      settlement: {
        kind: 'retry',
        at: new Date(now + delay).toISOString(),
        reason: `will retry: ${reason}`,
        uncertain,
        ...(uncertain && row.uncertain_since !== null
          ? { uncertainSince: row.uncertain_since }
          : {}),
      },
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
    const { client, budgetKey, pullReports } = this.providerFor(stored);
    return { lookup: infobipLookup(client), pullReports, budgetKey, stored };
  }

  private async settle(sandbox: string, credentialId: string, settled: Settled[]): Promise<void> {
    if (settled.length === 0) return;
    await this.deps.db.kysely
      .transaction()
      .execute((trx) => settleMessages(trx, this.deps.clock, this.owner, sandbox, settled));
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
  private providerFor(stored: StoredCredential): { client: InfobipApi; notifyUrl: string } {
    const { credential } = stored;
    const cached = this.clients.get(credential.id);
    if (cached && cached.version === credential.version) return cached;
    const apiKey = this.deps.credentials.apiKey(stored);
    const secrets = this.deps.credentials.webhookSecrets(stored);
    const entry = {
      version: credential.version,
      client: this.deps.clientFor
        ? this.deps.clientFor(credential.baseUrl, apiKey, this.dispatcher)
        : createInfobipClient({ baseUrl: credential.baseUrl, apiKey, dispatcher: this.dispatcher }),
      notifyUrl: `${this.deps.publicUrl}/webhooks/infobip/${credential.id}/reports/${secrets.reports}`,
      budgetKey: createHash('sha256').update(`${credential.baseUrl} ${apiKey}`).digest('hex'),
      pullReports: createReportsPuller({
        baseUrl: credential.baseUrl,
        apiKey,
        dispatcher: this.dispatcher,
      }),
    };
    this.clients.set(credential.id, entry);
    return entry;
  }
}

function final(
  id: string,
  status: 'failed' | 'expired' | 'rejected' | 'suppressed',
  reason: string,
  providerStatus?: unknown,
  providerError?: unknown,
): Settled {
  return {
    id,
    settlement: {
      kind: 'final',
      status,
      reason,
      ...(providerStatus !== undefined ? { providerStatus } : {}),
      ...(providerError !== undefined ? { providerError } : {}),
    },
  };
}
