import { randomUUID } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import type { Clock } from '../clock.js';
import type { Keyring } from '../crypto/secret-box.js';
import type { Db } from '../db/database.js';
import type { Executor } from '../db/executor.js';
import { newId } from '../ids.js';
import type { Logger } from '../logger.js';
import { retryDelayMs } from '../messages/backoff.js';
import { createGuardedDispatcher, type Resolver } from '../net/guarded-dispatcher.js';
import { VERSION } from '../version.js';
import { eventsAfter, idBoundary, type TernEvent } from './events.js';
import type { EventWebhookRow } from './event-webhook.service.js';
import { SIGNATURE_HEADER, signatureHeader } from './webhook-signature.js';
import { REFUSED_ADDRESS_MESSAGE } from './webhook-url.js';
import { PollLoop } from '../poll-loop.js';

export interface WebhookDispatcherOptions {
  /** Events per delivery (one POST). */
  batchSize: number;
  /** Event payload per delivery (characters; a single larger event still goes, alone). */
  batchBytes: number;
  /**
   * Deliveries in flight at once, each to a different webhook. A slow receiver holds only its
   * own slot: the loop claims the next due webhook as soon as any slot frees up.
   */
  concurrency: number;
  /** Sleep between passes when nothing was due. */
  pollMs: number;
  /** How long a claim holds; longer than a delivery can take. */
  leaseMs: number;
  /**
   * Total budget of one POST, connect, headers and (non-2xx) body together. Per-chunk timeouts
   * alone let a receiver that trickles a byte every few seconds hold a delivery for an hour.
   */
  timeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Attempts at one batch before it is given up (logged as `gave_up`) and the next one sent. */
  maxAttempts: number;
  /**
   * Events younger than this wait. On PostgreSQL transactions commit in any order, so an event
   * with an older id may become visible after a newer one; holding back a second keeps the
   * cursor from skipping it (as the SSE stream does). Default: 1 s where several processes
   * share the database, 0 on SQLite (one writer, commits in id order).
   */
  settleMs?: number;
  /** Permit loopback receivers (tests, demos): `TERN_ALLOW_LOOPBACK_PROVIDER`. */
  allowLoopback: boolean;
}

export const DEFAULT_DISPATCHER_OPTIONS: WebhookDispatcherOptions = {
  batchSize: 100,
  // 1 MiB: 20 deliveries in flight hold at most ~20 MiB of bodies, and receivers' usual
  // request-size limits (1-10 MB) take it.
  batchBytes: 1024 * 1024,
  concurrency: 20,
  pollMs: 500,
  leaseMs: 60_000,
  timeoutMs: 10_000,
  retryBaseMs: 2_000,
  retryMaxMs: 15 * 60_000,
  maxAttempts: 12,
  allowLoopback: false,
};

export interface WebhookDispatcherDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  keyring: Keyring;
  /** Counts deliveries by outcome and cause (`tern_event_webhook_deliveries_total`). */
  metrics?: { eventWebhookDelivery(outcome: DeliveryOutcome, cause: DeliveryCause): void };
  /** The resolver of the SSRF guard; defaults to the system's (tests give their own names). */
  resolve?: Resolver;
}

export type DeliveryOutcome = 'succeeded' | 'failed' | 'gave_up';
/** Why an attempt failed, as a metric label: `signing` means the secret did not decrypt. */
export type DeliveryCause = 'none' | 'http' | 'network' | 'timeout' | 'refused' | 'signing';

/** What a receiver gets: the POST body of a delivery. */
export interface DeliveryBody {
  webhookId: string;
  deliveryId: string;
  events: TernEvent[];
}

const USER_AGENT = `tern/${VERSION}`;

