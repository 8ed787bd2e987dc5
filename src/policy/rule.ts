import { Type, type Static } from '@sinclair/typebox';
import { getCountries } from 'libphonenumber-js/max';
import type { ErrorDetail } from '../errors.js';
import { holidayCalendarKnown, HOLIDAY_CALENDARS } from './holidays.js';
import { zoneProblem } from './locate.js';
import { stateOf } from './us-states.js';

/** Weekday keys of a window, Monday first (ISO order). */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** `HH:MM` on a 24-hour clock; an end may be `24:00` (midnight at the end of the day). */
export const HHMM_PATTERN = '^(?:[01]\\d|2[0-3]):[0-5]\\d$|^24:00$';

export const RULE_ID_MAX = 64;
export const RULE_NAME_MAX = 200;
export const RULE_SOURCE_MAX = 500;
export const RULE_CONFIDENCE_MAX = 300;
/** Windows on one day; two cover a lunch break, eight is far past any statute. */
export const WINDOWS_PER_DAY_MAX = 8;
/** A cap's rolling window: at most 31 days, so its count stays one bounded index range. */
export const CAP_WINDOW_HOURS_MAX = 744;
export const CAP_MAX = 10_000;

const Hhmm = Type.String({ pattern: HHMM_PATTERN, minLength: 5, maxLength: 5 });
const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', minLength: 10, maxLength: 10 });

export const TimeRangeSchema = Type.Object(
  { start: Hhmm, end: Hhmm },
  { additionalProperties: false },
);

const DayWindows = Type.Array(TimeRangeSchema, { maxItems: WINDOWS_PER_DAY_MAX });

export const WindowSchema = Type.Object(
  {
    /** `recipient`: the recipient's zone (locateRecipient); `fixed`: `timeZone` for everyone. */
    timeZoneFrom: Type.Union([Type.Literal('recipient'), Type.Literal('fixed')]),
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** Every weekday is listed; an empty list closes that day. */
    days: Type.Object(
      Object.fromEntries(WEEKDAYS.map((d) => [d, DayWindows])) as Record<
        Weekday,
        typeof DayWindows
      >,
      { additionalProperties: false },
    ),
    /** A holiday calendar id (see holidays.ts); on its dates the window is closed. */
    holidays: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
  },
  { additionalProperties: false },
);

export const CapSchema = Type.Object(
  {
    max: Type.Integer({ minimum: 1, maximum: CAP_MAX }),
    windowHours: Type.Integer({ minimum: 1, maximum: CAP_WINDOW_HOURS_MAX }),
    per: Type.Union([Type.Literal('number'), Type.Literal('subject')]),
  },
  { additionalProperties: false },
);

export const ScopeSchema = Type.Union([
  Type.Object(
    {
      country: Type.String({ pattern: '^[A-Z]{2}$', minLength: 2, maxLength: 2 }),
      region: Type.Optional(
        Type.String({ pattern: '^[A-Z0-9]{1,3}$', minLength: 1, maxLength: 3 }),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Object({ everywhere: Type.Literal(true) }, { additionalProperties: false }),
]);

export const ExemptSchema = Type.Object(
  { transactional: Type.Boolean(), oneTimeCodes: Type.Boolean() },
  { additionalProperties: false },
);

/** A send-time rule: a window in the recipient's local time, or a frequency cap. */
export const PolicyRuleSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: RULE_ID_MAX }),
    name: Type.String({ minLength: 1, maxLength: RULE_NAME_MAX }),
    scope: ScopeSchema,
    kind: Type.Union([Type.Literal('window'), Type.Literal('cap')]),
    window: Type.Optional(WindowSchema),
    cap: Type.Optional(CapSchema),
    outside: Type.Union([Type.Literal('hold'), Type.Literal('drop')]),
    exempt: ExemptSchema,
    source: Type.String({ minLength: 1, maxLength: RULE_SOURCE_MAX }),
    /** Where the source could not be confirmed from a primary text ("U" in the table). */
    confidence: Type.Optional(Type.String({ maxLength: RULE_CONFIDENCE_MAX })),
    effectiveFrom: IsoDate,
    effectiveUntil: Type.Optional(Type.Union([IsoDate, Type.Null()])),
    origin: Type.Union([Type.Literal('shipped'), Type.Literal('sandbox')]),
    /** A sandbox rule that replaces the shipped rule of this id in its sandbox. */
    overrides: Type.Optional(Type.Union([Type.String({ maxLength: RULE_ID_MAX }), Type.Null()])),
    enabled: Type.Boolean(),
    version: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);

