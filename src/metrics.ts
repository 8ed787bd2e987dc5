import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from './db/database.js';
import { messageTotalsByStatus } from './stats/totals.js';

/**
 * Prometheus metrics (`GET /metrics`). Counters and histograms are fed by the worker and the
 * webhook routes as things happen; queue depth (from the statistics rollups) and consent totals
 * are read from the database at scrape time, so they are right across every process sharing
 * it. No label carries a credential id or a sandbox name: a scrape shows totals, never who the
 * tenants are.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly providerRequests: Counter<'outcome'>;
  private readonly providerLatency: Histogram;
  private readonly reportsPruned: Counter;
  private readonly webhookRequests: Counter<'kind' | 'status'>;
  private readonly webhookLatency: Histogram<'kind'>;
  private readonly inboundRepliesLimited: Counter<'reason'>;
  private readonly messagesHeld: Counter<'reason'>;
  private readonly messagesPolicyDropped: Counter<'reason'>;

  constructor(db: Db) {
    collectDefaultMetrics({ register: this.registry, prefix: 'tern_' }); // includes event-loop lag
    this.providerRequests = new Counter({
      name: 'tern_provider_requests_total',
      help: 'Provider send requests by outcome (ok, auth_failed, missing_scope, rejected, retry_later, unreachable)',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    this.providerLatency = new Histogram({
      name: 'tern_provider_request_seconds',
      help: 'Provider send request latency',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    this.webhookRequests = new Counter({
      name: 'tern_webhook_requests_total',
      help: 'Provider webhook requests (inbound texts, delivery reports) by HTTP status',
      labelNames: ['kind', 'status'],
      registers: [this.registry],
    });
    this.webhookLatency = new Histogram({
      name: 'tern_webhook_request_seconds',
      help: 'Provider webhook handling time, answer after commit included',
      labelNames: ['kind'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [this.registry],
    });
    this.reportsPruned = new Counter({
      name: 'tern_delivery_reports_pruned_total',
      help: 'Stored reports for unknown message ids deleted (oldest first) past the per-credential bound',
      registers: [this.registry],
    });
    this.inboundRepliesLimited = new Counter({
      name: 'tern_inbound_replies_limited_total',
      help: 'Automatic inbound replies not queued because a bound was reached (per_number, per_credential)',
      labelNames: ['reason'],
      registers: [this.registry],
    });
    this.messagesHeld = new Counter({
      name: 'tern_messages_held_total',
      help: "Marketing messages the send-time policy held in Tern's queue until the recipient's window opens, by reason (quiet_hours)",
      labelNames: ['reason'],
      registers: [this.registry],
    });
    this.messagesPolicyDropped = new Counter({
      name: 'tern_messages_policy_dropped_total',
      help: 'Marketing messages the send-time policy dropped (suppressed), by reason (quiet_hours, frequency_cap, hold_past_validity)',
      labelNames: ['reason'],
      registers: [this.registry],
    });
    new Gauge({
      name: 'tern_messages',
      help: 'Messages by current status (queue depth: queued, which includes those in a provider call, and retrying)',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        const totals = await messageTotalsByStatus(db);
        this.reset();
        for (const [status, n] of totals) this.set({ status }, n);
      },
    });
    new Gauge({
      name: 'tern_consent_changes',
      help: 'Consent changes recorded in the ledger, by the state they led to',
      labelNames: ['to'],
      registers: [this.registry],
      async collect() {
        const rows = await db.kysely
          .selectFrom('consent_events')
          .select(['to_state', db.kysely.fn.countAll<number>().as('n')])
          .groupBy('to_state')
          .execute();
        this.reset();
        for (const row of rows) this.set({ to: row.to_state }, Number(row.n));
      },
    });
  }

  providerRequest(outcome: string, seconds: number): void {
    this.providerRequests.inc({ outcome });
    this.providerLatency.observe(seconds);
  }

  reportsPrunedCount(count: number): void {
    this.reportsPruned.inc(count);
  }

  /** An automatic inbound reply held back by a reply bound (toll-fraud guard). */
  inboundReplyLimited(reason: string): void {
    this.inboundRepliesLimited.inc({ reason });
  }

  /** A marketing message held or dropped by the send-time policy as it was accepted. */
  messagePolicy(outcome: 'held' | 'dropped', reason: string, count = 1): void {
    (outcome === 'held' ? this.messagesHeld : this.messagesPolicyDropped).inc({ reason }, count);
  }

  webhookRequest(kind: string, status: number, seconds: number): void {
    this.webhookRequests.inc({ kind, status: String(status) });
    this.webhookLatency.observe({ kind }, seconds);
  }
}
