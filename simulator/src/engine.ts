/**
 * The simulator's state and services, independent of HTTP: routes, the control API and the
 * in-process `Simulator` all drive this object.
 */
import { Authenticator } from './auth.js';
import { FaultInjector } from './faults.js';
import { IdGenerator } from './ids.js';
import { InboundService } from './inbound.js';
import type { ResolvedOptions } from './options.js';
import { OUTCOMES, OutcomeRules } from './outcomes.js';
import { ReportDispatcher } from './report-dispatcher.js';
import { ERRORS, STATUSES, type StatusName } from './statuses.js';
import { Store, type MmsContent, type SimMessage } from './store.js';
import { Throttle } from './throttle.js';
import { TimerRegistry } from './timers.js';
import { WebhookSender } from './webhook-sender.js';

/**
 * What a send request says about a message, shared by all its destinations: the fields of a
 * {@link SimMessage} a route fills in (price is that of one destination), the rest the engine's.
 */
export type MessageDraft = Pick<
  SimMessage,
  | 'api'
  | 'bulkId'
  | 'from'
  | 'text'
  | 'parts'
  | 'price'
  | 'acceptedAt'
  | 'sentAt'
  | 'validityMs'
  | 'reportUrl'
  | 'notify'
  | 'callbackData'
  | 'entityId'
  | 'applicationId'
  | 'campaignReferenceId'
  | 'intermediateReport'
> & {
  /** MMS only: the content as sent. */
  mmsContent?: MmsContent;
};

export class Engine {
  readonly timers = new TimerRegistry();
  readonly store: Store;
  readonly ids: IdGenerator;
  readonly outcomes: OutcomeRules;
  readonly faults: FaultInjector;
  readonly auth: Authenticator;
  readonly webhooks: WebhookSender;
  readonly reports: ReportDispatcher;
  readonly inbound: InboundService;
  /** The logs endpoints' throttle (its `limit` can be changed at run time). */
  readonly logsThrottle: Throttle;
  balance: number;

  constructor(readonly options: ResolvedOptions) {
    const clock = options.clock;
    this.store = new Store(
      options.maxRecordedRequests,
      options.maxRecordedPosts,
      options.maxStoredMessages,
    );
    this.ids = new IdGenerator(clock());
    this.outcomes = new OutcomeRules(options.outcomeRules, options.defaultOutcome);
    this.faults = new FaultInjector(options.random);
    this.auth = new Authenticator(options.apiKeys, options.basicCredentials);
    this.webhooks = new WebhookSender(this.store, this.timers, clock, {
      timeFactor: options.timeFactor,
      maxRetries: options.webhookMaxRetries,
      timeoutMs: options.webhookTimeoutMs,
    });
    this.reports = new ReportDispatcher(this.store, this.timers, this.webhooks, clock, {
      batchSize: options.reportBatchSize,
      context: { currency: options.currency, mccMnc: options.mccMnc },
    });
    this.inbound = new InboundService(
      this.webhooks,
      this.ids,
      clock,
      options.currency,
      options.inboundNumbers,
      options.mmsInboundNumbers,
    );
    this.logsThrottle = new Throttle(options.logsRateLimit, clock);
    this.balance = options.balance;
  }

  now(): number {
    return this.options.clock();
  }

  /**
   * Accepts one destination: picks its outcome (forced rejection, duplicate policy, credit,
   * rules, validity), records it and schedules its reports. This is the per-destination hot
   * path: no I/O, a few Map and array operations.
   */
  accept(
    d: MessageDraft,
    to: string,
    ownId: string | undefined,
    forced: StatusName | undefined,
  ): SimMessage {
    let reject = forced;
    if (ownId !== undefined && this.store.checkDuplicate(ownId)) {
      if (this.options.duplicateMessageIds === 'reject') reject ??= 'REJECTED_DUPLICATE_MESSAGE_ID';
    }
    let label: string;
    let finalStatus;
    let finalError;
    let rejected: boolean;
    let reported = true;
    let delay = this.options.reportDelayMs;
    if (reject !== undefined) {
      label = reject;
      finalStatus = STATUSES[reject];
      finalError = ERRORS.NO_ERROR;
      rejected = true;
    } else {
      const choice = this.outcomes.choose(to, d.text, d.api === 'mms-v2' ? 'mms' : 'sms');
      const spec = OUTCOMES[choice.outcome];
      label = choice.outcome;
      finalStatus = STATUSES[spec.status];
      finalError = ERRORS[spec.error];
      rejected = spec.phase === 'accept';
      reported = spec.reported;
      if (choice.delayMs !== undefined) delay = choice.delayMs;
      if (!rejected && this.balance < d.price) {
        label = 'REJECTED_NOT_ENOUGH_CREDITS';
        finalStatus = STATUSES.REJECTED_NOT_ENOUGH_CREDITS;
        finalError = ERRORS.NO_ERROR;
        rejected = true;
        reported = true;
      } else if (!rejected) {
        this.balance -= d.price;
        // A validity shorter than the time to deliver means the message expires first.
        const validity = d.validityMs * this.options.timeFactor;
        if (reported && validity < delay) {
          label = 'EXPIRED';
          finalStatus = STATUSES.EXPIRED_EXPIRED;
          finalError = ERRORS.NO_ERROR;
          delay = validity;
        }
      }
    }
    const message: SimMessage = {
      messageId: ownId ?? this.ids.next(),
      bulkId: d.bulkId,
      api: d.api,
      to,
      from: d.from,
      text: d.text,
      mmsContent: d.mmsContent,
      parts: d.parts,
      acceptedAt: d.acceptedAt,
      sentAt: d.sentAt,
      validityMs: d.validityMs,
      reportUrl: d.reportUrl,
      notify: d.notify,
      callbackData: d.callbackData,
      entityId: d.entityId,
      applicationId: d.applicationId,
      campaignReferenceId: d.campaignReferenceId,
      intermediateReport: d.intermediateReport,
      outcome: label,
      rejected,
      finalStatus,
      finalError,
      status: rejected ? finalStatus : STATUSES.PENDING_ACCEPTED,
      error: rejected ? finalError : ERRORS.NO_ERROR,
      doneAt: rejected ? d.acceptedAt : undefined,
      price: rejected ? 0 : d.price,
      reportsEmitted: 0,
    };
    this.store.addMessage(message);
    if (reported && (!rejected || this.options.reportRejected) && (d.reportUrl || d.notify)) {
      const start = rejected ? d.acceptedAt : d.sentAt;
      if (d.intermediateReport && !rejected) {
        this.reports.schedule(message, start + delay / 2, 'intermediate');
      }
      this.reports.schedule(message, start + delay, 'final');
    }
    return message;
  }

  /** Forgets messages, requests, posts, faults and pending reports; keeps configuration. */
  reset(): void {
    this.store.clear();
    this.reports.clear();
    this.webhooks.dropPending();
    this.inbound.clear();
    this.faults.clear();
    this.logsThrottle.clear();
    this.balance = this.options.balance;
  }

  /** Stops scheduling: cancels timers and wakes latency sleeps so open requests can finish. */
  stop(): void {
    this.reports.close();
    this.timers.close();
  }

  async close(): Promise<void> {
    this.stop();
    await this.webhooks.close();
  }
}
