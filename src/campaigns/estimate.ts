import { sql, type SqlBool } from 'kysely';
import type { DialectName } from '../db/dialect.js';
import { dialectOf } from '../db/json-sql.js';
import type { AudienceQuery } from '../audiences/audience.js';
import type { Executor } from '../db/executor.js';
import type { ErrorDetail } from '../errors.js';
import { consentBlock } from '../messages/consent-gate.js';
import type { SmsEncoding } from '../messages/segments.js';
import { CONSENT_STATES, type ConsentState } from '../profiles/consent.js';
import type { ConsentPolicy } from '../sandboxes/sandboxes.js';
import { judgeText, type RenderSetup } from './fan-out.js';
import { parseAttributes } from '../messages/send-policy.js';
import { ChunkPolicy } from '../messages/batch-policy.js';

/**
 * Recipients rendered for an estimate. Up to this many eligible recipients every one is
 * rendered (exact); past it a uniform random sample of this size is, and its counts are scaled
 * to the eligible total. A render is ~7 µs and the checks a few more, so 5,000 take ~60 ms; the
 * rest of the 2 s budget at 1M profiles goes to the two scans of the audience (counts by
 * consent, then the sample).
 */
export const ESTIMATE_SAMPLE = 5_000;
const FAILURE_EXAMPLES = 5;

export interface Estimate {
  /** Profiles in the audience now (exact). */
  recipients: number;
  /** Those whose consent allows marketing under the sandbox's policy (exact). */
  eligible: number;
  /** The others, by consent state and the reason the send path would give (exact). */
  excluded: { total: number; byReason: { consent: string; reason: string; recipients: number }[] };
  rendering: {
    /** `exact`: every eligible recipient was rendered; `sampled`: a uniform random sample. */
    method: 'exact' | 'sampled';
    rendered: number;
    /** Recipients per SMS part count and encoding (scaled when sampled, rounded). */
    parts: { segments: number; encoding: SmsEncoding; recipients: number }[];
    /** SMS parts of the whole send (what is billed), scaled when sampled. */
    totalParts: number;
    /** Recipients whose text would not render or pass the send rules (scaled when sampled). */
    failures: {
      recipients: number;
      examples: { profileId: string; phone: string; reason: string; problems: ErrorDetail[] }[];
    };
  };
  /**
   * What the send-time policy would do to the sendable recipients if the send began now: per
   * rule, how many it holds (and between which window starts they go; each is released up to
   * 10 minutes after its window's start) or drops. Scaled when sampled; null without a policy.
   */
  heldByQuietHours: HeldEstimate | null;
  /** What is exact and what is sampled, in one sentence. */
  accuracy: string;
}

/** The send-time policy's share of an estimate. */
export interface HeldEstimate {
  held: number;
  dropped: number;
  byRule: {
    rule: string;
    action: 'hold' | 'drop';
    /** A drop's coded reason (quiet_hours, frequency_cap, hold_past_validity…); null for a hold. */
    reason: string | null;
    recipients: number;
    /** The earliest and latest window start the held ones wait for; null for a drop. */
    firstRelease: string | null;
    lastRelease: string | null;
  }[];
}

/**
 * The audience counted by consent state in the database, each state judged as the fan-out
 * judges a recipient (consentBlock): who may receive marketing, and why the others may not.
 */
export async function countByConsent(
  db: Executor,
  audience: AudienceQuery,
  policy: ConsentPolicy,
): Promise<{
  recipients: number;
  eligible: number;
  eligibleStates: string[];
  byReason: Estimate['excluded']['byReason'];
}> {
  const counts = await db
    .selectFrom(audience.as('a'))
    .select(['a.consent', sql<number | string>`count(*)`.as('n')])
    .groupBy('a.consent')
    .execute();
  let recipients = 0;
  let eligible = 0;
  const eligibleStates: string[] = [];
  const byReason: Estimate['excluded']['byReason'] = [];
  for (const row of counts) {
    const n = Number(row.n);
    recipients += n;
    const state = (CONSENT_STATES as readonly string[]).includes(row.consent)
      ? (row.consent as ConsentState)
      : 'unknown';
    const reason = consentBlock(state, 'marketing', policy, 'campaign');
    if (reason === null) {
      eligible += n;
      eligibleStates.push(row.consent);
    } else byReason.push({ consent: row.consent, reason, recipients: n });
  }
  byReason.sort((a, b) => b.recipients - a.recipients);
  return { recipients, eligible, eligibleStates, byReason };
}

/**
 * True for each row with probability `p`, drawn in SQL: the sample's scan then sorts only
 * about 2 × ESTIMATE_SAMPLE rows by random() instead of the whole audience, and PostgreSQL,
 * which runs its cheapest condition first, reads the JSON of those rows only (1M profiles:
 * 3.7 s for the estimate without it). A Bernoulli sample cut to a uniform random subset is a
 * uniform sample. SQLite's random() is a 64-bit integer, PostgreSQL's a fraction.
 */
