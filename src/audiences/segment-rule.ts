import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { AppError, type ErrorDetail } from '../errors.js';
import { CONSENT_STATES } from '../profiles/consent.js';

/**
 * A segment rule: leaves over a profile (consent, attributes, custom keywords, last inbound text,
 * delivery history, phone country) combined with `all`, `any` and `not`. Bounded so that one rule
 * compiles to one query of bounded size: at most {@link MAX_RULE_DEPTH} levels and
 * {@link MAX_RULE_LEAVES} leaves, every string and list bounded.
 */
export const MAX_RULE_DEPTH = 5;
export const MAX_RULE_LEAVES = 50;
export const MAX_IN_VALUES = 100;
const STRING_MAX = 200;

/** `plan`, `address.city`: up to 5 names, each starting with a letter or `_` (never an index). */
const ATTRIBUTE_PATH = '^[A-Za-z_][A-Za-z0-9_-]{0,63}(\\.[A-Za-z_][A-Za-z0-9_-]{0,63}){0,4}$';
/** An ISO-8601 date or date-time, as stored attributes and timestamps are written. */
const ISO_DATE =
  '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?(Z|[+-]\\d{2}:\\d{2})?)?$';
/** A span back from now: `90m`, `12h`, `30d`. */
const DURATION = '^\\d{1,5}[mhd]$';

const Duration = Type.String({
  maxLength: 6,
  pattern: DURATION,
  description: 'e.g. 30d, 12h, 90m',
});
const IsoDate = Type.String({ maxLength: 40, pattern: ISO_DATE });
/** A moment: an ISO-8601 date(-time), or a duration meaning that long before now. */
const TimeRef = Type.Union([IsoDate, Duration], {
  description: 'ISO-8601 date or date-time, or a duration back from now (30d, 12h, 90m)',
});
const Scalar = Type.Union([Type.String({ maxLength: STRING_MAX }), Type.Number(), Type.Boolean()]);
const Ordered = Type.Union([Type.Number(), IsoDate], {
  description: 'a number, or an ISO-8601 date compared as text',
});
const AttributePath = Type.String({ maxLength: 320, pattern: ATTRIBUTE_PATH });

const attributeLeaf = <K extends string, T extends TSchema>(op: K, value: T) =>
  Type.Object(
    { attribute: AttributePath, ...({ [op]: value } as { [P in K]: T }) },
    { additionalProperties: false },
  );

