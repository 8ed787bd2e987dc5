/**
 * Per-key, per-endpoint sliding-window throttle: at most `requests` answered in any `windowMs`
 * (Infobip's logs endpoints: 120 a minute). A refused request does not count. Guess: Infobip's
 * window kind is not documented; a sliding window is the strictest reading of "120 a minute".
 */
import type { RateLimit } from './options.js';
import type { Clock } from './time.js';

export class Throttle {
  /** `principal route` → times of the requests let through in the current window, oldest first. */
  private readonly seen = new Map<string, number[]>();

  constructor(
    public limit: RateLimit | false,
    private readonly clock: Clock,
  ) {}

  /** Counts the request and returns true when it may go ahead; false → 429. */
  take(principal: string, route: string): boolean {
    const limit = this.limit;
    if (limit === false) return true;
    const key = `${principal} ${route}`;
    const now = this.clock();
    let times = this.seen.get(key);
    if (!times) {
      times = [];
      this.seen.set(key, times);
    }
    let old = 0;
    while (old < times.length && times[old]! <= now - limit.windowMs) old++;
    if (old > 0) times.splice(0, old);
    if (times.length >= limit.requests) return false;
    times.push(now);
    return true;
  }

  clear(): void {
    this.seen.clear();
  }
}
