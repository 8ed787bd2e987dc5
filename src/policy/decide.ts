import { isHoliday } from './holidays.js';
import type { Location } from './locate.js';
import { minutesOf, ruleInForce, WEEKDAYS, type PolicyRule, type PolicyWindow } from './rule.js';
import { instantOf, localTime } from './zoned-time.js';

/** What the policy needs to know about one message. */
export interface DecideInput {
  to: string;
  messageType: 'marketing' | 'transactional';
  oneTimeCode?: boolean;
  /** The message's origin (src/messages/message.ts MessageOrigin); see ALWAYS_SENT_ORIGINS. */
  origin: string;
  location: Location;
  /** ISO instant after which the message is worthless: a hold never outlives it. */
  validUntil: string;
  /** Campaign id or template category; a cap `per: 'subject'` counts sends on it. */
  subject: string | null;
  /**
   * Accepted marketing sends within each cap's window: to this number, and to this number on
   * this subject. `byRule` (rule id → count) wins for a rule it lists, for caps whose windows
   * differ; PolicyService fills it.
   */
  recentSends: { number: number; subject: number; byRule?: Record<string, number> };
}

export type Decision =
  | { action: 'send' }
  | { action: 'hold'; until: string; rule: string; source: Location['source'] }
  | { action: 'drop'; reason: DropReason; rule: string; source: Location['source'] };

