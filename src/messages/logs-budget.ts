/**
 * The logs lookups' own token bucket, one per API key (two credentials with one key share it).
 * Infobip throttles `/sms/3/logs` and `/mms/2/logs` to 120 requests a minute (`x-throttling-info`);
 * a token bucket allows `burst + rate × 60 s` in any minute, so 1.5/s with a burst of 30 keeps
 * every minute at or under 120. A 429 empties the bucket until its `Retry-After` (60 s without one,
 * the throttle's window). The bucket is per process: several processes on one key may still meet
 * a 429, which backs off the same way and is never taken for "not found".
 */
export class LogsBudget {
  private readonly buckets = new Map<
    string,
    { tokens: number; at: number; blockedUntil: number }
  >();

  constructor(
    private readonly now: () => number,
    private readonly ratePerSecond = 1.5,
    private readonly burst = 30,
  ) {}

  private bucket(key: string) {
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now, blockedUntil: 0 };
    if (now > b.at) {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.ratePerSecond);
      b.at = now;
    }
    this.buckets.set(key, b);
    return { b, now };
  }

  /** Takes one request's token for `key`; false when throttled (look again at {@link nextAt}). */
  take(key: string): boolean {
    const { b, now } = this.bucket(key);
    if (now < b.blockedUntil || b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** When `key` will have a token again (epoch ms). */
  nextAt(key: string): number {
    const { b, now } = this.bucket(key);
    const refill = b.tokens >= 1 ? now : now + ((1 - b.tokens) / this.ratePerSecond) * 1000;
    return Math.ceil(Math.max(refill, b.blockedUntil));
  }

  /** The provider answered 429: no lookups on `key` before `retryAfterMs` (default 60 s). */
  throttled(key: string, retryAfterMs: number | undefined): void {
    const { b, now } = this.bucket(key);
    b.tokens = 0;
    b.blockedUntil = Math.max(b.blockedUntil, now + (retryAfterMs ?? 60_000));
  }
}
