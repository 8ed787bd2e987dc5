import { decide, type DecideInput, type Decision } from '../policy/decide.js';
import { locateRecipient, type Location } from '../policy/locate.js';
import type { PolicyRule } from '../policy/rule.js';
import type { Executor } from '../db/executor.js';

/**
 * What a batch of marketing messages (an API batch, a chunk of a campaign's fan-out) needs from
 * the policy service (PolicyService), read once per batch.
 */
export interface ChunkPolicySource {
  /** The sandbox's rules in force (shipped and its own) and its default time zone. */
  rulesFor(
    sandbox: string,
  ): Promise<{ rules: readonly PolicyRule[]; defaultTimeZone: string | null }>;
  /**
   * Accepted marketing sends within each cap's window for each number (and on `subject`), in
   * as few queries as the caps need for the whole chunk.
   */
  recentSendsFor(
    sandbox: string,
    phones: readonly string[],
    subject: string | null,
    now: Date,
    within?: InTransaction,
  ): Promise<Map<string, DecideInput['recentSends']>>;
}

/**
 * Counting inside the caller's transaction (a flow's step), with the rules it read before it:
 * on SQLite a read on another connection would wait for that transaction forever.
 */
export interface InTransaction {
  db: Executor;
  rules: readonly PolicyRule[];
}

const NO_SENDS: DecideInput['recentSends'] = { number: 0, subject: 0 };
const MINUTE_MS = 60_000;

/**
 * The send-time policy for one batch of marketing messages (an API request, a chunk of a
 * campaign's fan-out): the rules and the cap counts read once (one grouped query per cap, not
 * one per message: per message, 1,000 held API texts took 1.05 s), then a decision per message.
 * Decisions are cached by what they depend on — the location, the minute the message would go
 * (windows open on whole minutes), the cap counts and the origin — so 1,000 recipients in three
 * states cost a handful of `decide` calls. A hold that would outlive the message's validity is
 * dropped here, as `decide` does.
 */
export class ChunkPolicy {
  private readonly cache = new Map<string, Decision>();

  private constructor(
    private readonly rules: readonly PolicyRule[],
    private readonly defaultTimeZone: string | null,
    private readonly counts: Map<string, DecideInput['recentSends']>,
    private readonly subject: string | null,
  ) {}

  static async load(
    source: ChunkPolicySource,
    sandbox: string,
    subject: string | null,
    phones: readonly string[],
    now: Date,
  ): Promise<ChunkPolicy> {
    const { rules, defaultTimeZone } = await source.rulesFor(sandbox);
    const counts = rules.some((r) => r.kind === 'cap' && r.enabled)
      ? await source.recentSendsFor(sandbox, phones, subject, now)
      : new Map<string, DecideInput['recentSends']>();
    return new ChunkPolicy(rules, defaultTimeZone, counts, subject);
  }

  /** The decision for a marketing text to `phone` going at `at`, valid until `validUntil`. */
  decide(
    phone: string,
    attributes: Record<string, unknown>,
    at: Date,
    validUntil: string,
    origin = 'campaign',
  ): Decision {
    if (this.rules.length === 0) return { action: 'send' };
    const location = locateRecipient(phone, attributes, this.defaultTimeZone);
    const recentSends = this.counts.get(phone) ?? NO_SENDS;
    const minute = Math.floor(at.getTime() / MINUTE_MS) * MINUTE_MS;
    const key = JSON.stringify([locationKey(location), minute, recentSends, origin]);
    let decision = this.cache.get(key);
    if (!decision) {
      decision = decide(
        {
          to: phone,
          messageType: 'marketing',
          origin,
          location,
          // The validity is judged per message below; the cached decision is the window's.
          validUntil: '9999-12-31T23:59:59.999Z',
          subject: this.subject,
          recentSends,
        },
        this.rules,
        new Date(minute),
      );
      this.cache.set(key, decision);
    }
    if (decision.action !== 'drop') this.count(phone);
    if (decision.action === 'hold') {
      // Decided at the minute's start: a window opening within the minute is open by `at`.
      if (Date.parse(decision.until) <= at.getTime()) return { action: 'send' };
      if (Date.parse(decision.until) > Date.parse(validUntil))
        return {
          action: 'drop',
          reason: 'hold_past_validity',
          rule: decision.rule,
          source: decision.source,
        };
    }
    return decision;
  }

  /**
   * A message decided here is an accepted marketing send for the caps of the messages after it
   * in the same batch (four texts to one Florida number in one request: the fourth is capped).
   */
  private count(phone: string): void {
    const sends = this.counts.get(phone) ?? { ...NO_SENDS };
    const byRule = sends.byRule
      ? Object.fromEntries(Object.entries(sends.byRule).map(([rule, n]) => [rule, n + 1]))
      : undefined;
    this.counts.set(phone, {
      number: sends.number + 1,
      subject: sends.subject + 1,
      ...(byRule ? { byRule } : {}),
    });
  }
}

/** What a decision depends on in a location (`ignored` does not change it). */
function locationKey(l: Location): unknown[] {
  return [l.timeZone, l.timeZones ?? null, l.country, l.region, l.source];
}
