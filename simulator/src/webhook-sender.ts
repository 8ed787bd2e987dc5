/**
 * POSTs webhook bodies (delivery reports, inbound messages) and retries failures on Infobip's
 * schedule: retry n waits `1 min + n² min` (infobip.md §4.3), scaled by the time factor.
 * Guess: n starts at 1 (2, 5, 10, 17 … minutes) and any non-2xx answer or network error counts
 * as a failure; neither is documented.
 */
import type { Store, PostKind } from './store.js';
import type { TimerRegistry } from './timers.js';
import type { Clock } from './time.js';
import { MINUTE_MS } from './time.js';

export interface WebhookSenderOptions {
  timeFactor: number;
  maxRetries: number;
  timeoutMs: number;
}

/** Delay before retry number `n` (1-based), in real milliseconds after scaling. */
export function retryDelayMs(n: number, timeFactor: number): number {
  return (MINUTE_MS + MINUTE_MS * n * n) * timeFactor;
}

interface PendingRetry {
  cancel: () => void;
  run: () => void;
}

export class WebhookSender {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly controllers = new Set<AbortController>();
  private readonly retries = new Set<PendingRetry>();
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly timers: TimerRegistry,
    private readonly clock: Clock,
    private readonly options: WebhookSenderOptions,
  ) {}

  /** Starts delivering `body` to `url`; failures are retried in the background. */
  send(kind: PostKind, url: string, body: unknown): void {
    this.attempt(kind, url, body, JSON.stringify(body), 0);
  }

  /** Fires every waiting retry now and waits until no POST is in flight. */
  async flush(): Promise<void> {
    for (const retry of [...this.retries]) {
      retry.cancel();
      this.retries.delete(retry);
      retry.run();
    }
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Drops waiting retries (reset) without closing. */
  dropPending(): void {
    for (const retry of this.retries) retry.cancel();
    this.retries.clear();
  }

  get pendingRetries(): number {
    return this.retries.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.dropPending();
    for (const controller of this.controllers) controller.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  private attempt(kind: PostKind, url: string, body: unknown, json: string, n: number): void {
    if (this.closed) return;
    const task = this.post(kind, url, body, json, n).finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  private async post(
    kind: PostKind,
    url: string,
    body: unknown,
    json: string,
    n: number,
  ): Promise<void> {
    const controller = new AbortController();
    this.controllers.add(controller);
    const cancelTimeout = this.timers.after(this.options.timeoutMs, () => controller.abort());
    const at = this.clock();
    let status: number | undefined;
    let error: string | undefined;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Infobip-simulator' },
        body: json,
        signal: controller.signal,
      });
      status = response.status;
      // Drain the body so the connection can be reused.
      await response.arrayBuffer();
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    } finally {
      cancelTimeout();
      this.controllers.delete(controller);
    }
    const ok = status !== undefined && status >= 200 && status < 300;
    this.store.posts.push({
      id: this.store.nextPostId(),
      kind,
      url,
      attempt: n,
      at,
      body,
      status,
      error,
      ok,
    });
    if (ok || this.closed || n >= this.options.maxRetries) return;
    this.scheduleRetry(kind, url, body, json, n + 1);
  }

  private scheduleRetry(kind: PostKind, url: string, body: unknown, json: string, n: number): void {
    const retry: PendingRetry = {
      cancel: () => undefined,
      run: () => this.attempt(kind, url, body, json, n),
    };
    retry.cancel = this.timers.after(retryDelayMs(n, this.options.timeFactor), () => {
      this.retries.delete(retry);
      retry.run();
    });
    this.retries.add(retry);
  }
}
