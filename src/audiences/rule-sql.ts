import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { DialectName } from '../db/dialect.js';
import { jsonSql, type JsonSql } from '../db/json-sql.js';
import { normalizeKeyword } from '../credentials/keywords.js';
import {
  resolveTime,
  type AttributeLeaf,
  type KeywordLeaf,
  type RuleLeaf,
  type SegmentRule,
  type TimeWindow,
} from './segment-rule.js';

/** Message statuses the `lastFailed` leaf counts: final and not delivered (suppressed is consent's). */
export const FAILED_STATUSES = ['undeliverable', 'expired', 'rejected', 'failed'] as const;

interface Context {
  json: JsonSql;
  now: Date;
}

const ATTRIBUTES = 'profiles.attributes';
const FALSE = sql<SqlBool>`(1 = 0)`;

/**
 * The rule as one SQL condition over the `profiles` table (referenced as `profiles`): every leaf
 * is definite (true or false, never NULL, so `not` is exact), every value a bound parameter.
 * Relative times (`30d`) are resolved against `now`.
 */
export function ruleCondition(
  rule: SegmentRule,
  dialect: DialectName,
  now: Date,
): RawBuilder<SqlBool> {
  return compile(rule, { json: jsonSql(dialect), now });
}

function compile(rule: SegmentRule, ctx: Context): RawBuilder<SqlBool> {
  if ('all' in rule)
    return join(
      rule.all.map((r) => compile(r, ctx)),
      'and',
    );
  if ('any' in rule)
    return join(
      rule.any.map((r) => compile(r, ctx)),
      'or',
    );
  if ('not' in rule) return sql<SqlBool>`(not ${compile(rule.not, ctx)})`;
  return sql<SqlBool>`coalesce(${leaf(rule, ctx)}, ${FALSE})`;
}

function join(parts: RawBuilder<SqlBool>[], op: 'and' | 'or'): RawBuilder<SqlBool> {
  return sql<SqlBool>`(${sql.join(parts, op === 'and' ? sql` and ` : sql` or `)})`;
}

function leaf(rule: RuleLeaf, ctx: Context): RawBuilder<SqlBool> {
  if ('consent' in rule) return sql<SqlBool>`(profiles.consent in (${sql.join(rule.consent.in)}))`;
  if ('country' in rule) return sql<SqlBool>`(profiles.region in (${sql.join(rule.country.in)}))`;
  if ('attribute' in rule) return attribute(rule, ctx);
  if ('keyword' in rule) return keyword(rule, ctx);
  if ('lastInbound' in rule)
    return latestIn(
      rule.lastInbound,
      ctx,
      (extra) =>
        sql<SqlBool>`exists (select 1 from inbound_messages im where im.sandbox = profiles.sandbox and im.from_number = profiles.phone${extra(sql.ref('im.received_at'))})`,
    );
  if ('lastDelivered' in rule) return delivery(rule.lastDelivered, ctx, ['delivered']);
  if ('lastFailed' in rule) return delivery(rule.lastFailed, ctx, FAILED_STATUSES);
  const never: never = rule;
  throw new Error(`unknown rule leaf ${JSON.stringify(never)}`);
}

function delivery(window: TimeWindow, ctx: Context, statuses: readonly string[]) {
  return latestIn(
    window,
    ctx,
    (extra) =>
      sql<SqlBool>`exists (select 1 from messages m where m.sandbox = profiles.sandbox and m.to_number = profiles.phone and m.status in (${sql.join(statuses)})${extra(sql`coalesce(m.done_at, m.updated_at)`)})`,
  );
}

/**
 * "The latest such timestamp exists and lies in the window" as index-friendly EXISTS tests:
 * one at or after the lower bound (and before the upper), and none at or after the upper.
 */