export type PolicyRule = Static<typeof PolicyRuleSchema>;
export type PolicyWindow = Static<typeof WindowSchema>;
export type PolicyCap = Static<typeof CapSchema>;
export type PolicyScope = Static<typeof ScopeSchema>;
export type TimeRange = Static<typeof TimeRangeSchema>;

/** Minutes since local midnight of `HH:MM` (`24:00` is 1440). */
export function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** Whether a rule is in force on `date` (YYYY-MM-DD): a rule dated in the future does not apply yet. */
export function ruleInForce(rule: PolicyRule, date: string): boolean {
  if (!rule.enabled) return false;
  if (rule.effectiveFrom > date) return false;
  if (rule.effectiveUntil != null && rule.effectiveUntil < date) return false;
  return true;
}

const COUNTRIES = new Set<string>(getCountries());

/**
 * What is wrong with a rule beyond its schema, each problem naming its field under `base`
 * (`/body`): a window that ends before it starts, two windows of one day that overlap, an unknown
 * zone, holiday calendar, country or region, a kind without its part, dates that are not dates.
 */
export function ruleProblems(rule: PolicyRule, base = ''): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const at = (path: string, message: string) => problems.push({ path: `${base}${path}`, message });
  if (rule.kind === 'window' && !rule.window) at('/window', 'a window rule needs `window`');
  if (rule.kind === 'cap' && !rule.cap) at('/cap', 'a cap rule needs `cap`');
  if (rule.kind === 'window' && rule.cap) at('/cap', 'a window rule has no `cap`');
  if (rule.kind === 'cap' && rule.window) at('/window', 'a cap rule has no `window`');
  if ('country' in rule.scope) {
    const { country, region } = rule.scope;
    if (!COUNTRIES.has(country))
      at('/scope/country', `unknown country code ${JSON.stringify(country)} (ISO 3166-1 alpha-2)`);
    if (region !== undefined) {
      if (country !== 'US')
        at('/scope/region', 'regions are located for US numbers only (a state code such as FL)');
      else if (!/^[A-Z]{2}$/.test(region) || !stateOf(region))
        at('/scope/region', `unknown US state code ${JSON.stringify(region)}`);
    }
  }
  if (rule.window) {
    const w = rule.window;
    if (w.timeZoneFrom === 'fixed') {
      if (w.timeZone === undefined)
        at(
          '/window/timeZone',
          'a fixed window needs `timeZone` (an IANA zone such as Asia/Kolkata)',
        );
      else {
        const problem = zoneProblem(w.timeZone);
        if (problem)
          at('/window/timeZone', `${problem}: ${JSON.stringify(w.timeZone.slice(0, 64))}`);
      }
    } else if (w.timeZone !== undefined) {
      at('/window/timeZone', 'only a window with timeZoneFrom "fixed" names a zone');
    }
    if (w.holidays !== undefined && !holidayCalendarKnown(w.holidays)) {
      at(
        '/window/holidays',
        `unknown holiday calendar; allowed: ${Object.keys(HOLIDAY_CALENDARS).join(', ')}`,
      );
    }
    for (const day of WEEKDAYS) {
      const ranges = w.days[day];
      ranges.forEach((r, i) => {
        if (r.start === '24:00')
          at(`/window/days/${day}/${i}/start`, 'a window starts at 23:59 at the latest');
        if (minutesOf(r.end) <= minutesOf(r.start))
          at(
            `/window/days/${day}/${i}/end`,
            `must be after start (${r.start}); a window does not run past midnight, split it over two days`,
          );
      });
      const sorted = ranges
        .map((r, i) => ({ ...r, i }))
        .sort((a, b) => minutesOf(a.start) - minutesOf(b.start));
      for (let k = 1; k < sorted.length; k++) {
        const prev = sorted[k - 1]!;
        const cur = sorted[k]!;
        if (minutesOf(cur.start) < minutesOf(prev.end)) {
          at(
            `/window/days/${day}/${cur.i}`,
            `overlaps window ${prev.i} (${prev.start}–${prev.end}) of the same day`,
          );
        }
      }
    }
  }
  if (!realDate(rule.effectiveFrom)) at('/effectiveFrom', 'not a calendar date (YYYY-MM-DD)');
  if (rule.effectiveUntil != null) {
    if (!realDate(rule.effectiveUntil)) at('/effectiveUntil', 'not a calendar date (YYYY-MM-DD)');
    else if (rule.effectiveUntil < rule.effectiveFrom)
      at('/effectiveUntil', 'must not be before effectiveFrom');
  }
  return problems;
}

function realDate(value: string): boolean {
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}
