/**
 * The rule builder's model, and its translation to and from the server's segment rule AST
 * (src/audiences/segment-rule.ts). One top-level group (all / any) of conditions, each
 * optionally negated; a rule the builder cannot show is edited as JSON instead.
 */
import type { Consent, SegmentRule } from '../../api';

export type AttributeOp =
  'eq' | 'neq' | 'exists' | 'notExists' | 'in' | 'gt' | 'gte' | 'lt' | 'lte' | 'contains';

export const ATTRIBUTE_OPS: { op: AttributeOp; label: string }[] = [
  { op: 'eq', label: 'equals' },
  { op: 'neq', label: 'does not equal' },
  { op: 'exists', label: 'is set' },
  { op: 'notExists', label: 'is not set' },
  { op: 'in', label: 'is one of' },
  { op: 'gt', label: '>' },
  { op: 'gte', label: '≥' },
  { op: 'lt', label: '<' },
  { op: 'lte', label: '≤' },
  { op: 'contains', label: 'contains' },
];

export type Condition = { key: string; negate: boolean } & (
  | { kind: 'consent'; values: Consent[] }
  | { kind: 'keyword'; keyword: string; withinDays: string; atLeast: string }
  | { kind: 'attribute'; name: string; op: AttributeOp; value: string }
  | { kind: 'lastInbound'; mode: 'within' | 'before'; days: string }
  | { kind: 'delivery'; outcome: 'delivered' | 'failed'; days: string }
  | { kind: 'country'; regions: string }
);

export type ConditionKind = Condition['kind'];

export const KINDS: { kind: ConditionKind; label: string }[] = [
  { kind: 'consent', label: 'Consent' },
  { kind: 'keyword', label: 'Texted a keyword' },
  { kind: 'attribute', label: 'Attribute' },
  { kind: 'lastInbound', label: 'Last inbound text' },
  { kind: 'delivery', label: 'Delivery history' },
  { kind: 'country', label: 'Phone country' },
];

export interface RuleModel {
  combine: 'all' | 'any';
  conditions: Condition[];
}

let counter = 0;
const nextKey = () => `c${++counter}`;

export function newCondition(kind: ConditionKind): Condition {
  const base = { key: nextKey(), negate: false };
  switch (kind) {
    case 'consent':
      return { ...base, kind, values: ['subscribed'] };
    case 'keyword':
      return { ...base, kind, keyword: '', withinDays: '', atLeast: '' };
    case 'attribute':
      return { ...base, kind, name: '', op: 'eq', value: '' };
    case 'lastInbound':
      return { ...base, kind, mode: 'within', days: '30' };
    case 'delivery':
      return { ...base, kind, outcome: 'delivered', days: '30' };
    case 'country':
      return { ...base, kind, regions: '' };
  }
}

/** A number typed as text: a number when it is one, else the text (the server names it). */
function numberOrText(text: string): number | string {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text.trim();
}

/** An attribute operand: numbers for the ordered comparisons (or an ISO date, as typed). */
function attributeValue(op: AttributeOp, text: string): unknown {
  if (op === 'exists' || op === 'notExists') return true;
  if (op === 'in')
    return text
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
  if (op === 'gt' || op === 'gte' || op === 'lt' || op === 'lte' || op === 'contains')
    return numberOrText(text);
  return text;
}

/** Days typed as a number: the server's duration (`30d`), relative to each count or send. */
const duration = (days: string) => `${days.trim()}d`;

function leaf(c: Condition): SegmentRule {
  switch (c.kind) {
    case 'consent':
      return { consent: { in: c.values } };
    case 'keyword':
      return {
        keyword: c.keyword.trim().toUpperCase(),
        ...(c.withinDays.trim() ? { since: duration(c.withinDays) } : {}),
        ...(c.atLeast.trim() ? { atLeast: numberOrText(c.atLeast) } : {}),
      };
    case 'attribute':
      return { attribute: c.name.trim(), [c.op]: attributeValue(c.op, c.value) };
    case 'lastInbound':
      return { lastInbound: { [c.mode]: duration(c.days) } };
    case 'delivery':
      return {
        [c.outcome === 'delivered' ? 'lastDelivered' : 'lastFailed']: { within: duration(c.days) },
      };
    case 'country':
      return {
        country: {
          in: c.regions
            .split(',')
            .map((r) => r.trim().toUpperCase())
            .filter(Boolean),
        },
      };
  }
}

