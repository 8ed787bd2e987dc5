/**
 * A token bucket per credential, shared by every worker loop of one process: `rate` messages a
 * second, with at most one second's worth in reserve so a quiet credential cannot burst past
 * its rate.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Takes up to `wanted` tokens for `key`; returns how many were granted (maybe 0). */
  take(key: string, rate: number, wanted: number): number {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: rate, at: now };
    bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    const granted = Math.max(0, Math.min(wanted, Math.floor(bucket.tokens)));
    bucket.tokens -= granted;
    this.buckets.set(key, bucket);
    return granted;
  }

  /** Returns tokens taken but not used (fewer messages were due than granted). */
  refund(key: string, count: number): void {
    const bucket = this.buckets.get(key);
    if (bucket) bucket.tokens += count;
  }
}