function latestIn(
  window: TimeWindow,
  ctx: Context,
  exists: (extra: (at: RawBuilder<unknown>) => RawBuilder<unknown>) => RawBuilder<SqlBool>,
): RawBuilder<SqlBool> {
  const lowers = [
    window.within !== undefined ? resolveTime(window.within, ctx.now) : undefined,
    window.after !== undefined ? resolveTime(window.after, ctx.now) : undefined,
  ].filter((t): t is string => t !== undefined);
  const lower = lowers.length > 0 ? lowers.sort().at(-1) : undefined;
  const upper = window.before !== undefined ? resolveTime(window.before, ctx.now) : undefined;
  const some = exists((at) =>
    lower !== undefined && upper !== undefined
      ? sql` and ${at} >= ${lower} and ${at} < ${upper}`
      : lower !== undefined
        ? sql` and ${at} >= ${lower}`
        : upper !== undefined
          ? sql` and ${at} < ${upper}`
          : sql``,
  );
  if (upper === undefined) return some;
  const later = exists((at) => sql` and ${at} >= ${upper}`);
  return sql<SqlBool>`(${some} and not ${later})`;
}

function attribute(rule: AttributeLeaf, ctx: Context): RawBuilder<SqlBool> {
  const path = rule.attribute.split('.');
  const { json } = ctx;
  const eq = (value: string | number | boolean): RawBuilder<SqlBool> =>
    typeof value === 'string'
      ? sql<SqlBool>`(${json.text(ATTRIBUTES, path)} = ${value})`
      : typeof value === 'number'
        ? sql<SqlBool>`(${json.number(ATTRIBUTES, path)} = ${json.numberParam(value)})`
        : json.isBoolean(ATTRIBUTES, path, value);
  const definite = (c: RawBuilder<SqlBool>) => sql<SqlBool>`coalesce(${c}, ${FALSE})`;
  const compare = (op: '>' | '>=' | '<' | '<=', value: number | string) =>
    typeof value === 'number'
      ? sql<SqlBool>`(${json.number(ATTRIBUTES, path)} ${sql.raw(op)} ${json.numberParam(value)})`
      : sql<SqlBool>`(${json.text(ATTRIBUTES, path)} ${sql.raw(op)} ${value})`;
  if ('eq' in rule) return eq(rule.eq);
  if ('neq' in rule) return sql<SqlBool>`(not ${definite(eq(rule.neq))})`;
  if ('exists' in rule) return json.isPresent(ATTRIBUTES, path);
  if ('notExists' in rule) return sql<SqlBool>`(not ${definite(json.isPresent(ATTRIBUTES, path))})`;
  if ('in' in rule)
    return join(
      rule.in.map((v) => definite(eq(v))),
      'or',
    );
  if ('gt' in rule) return compare('>', rule.gt);
  if ('gte' in rule) return compare('>=', rule.gte);
  if ('lt' in rule) return compare('<', rule.lt);
  if ('lte' in rule) return compare('<=', rule.lte);
  if ('contains' in rule) {
    const value = rule.contains;
    const inArray = definite(json.arrayHas(ATTRIBUTES, path, value));
    if (typeof value === 'number') return inArray;
    return sql<SqlBool>`(${definite(json.textContains(json.text(ATTRIBUTES, path), value))} or ${inArray})`;
  }
  const never: never = rule;
  throw new Error(`unknown attribute operator ${JSON.stringify(never)}`);
}

function keyword(rule: KeywordLeaf, ctx: Context): RawBuilder<SqlBool> {
  const base = ['keywords', normalizeKeyword(rule.keyword)];
  const { json } = ctx;
  const parts: RawBuilder<SqlBool>[] = [json.isObject(ATTRIBUTES, base)];
  const lastAt = json.text(ATTRIBUTES, [...base, 'lastAt']);
  if (rule.since !== undefined)
    parts.push(sql<SqlBool>`(${lastAt} >= ${resolveTime(rule.since, ctx.now)})`);
  if (rule.until !== undefined)
    parts.push(sql<SqlBool>`(${lastAt} < ${resolveTime(rule.until, ctx.now)})`);
  if (rule.atLeast !== undefined)
    parts.push(
      sql<SqlBool>`(${json.number(ATTRIBUTES, [...base, 'count'])} >= ${json.numberParam(rule.atLeast)})`,
    );
  return parts.length === 1
    ? parts[0]!
    : join(
        parts.map((p) => sql<SqlBool>`coalesce(${p}, ${FALSE})`),
        'and',
      );
}
