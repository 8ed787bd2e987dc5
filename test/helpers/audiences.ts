import type { Db } from '../../src/db/database.js';
import { newId } from '../../src/ids.js';
import { phoneRegion } from '../../src/phone.js';
import { FAILED_STATUSES } from '../../src/audiences/rule-sql.js';
import { resolveTime, type SegmentRule } from '../../src/audiences/segment-rule.js';

/** A profile with its history, as the audience tests build it (and evaluate rules over it). */
export interface SeedProfile {
  phone: string;
  consent: string;
  attributes: Record<string, unknown>;
  sandbox?: string;
  /** received_at of its inbound texts. */
  inbound?: string[];
  /** Its messages: final status and done_at. */
  messages?: { status: string; at: string }[];
}

/** Inserts profiles with their texts and messages directly; returns phone → id. */
export async function seedProfiles(db: Db, profiles: SeedProfile[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const at = '2026-01-01T00:00:00.000Z';
  for (const p of profiles) {
    const sandbox = p.sandbox ?? 'prod';
    const id = newId();
    ids.set(p.phone, id);
    await db.kysely
      .insertInto('profiles')
      .values({
        sandbox,
        id,
        phone: p.phone,
        consent: p.consent,
        consent_updated_at: null,
        attributes: JSON.stringify(p.attributes),
        created_at: at,
        updated_at: at,
        region: phoneRegion(p.phone),
      })
      .execute();
    for (const receivedAt of p.inbound ?? []) {
      const inboundId = newId();
      await db.kysely
        .insertInto('inbound_messages')
        .values({
          id: inboundId,
          provider_message_id: inboundId,
          sandbox,
          credential_id: 'cred',
          from_number: p.phone,
          to_number: '+14155550100',
          text: 'hi',
          category: 'none',
          action: null,
          received_at: receivedAt,
          raw: '{}',
          webhook_credential_id: 'cred',
          channel: 'sms',
          parts: '[]',
        })
        .execute();
    }
    for (const m of p.messages ?? []) {
      await db.kysely
        .insertInto('messages')
        .values({
          sandbox,
          id: newId(),
          credential_id: 'cred',
          channel: 'sms',
          message_type: 'marketing',
          sender: '+14155550100',
          to_number: p.phone,
          text: 'offer',
          status: m.status,
          attempts: 1,
          valid_until: '2027-01-01T00:00:00.000Z',
          uncertain: 0,
          segments: 1,
          encoding: 'GSM-7',
          origin: 'api',
          created_at: m.at,
          updated_at: m.at,
          done_at: m.at,
        })
        .execute();
    }
  }
  return ids;
}

const get = (attributes: Record<string, unknown>, path: string[]): unknown => {
  let v: unknown = attributes;
  for (const key of path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
};

function latestIn(
  times: string[],
  w: { within?: string; after?: string; before?: string },
  now: Date,
): boolean {
  if (times.length === 0) return false;
  const latest = [...times].sort().at(-1)!;
  if (w.within !== undefined && latest < resolveTime(w.within, now)) return false;
  if (w.after !== undefined && latest < resolveTime(w.after, now)) return false;
  if (w.before !== undefined && latest >= resolveTime(w.before, now)) return false;
  return true;
}

/** The rule's meaning, written again in plain JavaScript: the property test's oracle. */
export function evaluateRule(rule: SegmentRule, p: SeedProfile, now: Date): boolean {
  if ('all' in rule) return rule.all.every((r) => evaluateRule(r, p, now));
  if ('any' in rule) return rule.any.some((r) => evaluateRule(r, p, now));
  if ('not' in rule) return !evaluateRule(rule.not, p, now);
  if ('consent' in rule) return (rule.consent.in as string[]).includes(p.consent);
  if ('country' in rule) {
    const region = phoneRegion(p.phone);
    return region !== null && rule.country.in.includes(region);
  }
  if ('lastInbound' in rule) return latestIn(p.inbound ?? [], rule.lastInbound, now);
  if ('lastDelivered' in rule)
    return latestIn(
      (p.messages ?? []).filter((m) => m.status === 'delivered').map((m) => m.at),
      rule.lastDelivered,
      now,
    );
  if ('lastFailed' in rule)
    return latestIn(
      (p.messages ?? [])
        .filter((m) => (FAILED_STATUSES as readonly string[]).includes(m.status))
        .map((m) => m.at),
      rule.lastFailed,
      now,
    );
  if ('keyword' in rule) {
    const k = get(p.attributes, ['keywords', rule.keyword.toUpperCase()]);
    if (typeof k !== 'object' || k === null || Array.isArray(k)) return false;
    const { lastAt, count } = k as { lastAt?: unknown; count?: unknown };
    if (
      rule.since !== undefined &&
      !(typeof lastAt === 'string' && lastAt >= resolveTime(rule.since, now))
    )
      return false;
    if (
      rule.until !== undefined &&
      !(typeof lastAt === 'string' && lastAt < resolveTime(rule.until, now))
    )
      return false;
    if (rule.atLeast !== undefined && !(typeof count === 'number' && count >= rule.atLeast))
      return false;
    return true;
  }
  const v = get(p.attributes, rule.attribute.split('.'));
  const eq = (x: unknown) => v === x && v !== undefined;
  const cmp = (x: number | string, test: (a: number | string, b: number | string) => boolean) =>
    typeof x === 'number'
      ? typeof v === 'number' && test(v, x)
      : typeof v === 'string' && test(v, x);
  if ('eq' in rule) return eq(rule.eq);
  if ('neq' in rule) return !eq(rule.neq);
  if ('exists' in rule) return v !== undefined && v !== null;
  if ('notExists' in rule) return v === undefined || v === null;
  if ('in' in rule) return rule.in.some(eq);
  if ('gt' in rule) return cmp(rule.gt, (a, b) => a > b);
  if ('gte' in rule) return cmp(rule.gte, (a, b) => a >= b);
  if ('lt' in rule) return cmp(rule.lt, (a, b) => a < b);
  if ('lte' in rule) return cmp(rule.lte, (a, b) => a <= b);
  const needle = rule.contains;
  if (typeof needle === 'string' && typeof v === 'string') return v.includes(needle);
  return Array.isArray(v) && v.some((e) => e === needle);
}