export const DROP_REASONS = [
  'quiet_hours',
  'frequency_cap',
  'hold_past_validity',
  'no_window',
  'time_zone_unknown',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/**
 * Origins that always go out: the single opt-out confirmation FCC 24-24 allows (`opt_out_reply`)
 * and the replies to an inbound text (`reply`: src/inbound queues HELP, START and keyword answers
 * with it), which answer the recipient at the hour they wrote.
 */
export const ALWAYS_SENT_ORIGINS: readonly string[] = ['opt_out_reply', 'reply'];

/** How far ahead the next open window is looked for (days); none by then → drop `no_window`. */
export const NEXT_WINDOW_DAYS_MAX = 14;
const DAY_MS = 86_400_000;
// Each round moves the candidate instant to a later window opening; windows per day are bounded
// (8 per rule), so this bounds the search without depending on the rules' shapes.
const JOINT_ROUNDS_MAX = 200;

/** Whether `rule` reaches a message of this type: exemptions are per rule. */
export function ruleReaches(
  rule: PolicyRule,
  messageType: DecideInput['messageType'],
  oneTimeCode?: boolean,
): boolean {
  if (messageType === 'marketing') return true;
  return oneTimeCode ? !rule.exempt.oneTimeCodes : !rule.exempt.transactional;
}

/** Whether the rule's scope covers the location. */
export function scopeCovers(rule: PolicyRule, location: Location): boolean {
  if ('everywhere' in rule.scope) return true;
  if (rule.scope.country !== location.country) return false;
  return rule.scope.region === undefined || rule.scope.region === location.region;
}

/** The rules that reach this message at `now` (in force, in scope, not exempted). */
export function applicableRules(
  rules: readonly PolicyRule[],
  input: Pick<DecideInput, 'messageType' | 'oneTimeCode' | 'origin' | 'location'>,
  now: Date,
): PolicyRule[] {
  if (ALWAYS_SENT_ORIGINS.includes(input.origin)) return [];
  const today = now.toISOString().slice(0, 10);
  return rules.filter(
    (r) =>
      ruleInForce(r, today) &&
      scopeCovers(r, input.location) &&
      ruleReaches(r, input.messageType, input.oneTimeCode),
  );
}

/**
 * What to do with a message now: send, hold until a window opens, or drop with a coded reason.
 * Pure. Every applicable rule must allow the send (the strictest wins): a drop beats a hold, and
 * a hold waits until every window is open at once, in every zone the recipient may be in.
 */
export function decide(input: DecideInput, rules: readonly PolicyRule[], now: Date): Decision {
  const applicable = applicableRules(rules, input, now);
  if (applicable.length === 0) return { action: 'send' };
  const source = input.location.source;
  const nowMs = now.getTime();

  // Caps: over the count now means drop, or (outside: 'hold') wait a whole cap window, after
  // which every counted send has left it. Counts alone cannot say sooner.
  let notBefore = nowMs;
  let holdRule: string | null = null;
  for (const rule of applicable) {
    if (rule.kind !== 'cap' || !rule.cap) continue;
    const count =
      input.recentSends.byRule?.[rule.id] ??
      (rule.cap.per === 'subject' && input.subject !== null
        ? input.recentSends.subject
        : input.recentSends.number);
    if (count < rule.cap.max) continue;
    if (rule.outside === 'drop')
      return { action: 'drop', reason: 'frequency_cap', rule: rule.id, source };
    const until = nowMs + rule.cap.windowHours * 3_600_000;
    if (until > notBefore) {
      notBefore = until;
      holdRule = rule.id;
    }
  }

  const windows = applicable.filter((r) => r.kind === 'window' && r.window);
  const zones =
    input.location.timeZones ?? (input.location.timeZone ? [input.location.timeZone] : []);
  const needsZone = windows.find((r) => r.window!.timeZoneFrom === 'recipient');
  if (needsZone && zones.length === 0) {
    return { action: 'drop', reason: 'time_zone_unknown', rule: needsZone.id, source };
  }
  const constraints = windows.flatMap((rule) =>
    rule.window!.timeZoneFrom === 'fixed' && rule.window!.timeZone
      ? [{ rule, zone: rule.window!.timeZone }]
      : zones.map((zone) => ({ rule, zone })),
  );

  if (notBefore === nowMs) {
    const closed = constraints.filter((c) => nextOpening(c.rule.window!, c.zone, nowMs) !== nowMs);
    if (closed.length === 0) return { action: 'send' };
    const dropping = closed.find((c) => c.rule.outside === 'drop');
    if (dropping) return { action: 'drop', reason: 'quiet_hours', rule: dropping.rule.id, source };
    holdRule = closed[0]!.rule.id;
  }

  const joint = jointOpening(constraints, notBefore, nowMs + NEXT_WINDOW_DAYS_MAX * DAY_MS);
  if (joint === null)
    return { action: 'drop', reason: 'no_window', rule: holdRule ?? windows[0]!.id, source };
  const rule = joint.rule ?? holdRule ?? windows[0]!.id;
  const validUntil = Date.parse(input.validUntil);
  if (!Number.isFinite(validUntil) || joint.at > validUntil) {
    return { action: 'drop', reason: 'hold_past_validity', rule, source };
  }
  return { action: 'hold', until: new Date(joint.at).toISOString(), rule, source };
}

/**
 * The first instant at or after `from` (and before `horizon`) when every window is open, and the
 * rule that opened last (the one the hold waits for); null when there is none.
 */
function jointOpening(
  constraints: { rule: PolicyRule; zone: string }[],
  from: number,
  horizon: number,
): { at: number; rule: string | null } | null {
  let at = from;
  let rule: string | null = null;
  const byId = new Map(constraints.map((c) => [c.rule.id, c.rule]));
  const specificityOf = (id: string | null) => {
    const r = id === null ? undefined : byId.get(id);
    return r ? specificity(r) : -1;
  };
  for (let round = 0; round < JOINT_ROUNDS_MAX; round++) {
    let latest = at;
    let latestRule: string | null = null;
    for (const c of constraints) {
      const open = nextOpening(c.rule.window!, c.zone, at);
      if (open === null) return null;
      // On a tie the narrower rule is named (Florida's, not the federal one, at 23:00 in Miami).
      if (
        open > latest ||
        (open === latest && open > at && specificity(c.rule) > specificityOf(latestRule))
      ) {
        latest = open;
        latestRule = c.rule.id;
      }
    }
    if (latest === at) return { at, rule };
    if (latest > horizon) return null;
    at = latest;
    rule = latestRule;
  }
  return null;
}

/** 2 for a region's rule, 1 for a country's, 0 for one everywhere. */
function specificity(rule: PolicyRule): number {
  if ('everywhere' in rule.scope) return 0;
  return rule.scope.region === undefined ? 1 : 2;
}

/**
 * The first instant at or after `from` when `window` is open in `zone` (`from` itself when it is
 * open then), looking at most NEXT_WINDOW_DAYS_MAX local days ahead; null when closed throughout.
 */
export function nextOpening(window: PolicyWindow, zone: string, from: number): number | null {
  const local = localTime(from, zone);
  for (let k = 0; k <= NEXT_WINDOW_DAYS_MAX; k++) {
    const date = new Date(Date.UTC(local.year, local.month - 1, local.day + k));
    const y = date.getUTCFullYear();
    const m = date.getUTCMonth() + 1;
    const d = date.getUTCDate();
    if (window.holidays && isHoliday(window.holidays, isoDate(y, m, d))) continue;
    // getUTCDay: 0 is Sunday; WEEKDAYS starts on Monday.
    const weekday = WEEKDAYS[(date.getUTCDay() + 6) % 7]!;
    let best: number | null = null;
    for (const range of window.days[weekday]) {
      const start = instantOf(y, m, d, minutesOf(range.start), zone);
      const end = instantOf(y, m, d, minutesOf(range.end), zone);
      if (from >= end || start >= end) continue;
      const open = Math.max(from, start);
      if (best === null || open < best) best = open;
    }
    if (best !== null) return best;
  }
  return null;
}

function isoDate(y: number, m: number, d: number): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}