/** DNS failures (getaddrinfo and c-ares codes) that say a name has no usable address. */
const NAME_NOT_RESOLVED = new Set<unknown>(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NODATA', 'ENODATA']);

/** Drops an unread answer body; undici reports its abort as an error, which is expected here. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}
const MAX_ERROR_BODY = 500;

type Attempt =
  | { ok: true; httpStatus: number; durationMs: number }
  | {
      ok: false;
      httpStatus: number | null;
      error: string;
      durationMs: number;
      cause: Exclude<DeliveryCause, 'none'>;
    };

/**
 * Delivers events to event webhooks. Each webhook has a cursor on the `events` table; a pass
 * claims webhooks with events after their cursor (under a lease: on PostgreSQL with
 * `FOR UPDATE SKIP LOCKED`, so several processes never deliver for the same webhook at once),
 * POSTs each one batch of its events, signed, and moves the cursor on a 2xx. A failure is
 * retried with exponential backoff up to `maxAttempts`, then the batch is given up. Delivery is
 * at least once: receivers de-duplicate by event id. `stop()` finishes deliveries in flight.
 */
export class WebhookDispatcher {
  readonly owner = `dispatcher-${randomUUID()}`;
  private readonly options: WebhookDispatcherOptions;
  private readonly settleMs: number;
  private readonly http: Dispatcher;
  private readonly loop: PollLoop;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly deps: WebhookDispatcherDeps,
    options: Partial<WebhookDispatcherOptions> = {},
  ) {
    this.options = { ...DEFAULT_DISPATCHER_OPTIONS, ...options };
    this.settleMs = this.options.settleMs ?? (deps.db.capabilities.multiProcess ? 1000 : 0);
    this.loop = new PollLoop(
      () => this.step(),
      (error) => this.deps.logger.error({ err: error }, 'event webhooks: claiming failed'),
      this.options.pollMs,
    );
    this.http = createGuardedDispatcher({
      allowLoopback: this.options.allowLoopback,
      connectTimeoutMs: Math.min(5_000, this.options.timeoutMs),
      ...(deps.resolve ? { resolve: deps.resolve } : {}),
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Stops claiming; waits for the deliveries in flight to finish and be recorded. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.all([...this.inFlight]);
    if (!this.closed) {
      this.closed = true;
      await this.http.close();
    }
  }

  /**
   * One step of the running loop: claims as many due webhooks as there are free slots and
   * starts their deliveries without waiting for them (a finished one wakes the loop).
   */
  private async step(): Promise<number> {
    const free = this.options.concurrency - this.inFlight.size;
    if (free <= 0) return this.options.pollMs;
    const claimed = await this.claim(free);
    // Tracked in inFlight (stop() awaits them); track() never rejects.
    for (const row of claimed) void this.track(row);
    return claimed.length === 0 ? this.options.pollMs : 0;
  }

  private track(row: EventWebhookRow): Promise<void> {
    const delivery = this.deliver(row).catch((error: unknown) => {
      // The lease runs out and the batch is tried again: nothing is lost.
      this.deps.logger.error({ err: error, webhookId: row.id }, 'event webhooks: delivery failed');
    });
    this.inFlight.add(delivery);
    void delivery.finally(() => {
      this.inFlight.delete(delivery);
      this.loop.wake();
    });
    return delivery;
  }

  /**
   * One pass (tests): claims the webhooks with pending events whose next attempt is due and
   * delivers one batch to each, concurrently. Resolves when all are recorded; returns how many.
   */
  async deliverDue(): Promise<number> {
    const claimed = await this.claim(this.options.concurrency);
    await Promise.all(claimed.map((row) => this.track(row)));
    return claimed.length;
  }

  /** Passes until nothing is due (tests; time moves only when they move the clock). */
  async drain(maxPasses = 100): Promise<void> {
    for (let i = 0; i < maxPasses; i++) if ((await this.deliverDue()) === 0) return;
  }

  private boundary(): string | undefined {
    return this.settleMs > 0 ? idBoundary(Date.now() - this.settleMs) : undefined;
  }

  private async claim(limit: number): Promise<EventWebhookRow[]> {
    const db = this.deps.db.kysely;
    const now = this.deps.clock.now();
    const nowIso = now.toISOString();
    const boundary = this.boundary();
    return db
      .updateTable('event_webhooks')
      .set({
        lease_owner: this.owner,
        lease_expires_at: new Date(now.getTime() + this.options.leaseMs).toISOString(),
      })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('event_webhooks as w')
          .select('w.id')
          .where('w.enabled', '=', 1)
          .where('w.next_attempt_at', '<=', nowIso)
          .where((w) =>
            w.or([w('w.lease_expires_at', 'is', null), w('w.lease_expires_at', '<=', nowIso)]),
          )
          .where((w) =>
            w.exists(
              w
                .selectFrom('events as e')
                .select('e.id')
                .whereRef('e.sandbox', '=', 'w.sandbox')
                .whereRef('e.id', '>', 'w.cursor')
                .$if(boundary !== undefined, (qb) => qb.where('e.id', '<', boundary!)),
            ),
          )
          .orderBy('w.next_attempt_at')
          .limit(limit)
          .$if(this.deps.db.capabilities.skipLocked, (qb) => qb.forUpdate().skipLocked()),
      )
      .returningAll()
      .execute();
  }

  private async deliver(row: EventWebhookRow): Promise<void> {
    const db = this.deps.db.kysely;
    const boundary = this.boundary();
    const scanned = await eventsAfter(db, row.sandbox, row.cursor === '' ? null : row.cursor, {
      limit: this.options.batchSize,
      maxBytes: this.options.batchBytes,
      ...(boundary !== undefined ? { beforeId: boundary } : {}),
    });
    const lastId = scanned[scanned.length - 1]?.id;
    if (lastId === undefined) {
      await this.release(row, {});
      return;
    }
    const types = row.types === null ? null : (JSON.parse(row.types) as string[]);
    const events = types ? scanned.filter((e) => types.includes(e.type)) : scanned;
    // A full batch means more may wait: the next pass takes this webhook again at once.
    const nowIso = () => this.deps.clock.now().toISOString();
    if (events.length === 0) {
      await this.release(row, { cursor: lastId, attempts: 0, next_attempt_at: nowIso() });
      return;
    }

    const deliveryId = newId();
    const body = JSON.stringify({ webhookId: row.id, deliveryId, events } satisfies DeliveryBody);
    const secret = this.secretOf(row);
    const attempt =
      secret.ok === true
        ? await this.post(row.url, body, secret.secret, row.id, deliveryId)
        : secret.attempt;
    const number = row.attempts + 1;
    const now = nowIso();
    let outcome: DeliveryOutcome;
    let next: string | null = null;
    if (attempt.ok) outcome = 'succeeded';
    // Unsigned batches are never given up: they wait (backoff capped at retryMaxMs) until the
    // key is back or the webhook is registered again, instead of being dropped 12 by 12.
    else if (number >= this.options.maxAttempts && attempt.cause !== 'signing') outcome = 'gave_up';
    else {
      outcome = 'failed';
      const delay = retryDelayMs(number, {
        baseMs: this.options.retryBaseMs,
        maxMs: this.options.retryMaxMs,
      });
      next = new Date(Date.parse(now) + delay).toISOString();
    }
    this.deps.metrics?.eventWebhookDelivery(outcome, attempt.ok ? 'none' : attempt.cause);
    if (outcome === 'gave_up') {
      this.deps.logger.warn(
        { webhookId: row.id, events: events.length, attempts: number },
        'event webhook: gave up on a batch',
      );
    }
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('event_webhook_deliveries')
        .values({
          sandbox: row.sandbox,
          id: deliveryId,
          webhook_id: row.id,
          at: now,
          attempt: number,
          outcome,
          http_status: attempt.httpStatus,
          error: attempt.ok ? null : attempt.error,
          duration_ms: attempt.durationMs,
          event_count: events.length,
          first_event_id: events[0]?.id ?? null,
          last_event_id: events[events.length - 1]?.id ?? null,
          next_attempt_at: next,
        })
        .execute();
      await this.release(
        row,
        outcome === 'failed'
          ? {
              attempts: number,
              next_attempt_at: next!,
              last_delivery_at: now,
              last_delivery_status: outcome,
            }
          : {
              cursor: lastId,
              attempts: 0,
              next_attempt_at: now,
              last_delivery_at: now,
              last_delivery_status: outcome,
            },
        trx,
      );
    });
  }

  /** The signing secret, or the failed attempt to record when no configured key decrypts it. */
  private secretOf(
    row: EventWebhookRow,
  ): { ok: true; secret: string } | { ok: false; attempt: Attempt } {
    try {
      return { ok: true, secret: this.deps.keyring.decrypt(row.secret_encrypted) };
    } catch (error) {
      const keyId = row.secret_encrypted.split('.')[1] ?? 'unknown';
      // The message names the key id only (never key material nor the ciphertext).
      this.deps.logger.error(
        { webhookId: row.id, sandbox: row.sandbox, keyId, reason: (error as Error).message },
        'event webhook: the signing secret does not decrypt; the delivery is not sent',
      );
      return {
        ok: false,
        attempt: {
          ok: false,
          httpStatus: null,
          cause: 'signing',
          durationMs: 0,
          error: `not sent: the signing secret cannot be decrypted (it was encrypted with key ${keyId}, which this server does not hold); delete and register the webhook again, or restore that key`,
        },
      };
    }
  }

  /** Ends the claim, applying `changes` only while this dispatcher still holds the lease. */
  private async release(
    row: EventWebhookRow,
    changes: Partial<
      Pick<
        EventWebhookRow,
        'cursor' | 'attempts' | 'next_attempt_at' | 'last_delivery_at' | 'last_delivery_status'
      >
    >,
    db: Executor = this.deps.db.kysely,
  ): Promise<void> {
    await db
      .updateTable('event_webhooks')
      .set({ ...changes, lease_owner: null, lease_expires_at: null })
      .where('sandbox', '=', row.sandbox)
      .where('id', '=', row.id)
      .where('lease_owner', '=', this.owner)
      .execute();
  }

  private async post(
    url: string,
    body: string,
    secret: string,
    webhookId: string,
    deliveryId: string,
  ): Promise<Attempt> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const timestamp = Math.floor(this.deps.clock.now().getTime() / 1000);
    const { timeoutMs } = this.options;
    const deadline = AbortSignal.timeout(timeoutMs);
    try {
      const res = await request(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          [SIGNATURE_HEADER]: signatureHeader(secret, timestamp, body),
          'x-tern-webhook-id': webhookId,
          'x-tern-delivery-id': deliveryId,
        },
        body,
        dispatcher: this.http,
        signal: deadline,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      if (res.statusCode >= 200 && res.statusCode < 300) {
        // The answer is in: its body is never read (a receiver could trickle it for ever).
        discard(res.body);
        return { ok: true, httpStatus: res.statusCode, durationMs: elapsed() };
      }
      // Read a little of a refusal (for the log) within the same deadline; the status is the
      // failure, so a body cut short by the deadline just leaves less to show.
      let text = '';
      try {
        for await (const chunk of res.body) {
          text += (chunk as Buffer).toString('utf8');
          if (text.length >= MAX_ERROR_BODY) break;
        }
      } catch {
        // deadline or reset while reading: keep what arrived
      }
      discard(res.body);
      const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 200);
      return {
        ok: false,
        httpStatus: res.statusCode,
        cause: 'http',
        error: `HTTP ${res.statusCode}${snippet ? `: ${snippet}` : ''}`,
        durationMs: elapsed(),
      };
    } catch (error) {
      return { ...this.networkFailure(error, webhookId, deadline.aborted), durationMs: elapsed() };
    }
  }

  private networkFailure(
    error: unknown,
    webhookId: string,
    timedOut: boolean,
  ): Omit<Extract<Attempt, { ok: false }>, 'durationMs'> {
    const code = (error as { code?: unknown } | null)?.code;
    // A name that does not resolve gets the same words as one that resolves inside: telling
    // them apart would let a tenant probe which internal names exist.
    if (code === 'ERR_TERN_ADDRESS_REFUSED' || NAME_NOT_RESOLVED.has(code)) {
      // The operator may see what the name resolved to; the tenant reading the log may not.
      this.deps.logger.warn(
        { webhookId, reason: (error as Error).message },
        'event webhook: refused an internal address',
      );
      return { ok: false, httpStatus: null, cause: 'refused', error: REFUSED_ADDRESS_MESSAGE };
    }
    if (timedOut) {
      return {
        ok: false,
        httpStatus: null,
        cause: 'timeout',
        error: `timeout: no complete answer within ${this.options.timeoutMs} ms`,
      };
    }
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      httpStatus: null,
      cause: 'network',
      error: `network: ${typeof code === 'string' ? `${code} ` : ''}${message}`.slice(0, 300),
    };
  }
}