export const ConsentLeaf = Type.Object(
  {
    consent: Type.Object(
      {
        in: Type.Array(Type.Union(CONSENT_STATES.map((s) => Type.Literal(s))), {
          minItems: 1,
          maxItems: 4,
        }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const AttributeLeaf = Type.Union([
  attributeLeaf('eq', Scalar),
  attributeLeaf('neq', Scalar),
  attributeLeaf('exists', Type.Literal(true)),
  attributeLeaf('notExists', Type.Literal(true)),
  attributeLeaf('in', Type.Array(Scalar, { minItems: 1, maxItems: MAX_IN_VALUES })),
  attributeLeaf('gt', Ordered),
  attributeLeaf('gte', Ordered),
  attributeLeaf('lt', Ordered),
  attributeLeaf('lte', Ordered),
  attributeLeaf(
    'contains',
    Type.Union([Type.String({ minLength: 1, maxLength: STRING_MAX }), Type.Number()]),
  ),
]);

export const KeywordLeaf = Type.Object(
  {
    // Letters and digits (checked by ruleProblems: a `\p{L}` pattern needs the `u` flag).
    keyword: Type.String({ minLength: 1, maxLength: 32, description: 'letters and digits' }),
    since: Type.Optional(TimeRef),
    until: Type.Optional(TimeRef),
    atLeast: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);

/** The latest timestamp of something (a text received, a message delivered or failed). */
const Window = Type.Object(
  {
    within: Type.Optional(Duration),
    after: Type.Optional(TimeRef),
    before: Type.Optional(TimeRef),
  },
  { additionalProperties: false },
);
export const LastInboundLeaf = Type.Object(
  { lastInbound: Window },
  { additionalProperties: false },
);
export const LastDeliveredLeaf = Type.Object(
  { lastDelivered: Window },
  { additionalProperties: false },
);
export const LastFailedLeaf = Type.Object({ lastFailed: Window }, { additionalProperties: false });
export const CountryLeaf = Type.Object(
  {
    country: Type.Object(
      {
        in: Type.Array(Type.String({ maxLength: 2, pattern: '^[A-Z]{2}$' }), {
          minItems: 1,
          maxItems: MAX_IN_VALUES,
        }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const RuleLeaf = Type.Union([
  ConsentLeaf,
  AttributeLeaf,
  KeywordLeaf,
  LastInboundLeaf,
  LastDeliveredLeaf,
  LastFailedLeaf,
  CountryLeaf,
]);

/** A rule of at most `depth` levels; built level by level, as JSON Schema cannot bound recursion. */
function ruleOfDepth(depth: number): TSchema {
  if (depth <= 1) return RuleLeaf;
  const inner = ruleOfDepth(depth - 1);
  const list = Type.Array(inner, { minItems: 1, maxItems: MAX_RULE_LEAVES });
  return Type.Union([
    RuleLeaf,
    Type.Object({ all: list }, { additionalProperties: false }),
    Type.Object({ any: list }, { additionalProperties: false }),
    Type.Object({ not: inner }, { additionalProperties: false }),
  ]);
}

/** The rule's JSON Schema (depth bounded by construction; the leaf count by {@link ruleProblems}). */
export const SegmentRuleSchema = ruleOfDepth(MAX_RULE_DEPTH);

export type RuleLeaf = Static<typeof RuleLeaf>;
export type AttributeLeaf = Static<typeof AttributeLeaf>;
export type KeywordLeaf = Static<typeof KeywordLeaf>;
export type TimeWindow = Static<typeof Window>;
/** A segment rule (see {@link SegmentRuleSchema}). */
export type SegmentRule =
  RuleLeaf | { all: SegmentRule[] } | { any: SegmentRule[] } | { not: SegmentRule };

const RULE_KINDS = [
  'all',
  'any',
  'not',
  'consent',
  'attribute',
  'keyword',
  'lastInbound',
  'lastDelivered',
  'lastFailed',
  'country',
] as const;
export const ATTRIBUTE_OPERATORS = [
  'eq',
  'neq',
  'exists',
  'notExists',
  'in',
  'gt',
  'gte',
  'lt',
  'lte',
  'contains',
] as const;
export type AttributeOperator = (typeof ATTRIBUTE_OPERATORS)[number];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const describeValue = (v: unknown): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `"${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${v}`;
  return typeof v;
};
const escapeKey = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');
const matches = (pattern: string, v: unknown): v is string =>
  typeof v === 'string' && new RegExp(pattern, 'u').test(v);

/**
 * Every problem of a rule, each naming its path (under `base`) and what is allowed. The rule's
 * own walker rather than the schema validator's errors: a union of ten leaf shapes gives ten
 * failures per bad node, where the author needs one sentence naming the allowed operators.
 */
export function ruleProblems(value: unknown, base = '/rule'): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  let leaves = 0;
  const problem = (path: string, message: string) => {
    if (problems.length < 100) problems.push({ path, message });
  };

  const checkString = (
    path: string,
    v: unknown,
    what: string,
    opts: { max: number; pattern?: string; min?: number },
  ) => {
    if (typeof v !== 'string') return problem(path, `must be ${what} (got ${describeValue(v)})`);
    // UTF-16 units, as TypeBox's Value.Check counts maxLength (an emoji is two).
    const length = v.length;
    if (length > opts.max) return problem(path, `must be at most ${opts.max} characters`);
    if (opts.min !== undefined && length < opts.min)
      return problem(path, `must be at least ${opts.min} character`);
    if (opts.pattern && !matches(opts.pattern, v))
      problem(path, `must be ${what} (got ${describeValue(v)})`);
  };
  const checkTime = (path: string, v: unknown, durationOnly = false) => {
    const ok = matches(DURATION, v) || (!durationOnly && matches(ISO_DATE, v) && isValidDate(v));
    if (!ok)
      problem(
        path,
        durationOnly
          ? `must be a duration such as 30d, 12h or 90m (got ${describeValue(v)})`
          : `must be an ISO-8601 date or date-time, or a duration such as 30d, 12h or 90m (got ${describeValue(v)})`,
      );
  };
  const checkKeys = (path: string, v: Record<string, unknown>, allowed: readonly string[]) => {
    for (const key of Object.keys(v))
      if (!allowed.includes(key))
        problem(`${path}/${escapeKey(key)}`, `is not allowed here; allowed: ${allowed.join(', ')}`);
  };
  const checkScalar = (path: string, v: unknown) => {
    if (typeof v === 'string') checkString(path, v, 'a string', { max: STRING_MAX });
    else if (typeof v === 'number') {
      if (!Number.isFinite(v)) problem(path, 'must be a finite number');
    } else if (typeof v !== 'boolean')
      problem(path, `must be a string, number or boolean (got ${describeValue(v)})`);
  };
  const checkWindow = (path: string, v: unknown) => {
    if (!isObject(v))
      return problem(
        path,
        `must be an object with any of: within, after, before (got ${describeValue(v)})`,
      );
    checkKeys(path, v, ['within', 'after', 'before']);
    if (v.within !== undefined) checkTime(`${path}/within`, v.within, true);
    if (v.after !== undefined) checkTime(`${path}/after`, v.after);
    if (v.before !== undefined) checkTime(`${path}/before`, v.before);
  };

  const checkAttribute = (path: string, v: Record<string, unknown>) => {
    checkString(
      `${path}/attribute`,
      v.attribute,
      'a dotted attribute path such as plan or address.city',
      {
        max: 320,
        pattern: ATTRIBUTE_PATH,
      },
    );
    const ops = Object.keys(v).filter((k) => k !== 'attribute');
    const unknown = ops.filter((k) => !(ATTRIBUTE_OPERATORS as readonly string[]).includes(k));
    for (const key of unknown)
      problem(
        `${path}/${escapeKey(key)}`,
        `is not an attribute operator; allowed: ${ATTRIBUTE_OPERATORS.join(', ')}`,
      );
    const known = ops.filter((k) => !unknown.includes(k)) as AttributeOperator[];
    if (known.length !== 1 && unknown.length === 0) {
      problem(
        path,
        `needs exactly one operator besides attribute (${known.length > 0 ? `got ${known.join(', ')}` : 'none given'}); allowed: ${ATTRIBUTE_OPERATORS.join(', ')}`,
      );
    }
    for (const op of known) {
      const at = `${path}/${op}`;
      const operand = v[op];
      switch (op) {
        case 'eq':
        case 'neq':
          checkScalar(at, operand);
          break;
        case 'exists':
        case 'notExists':
          if (operand !== true) problem(at, `must be true (got ${describeValue(operand)})`);
          break;
        case 'in':
          if (!Array.isArray(operand) || operand.length === 0 || operand.length > MAX_IN_VALUES)
            problem(at, `must be an array of 1 to ${MAX_IN_VALUES} strings, numbers or booleans`);
          else operand.forEach((item, i) => checkScalar(`${at}/${i}`, item));
          break;
        case 'gt':
        case 'gte':
        case 'lt':
        case 'lte':
          if (typeof operand === 'number') {
            if (!Number.isFinite(operand)) problem(at, 'must be a finite number');
          } else if (!(matches(ISO_DATE, operand) && isValidDate(operand)))
            problem(at, `must be a number or an ISO-8601 date (got ${describeValue(operand)})`);
          break;
        case 'contains':
          if (typeof operand === 'number') {
            if (!Number.isFinite(operand)) problem(at, 'must be a finite number');
          } else checkString(at, operand, 'a string or a number', { max: STRING_MAX, min: 1 });
          break;
      }
    }
  };

  const walk = (v: unknown, path: string, depth: number) => {
    if (!isObject(v))
      return problem(path, `must be an object with one of: ${RULE_KINDS.join(', ')}`);
    const kinds = Object.keys(v).filter((k) => (RULE_KINDS as readonly string[]).includes(k));
    if (kinds.length !== 1)
      return problem(
        path,
        `must have exactly one of: ${RULE_KINDS.join(', ')} (got ${Object.keys(v).slice(0, 5).join(', ') || 'none'})`,
      );
    const kind = kinds[0]!;
    const combinator = kind === 'all' || kind === 'any' || kind === 'not';
    if (combinator) {
      checkKeys(path, v, [kind]);
      if (depth >= MAX_RULE_DEPTH)
        return problem(
          `${path}/${kind}`,
          `nests too deep: a rule has at most ${MAX_RULE_DEPTH} levels`,
        );
      if (kind === 'not') return walk(v.not, `${path}/not`, depth + 1);
      const list = v[kind];
      if (!Array.isArray(list) || list.length === 0 || list.length > MAX_RULE_LEAVES)
        return problem(`${path}/${kind}`, `must be an array of 1 to ${MAX_RULE_LEAVES} rules`);
      list.forEach((child, i) => walk(child, `${path}/${kind}/${i}`, depth + 1));
      return;
    }
    leaves++;
    switch (kind) {
      case 'consent': {
        checkKeys(path, v, ['consent']);
        const c = v.consent;
        if (!isObject(c) || !Array.isArray(c.in) || c.in.length === 0)
          return problem(
            `${path}/consent`,
            `must be {"in": [...]} with any of: ${CONSENT_STATES.join(', ')}`,
          );
        checkKeys(`${path}/consent`, c, ['in']);
        c.in.forEach((s, i) => {
          if (!(CONSENT_STATES as readonly unknown[]).includes(s))
            problem(`${path}/consent/in/${i}`, `must be one of: ${CONSENT_STATES.join(', ')}`);
        });
        if (c.in.length > CONSENT_STATES.length)
          problem(`${path}/consent/in`, `has at most ${CONSENT_STATES.length} states`);
        return;
      }
      case 'attribute':
        return checkAttribute(path, v);
      case 'keyword': {
        checkKeys(path, v, ['keyword', 'since', 'until', 'atLeast']);
        checkString(`${path}/keyword`, v.keyword, 'a keyword of letters and digits', {
          max: 32,
          min: 1,
          pattern: '^[\\p{L}\\p{N}]+$',
        });
        if (v.since !== undefined) checkTime(`${path}/since`, v.since);
        if (v.until !== undefined) checkTime(`${path}/until`, v.until);
        if (
          v.atLeast !== undefined &&
          !(
            Number.isInteger(v.atLeast) &&
            (v.atLeast as number) >= 1 &&
            (v.atLeast as number) <= 1_000_000
          )
        )
          problem(`${path}/atLeast`, 'must be an integer from 1 to 1000000');
        return;
      }
      case 'lastInbound':
      case 'lastDelivered':
      case 'lastFailed':
        checkKeys(path, v, [kind]);
        return checkWindow(`${path}/${kind}`, v[kind]);
      case 'country': {
        checkKeys(path, v, ['country']);
        const c = v.country;
        if (
          !isObject(c) ||
          !Array.isArray(c.in) ||
          c.in.length === 0 ||
          c.in.length > MAX_IN_VALUES
        )
          return problem(
            `${path}/country`,
            `must be {"in": [...]} with 1 to ${MAX_IN_VALUES} ISO 3166 region codes such as US, GB`,
          );
        checkKeys(`${path}/country`, c, ['in']);
        c.in.forEach((r, i) => {
          if (!matches('^[A-Z]{2}$', r))
            problem(
              `${path}/country/in/${i}`,
              `must be an ISO 3166 region code such as US (got ${describeValue(r)})`,
            );
        });
        return;
      }
    }
  };
  walk(value, base, 1);
  if (leaves > MAX_RULE_LEAVES)
    problem(base, `has ${leaves} leaves; a rule has at most ${MAX_RULE_LEAVES}`);
  return problems;
}

function isValidDate(v: string): boolean {
  return !Number.isNaN(Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v));
}

/** The rule, checked: a 400 (`validation_failed`) naming every bad node and what it allows. */
export function parseSegmentRule(value: unknown, base = '/rule'): SegmentRule {
  const problems = ruleProblems(value, base);
  if (problems.length > 0)
    throw new AppError('validation_failed', 'The segment rule is not valid.', problems);
  // The walker and the schema describe one grammar; a rule one accepts and the other does not
  // is a bug here, not the caller's.
  if (!Value.Check(SegmentRuleSchema, value))
    throw new Error('segment rule accepted by ruleProblems but not by SegmentRuleSchema');
  return value as SegmentRule;
}

/** The number of leaves of a rule. */
export function ruleLeaves(rule: SegmentRule): number {
  if ('all' in rule) return rule.all.reduce((n, r) => n + ruleLeaves(r), 0);
  if ('any' in rule) return rule.any.reduce((n, r) => n + ruleLeaves(r), 0);
  if ('not' in rule) return ruleLeaves(rule.not);
  return 1;
}

/** A time reference resolved against `now`, in the stored form (`toISOString`). */
export function resolveTime(ref: string, now: Date): string {
  const duration = /^(\d{1,5})([mhd])$/.exec(ref);
  if (duration) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[duration[2] as 'm' | 'h' | 'd'];
    return new Date(now.getTime() - Number(duration[1]) * unit).toISOString();
  }
  return new Date(ref.length === 10 ? `${ref}T00:00:00Z` : ref).toISOString();
}