/** The AST the API takes; null when there is no condition (a group needs at least one). */
export function toRule(model: RuleModel): SegmentRule | null {
  if (model.conditions.length === 0) return null;
  const rules = model.conditions.map((c) => (c.negate ? { not: leaf(c) } : leaf(c)));
  return model.combine === 'all' ? { all: rules } : { any: rules };
}

/** A scalar as text ('' for anything else). */
const scalarText = (v: unknown): string =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `30d` back to `30`; anything else (an ISO date, hours) the builder cannot show. */
function daysOf(value: unknown): string | null {
  if (value === undefined) return '';
  const m = typeof value === 'string' ? /^(\d{1,5})d$/.exec(value) : null;
  return m?.[1] ?? null;
}

function fromLeaf(rule: unknown): Condition | null {
  if (!isObject(rule)) return null;
  const base = { key: nextKey(), negate: false };
  if (isObject(rule.not)) {
    const inner = fromLeaf(rule.not);
    return inner ? { ...inner, negate: !inner.negate } : null;
  }
  if (isObject(rule.consent) && Array.isArray(rule.consent.in))
    return { ...base, kind: 'consent', values: rule.consent.in as Consent[] };
  if (typeof rule.keyword === 'string') {
    const withinDays = daysOf(rule.since);
    if (withinDays === null || rule.until !== undefined) return null;
    return {
      ...base,
      kind: 'keyword',
      keyword: rule.keyword,
      withinDays,
      atLeast: rule.atLeast === undefined ? '' : scalarText(rule.atLeast),
    };
  }
  if (typeof rule.attribute === 'string') {
    const op = ATTRIBUTE_OPS.find((o) => o.op in rule)?.op;
    if (!op) return null;
    const value = rule[op];
    return {
      ...base,
      kind: 'attribute',
      name: rule.attribute,
      op,
      value: Array.isArray(value)
        ? value.join(', ')
        : op === 'exists' || op === 'notExists'
          ? ''
          : scalarText(value),
    };
  }
  if (isObject(rule.lastInbound)) {
    const keys = Object.keys(rule.lastInbound);
    const mode = keys[0];
    if (keys.length !== 1 || (mode !== 'within' && mode !== 'before')) return null;
    const days = daysOf(rule.lastInbound[mode]);
    return days ? { ...base, kind: 'lastInbound', mode, days } : null;
  }
  for (const outcome of ['delivered', 'failed'] as const) {
    const value = rule[outcome === 'delivered' ? 'lastDelivered' : 'lastFailed'];
    if (!isObject(value)) continue;
    const days = Object.keys(value).length === 1 ? daysOf(value.within) : null;
    return days ? { ...base, kind: 'delivery', outcome, days } : null;
  }
  if (isObject(rule.country) && Array.isArray(rule.country.in))
    return { ...base, kind: 'country', regions: (rule.country.in as string[]).join(', ') };
  return null;
}

/** The builder's model of a saved rule, or null when the builder cannot show it. */
export function fromRule(rule: unknown): RuleModel | null {
  if (!isObject(rule)) return null;
  const combine = Array.isArray(rule.all) ? 'all' : Array.isArray(rule.any) ? 'any' : null;
  const items = combine ? (rule[combine] as unknown[]) : [rule];
  const conditions: Condition[] = [];
  for (const item of items) {
    const c = fromLeaf(item);
    if (!c) return null;
    conditions.push(c);
  }
  return { combine: combine ?? 'all', conditions };
}
