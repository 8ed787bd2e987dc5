/**
 * When to try again after attempt `attempt` (1-based) failed: exponential from `baseMs`, capped
 * at `maxMs`, with "equal jitter" (half fixed, half random) so that a provider outage does not
 * end with every worker retrying in the same instant. `retryAfterMs` from a 429 wins when longer.
 */
export function retryDelayMs(
  attempt: number,
  options: { baseMs: number; maxMs: number; retryAfterMs?: number | undefined },
  random: () => number = Math.random,
): number {
  const exponential = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exponential / 2 + (random() * exponential) / 2;
  return Math.max(jittered, options.retryAfterMs ?? 0);
}