function bernoulli(dialect: DialectName, p: number) {
  const scale = 1_000_000;
  return dialect === 'postgres'
    ? sql<SqlBool>`random() < ${p}`
    : sql<SqlBool>`abs(random() % ${scale}) < ${Math.ceil(p * scale)}`;
}

/** The estimate of one campaign's send to `audience`, as the fan-out would judge it now. */
export async function estimateCampaign(
  db: Executor,
  audience: AudienceQuery,
  setup: RenderSetup,
  now: Date,
): Promise<Estimate> {
  const { recipients, eligible, eligibleStates, byReason } = await countByConsent(
    db,
    audience,
    setup.send.policy,
  );

  const method = eligible > ESTIMATE_SAMPLE ? 'sampled' : 'exact';
  let rows: { id: string; phone: string; consent: string; attributes: string }[] = [];
  if (eligible > 0) {
    let pick = audience.where('profiles.consent', 'in', eligibleStates);
    pick =
      method === 'sampled'
        ? pick
            .where(bernoulli(dialectOf(db), (2 * ESTIMATE_SAMPLE) / eligible))
            .orderBy(sql`random()`)
            .limit(ESTIMATE_SAMPLE)
        : pick.orderBy('profiles.id');
    rows = await pick.execute();
  }
  const scale = rows.length > 0 ? eligible / rows.length : 0;
  const histogram = new Map<string, { segments: number; encoding: SmsEncoding; n: number }>();
  let failures = 0;
  let parts = 0;
  const examples: Estimate['rendering']['failures']['examples'] = [];
  const policy = setup.policy
    ? await ChunkPolicy.load(
        setup.policy.source,
        setup.campaign.sandbox,
        setup.campaign.id,
        rows.map((r) => r.phone),
        now,
      )
    : null;
  const held = new Map<string, HeldEstimate['byRule'][number]>();
  for (const [i, r] of rows.entries()) {
    const verdict = judgeText(
      setup,
      { seq: i, profileId: r.id, phone: r.phone, consent: r.consent, attributes: r.attributes },
      null,
      now,
    );
    if (verdict.kind === 'message') {
      const { segments, encoding } = verdict.checked.count;
      const key = `${segments} ${encoding}`;
      const bucket = histogram.get(key) ?? { segments, encoding, n: 0 };
      bucket.n++;
      histogram.set(key, bucket);
      parts += segments;
      const decision = policy?.decide(
        verdict.checked.to,
        parseAttributes(r.attributes),
        now,
        verdict.checked.validUntil,
      );
      if (decision && decision.action !== 'send') {
        const reason = decision.action === 'drop' ? decision.reason : null;
        const key = `${decision.action} ${decision.rule} ${reason}`;
        const until = decision.action === 'hold' ? decision.until : null;
        const bucket = held.get(key) ?? {
          rule: decision.rule,
          action: decision.action,
          reason,
          recipients: 0,
          firstRelease: until,
          lastRelease: until,
        };
        bucket.recipients++;
        if (until !== null) {
          if (bucket.firstRelease === null || until < bucket.firstRelease)
            bucket.firstRelease = until;
          if (bucket.lastRelease === null || until > bucket.lastRelease) bucket.lastRelease = until;
        }
        held.set(key, bucket);
      }
    } else {
      failures++;
      if (examples.length < FAILURE_EXAMPLES)
        examples.push({
          profileId: r.id,
          phone: r.phone,
          reason: verdict.reason,
          problems: verdict.problems ?? [],
        });
    }
  }
  const scaled = (n: number) => (method === 'exact' ? n : Math.round(n * scale));
  return {
    recipients,
    eligible,
    excluded: { total: recipients - eligible, byReason },
    rendering: {
      method,
      rendered: rows.length,
      parts: [...histogram.values()]
        .sort((a, b) => a.segments - b.segments || a.encoding.localeCompare(b.encoding))
        .map((b) => ({ segments: b.segments, encoding: b.encoding, recipients: scaled(b.n) })),
      totalParts: scaled(parts),
      failures: { recipients: scaled(failures), examples },
    },
    heldByQuietHours: policy ? heldSummary([...held.values()], scaled) : null,
    accuracy:
      method === 'exact'
        ? `Exact: every one of the ${eligible} eligible recipients was rendered and checked; recipients and exclusions are counted in the database.`
        : `Recipients and exclusions are exact (counted in the database); parts, encodings and failures come from a uniform random sample of ${rows.length} of the ${eligible} eligible recipients, scaled to them.`,
  };
}

/** The held and dropped counts per rule, scaled like the rest of the sample, largest first. */
function heldSummary(buckets: HeldEstimate['byRule'], scaled: (n: number) => number): HeldEstimate {
  const byRule = buckets
    .map((b) => ({ ...b, recipients: scaled(b.recipients) }))
    .sort((a, b) => b.recipients - a.recipients || a.rule.localeCompare(b.rule));
  const total = (action: 'hold' | 'drop') =>
    byRule.filter((b) => b.action === action).reduce((n, b) => n + b.recipients, 0);
  return { held: total('hold'), dropped: total('drop'), byRule };
}
