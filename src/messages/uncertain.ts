/**
 * When to look an uncertain send up again, and when to give up looking and resend. A send is
 * uncertain when it may have reached the provider unanswered (a cut connection, a 5xx, a worker
 * that died mid-call). Infobip's logs are for display and how soon a message appears in them is
 * not documented (infobip.md, "Corrections, 2026-12"), so one "not found" proves nothing: Tern
 * looks again on a schedule and resends only when the message is still not found at its end.
 */

/**
 * Lookups at these offsets from `uncertain_since`. Guess: Infobip documents no lag; its logs
 * usually show a message within seconds, so 2 s and 5 s catch most, and the 5-minute end bounds
 * how late a resend of a lost message can be (a 5-minute one-time code would still arrive).
 */
export const LOOKUP_SCHEDULE_MS: readonly number[] = [
  2_000, 5_000, 15_000, 45_000, 120_000, 300_000,
];

/** What one lookup said about one message. */
export type LookupAnswer =
  | { kind: 'found' }
  | { kind: 'not_found' }
  /**
   * The logs could not be asked: says nothing about the message. `throttled`: Tern's own logs
   * bucket or a 429 held it back (a wait, not an attempt); otherwise the provider failed to
   * answer (5xx, network, 403), which counts as an attempt and backs off as a failed send does.
   */
  | { kind: 'unavailable'; retryAt: number; reason: string; throttled: boolean }
  /**
   * The key may not read the logs (403, a missing scope): no lookup will ever answer, so Tern
   * resends at once with the same messageId, and Infobip refuses a reused id as a duplicate
   * (status 23, recorded as accepted) if the first copy went out.
   */
  | { kind: 'no_access'; reason: string };

/** What to do with an uncertain message after a lookup. */
export type UncertainVerdict =
  | { kind: 'found' }
  | { kind: 'look_again'; at: number; reason: string }
  /** Not found at the end of the window: send it again (if its validity allows). */
  | { kind: 'resend' }
  /** Its validity ended before the window did: never resent (the first copy may be out). */
  | { kind: 'expire'; reason: string };

/** The first scheduled lookup strictly after `elapsed` ms, as an offset; null past the window. */
export function nextLookupOffset(
  elapsed: number,
  schedule: readonly number[] = LOOKUP_SCHEDULE_MS,
): number | null {
  for (const offset of schedule) if (offset > elapsed) return offset;
  return null;
}

/** The end of the lookup window, as an offset from `uncertain_since`. */
export function windowEnd(schedule: readonly number[] = LOOKUP_SCHEDULE_MS): number {
  return schedule[schedule.length - 1] ?? 0;
}

/**
 * Decides after a lookup: found is found; not found before the window ends means look again at
 * the next scheduled offset; not found at its end means resend; an unavailable lookup never
 * counts as not found (it is looked up again at its `retryAt`, which carries any backoff). No
 * look-again is scheduled past the validity: a message not found by then cannot be resent
 * anyway, so it expires (and a late report of a first copy still moves it on).
 */
export function judgeLookup(
  answer: LookupAnswer,
  times: { now: number; since: number; validUntil: number },
  schedule: readonly number[] = LOOKUP_SCHEDULE_MS,
): UncertainVerdict {
  const { now, since, validUntil } = times;
  if (answer.kind === 'found') return { kind: 'found' };
  if (answer.kind === 'no_access') return { kind: 'resend' };
  const elapsed = now - since;
  if (answer.kind === 'not_found' && elapsed >= windowEnd(schedule)) return { kind: 'resend' };
  if (now >= validUntil) {
    return {
      kind: 'expire',
      reason:
        answer.kind === 'not_found'
          ? 'the validity period ended while the provider logs were checked; not sent again (not found in them yet)'
          : `the validity period ended before the provider logs could be checked; not sent again (${answer.reason})`,
    };
  }
  const scheduled = since + (nextLookupOffset(elapsed, schedule) ?? elapsed);
  const wanted = answer.kind === 'unavailable' ? Math.max(scheduled, answer.retryAt) : scheduled;
  const at = Math.min(Math.max(wanted, now + 1_000), validUntil);
  const reason =
    answer.kind === 'not_found'
      ? `not in the provider logs yet; looking again (up to ${windowEnd(schedule) / 1000} s after the send) before sending again`
      : answer.throttled
        ? `provider logs unavailable (${answer.reason}); looking again before deciding`
        : `will retry: provider logs unavailable (${answer.reason}); looked up again before any resend`;
  return { kind: 'look_again', at, reason };
}
