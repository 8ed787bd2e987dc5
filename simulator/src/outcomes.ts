/**
 * Rules that choose what happens to each destination: delivered, undeliverable, expired,
 * rejected (inside the 200), or never reported. The first matching rule wins; otherwise the
 * default outcome applies.
 */
import type { ErrorName, StatusName } from './statuses.js';

export const OUTCOME_NAMES = [
  'DELIVERED',
  'DELIVERED_TO_OPERATOR',
  'UNDELIVERABLE',
  'UNKNOWN_SUBSCRIBER',
  'EXPIRED',
  'REJECTED_NOT_ENOUGH_CREDITS',
  'REJECTED_DESTINATION',
  'REJECTED_INVALID_DESTINATION',
  'REJECTED_FLOODING_FILTER',
  'NO_REPORT',
  'BAD_REQUEST',
] as const;

export type OutcomeName = (typeof OUTCOME_NAMES)[number];

export interface OutcomeSpec {
  /**
   * `accept`: the status is already in the 200 answer; `report`: it arrives in the DLR;
   * `request`: the whole request is refused with a 400 whose violation names this destination.
   */
  phase: 'accept' | 'report' | 'request';
  status: StatusName;
  error: ErrorName;
  /** False for NO_REPORT: the message stays pending and no report is ever sent. */
  reported: boolean;
}

export const OUTCOMES: Record<OutcomeName, OutcomeSpec> = {
  DELIVERED: { phase: 'report', status: 'DELIVERED_TO_HANDSET', error: 'NO_ERROR', reported: true },
  DELIVERED_TO_OPERATOR: {
    phase: 'report',
    status: 'DELIVERED_TO_OPERATOR',
    error: 'NO_ERROR',
    reported: true,
  },
  UNDELIVERABLE: {
    phase: 'report',
    status: 'UNDELIVERABLE_NOT_DELIVERED',
    error: 'EC_ABSENT_SUBSCRIBER',
    reported: true,
  },
  UNKNOWN_SUBSCRIBER: {
    phase: 'report',
    status: 'UNDELIVERABLE_NOT_DELIVERED',
    error: 'EC_UNKNOWN_SUBSCRIBER',
    reported: true,
  },
  EXPIRED: { phase: 'report', status: 'EXPIRED_EXPIRED', error: 'NO_ERROR', reported: true },
  // Guess: which error object accompanies a REJECTED report is not documented; NO_ERROR except
  // where a matching error code exists.
  REJECTED_NOT_ENOUGH_CREDITS: {
    phase: 'accept',
    status: 'REJECTED_NOT_ENOUGH_CREDITS',
    error: 'NO_ERROR',
    reported: true,
  },
  REJECTED_DESTINATION: {
    phase: 'accept',
    status: 'REJECTED_DESTINATION',
    error: 'EC_DEST_ADDRESS_BLACKLISTED',
    reported: true,
  },
  REJECTED_INVALID_DESTINATION: {
    phase: 'accept',
    status: 'REJECTED_INVALID_DESTINATION',
    error: 'EC_INVALID_DESTINATION_ADDRESS',
    reported: true,
  },
  REJECTED_FLOODING_FILTER: {
    phase: 'accept',
    status: 'REJECTED_FLOODING_FILTER',
    error: 'NO_ERROR',
    reported: true,
  },
  NO_REPORT: { phase: 'report', status: 'PENDING_ACCEPTED', error: 'NO_ERROR', reported: false },
  // Never accepted: the route answers 400 before any destination is (status/error unused).
  BAD_REQUEST: {
    phase: 'request',
    status: 'REJECTED_INVALID_DESTINATION',
    error: 'EC_INVALID_DESTINATION_ADDRESS',
    reported: false,
  },
};

/** A rule; every condition given must hold. */
export interface OutcomeRule {
  to?: string;
  toStartsWith?: string;
  toEndsWith?: string;
  textIncludes?: string;
  channel?: 'sms' | 'mms';
  outcome: OutcomeName;
  /** Overrides the report delay for destinations matching this rule. */
  delayMs?: number;
}

/**
 * Guess: these suffixes are the simulator's own convention (documented in the README), chosen
 * to be unlikely in ordinary test numbers. Pass `outcomeRules: []` to switch them off.
 */
export const DEFAULT_OUTCOME_RULES: readonly OutcomeRule[] = [
  { toEndsWith: '0999', outcome: 'UNDELIVERABLE' },
  { toEndsWith: '0998', outcome: 'REJECTED_INVALID_DESTINATION' },
  { toEndsWith: '0997', outcome: 'EXPIRED' },
  { toEndsWith: '0996', outcome: 'REJECTED_NOT_ENOUGH_CREDITS' },
  { toEndsWith: '0995', outcome: 'NO_REPORT' },
  { toEndsWith: '0994', outcome: 'UNKNOWN_SUBSCRIBER' },
];
// BAD_REQUEST is in no default rule: one such number would fail every batch holding it (the
// throughput benchmark's 1,000-destination batches met one in 141 of its requests).

export function isOutcomeName(value: unknown): value is OutcomeName {
  return typeof value === 'string' && (OUTCOME_NAMES as readonly string[]).includes(value);
}

export interface OutcomeChoice {
  outcome: OutcomeName;
  delayMs: number | undefined;
}

/** Mutable rule set (the control API can replace it at run time). */
export class OutcomeRules {
  /** True when some rule (or the default) refuses whole requests; the routes then pre-check. */
  refusesRequests: boolean;

  constructor(
    private rules: readonly OutcomeRule[],
    private fallback: OutcomeName,
  ) {
    this.refusesRequests = this.computeRefuses();
  }

  private computeRefuses(): boolean {
    return this.fallback === 'BAD_REQUEST' || this.rules.some((r) => r.outcome === 'BAD_REQUEST');
  }

  get list(): readonly OutcomeRule[] {
    return this.rules;
  }

  get defaultOutcome(): OutcomeName {
    return this.fallback;
  }

  replace(rules: readonly OutcomeRule[], fallback?: OutcomeName): void {
    this.rules = rules;
    if (fallback) this.fallback = fallback;
    this.refusesRequests = this.computeRefuses();
  }

  choose(to: string, text: string, channel: 'sms' | 'mms'): OutcomeChoice {
    for (const rule of this.rules) {
      if (rule.to !== undefined && rule.to !== to) continue;
      if (rule.toEndsWith !== undefined && !to.endsWith(rule.toEndsWith)) continue;
      if (rule.toStartsWith !== undefined && !to.startsWith(rule.toStartsWith)) continue;
      if (rule.textIncludes !== undefined && !text.includes(rule.textIncludes)) continue;
      if (rule.channel !== undefined && rule.channel !== channel) continue;
      return { outcome: rule.outcome, delayMs: rule.delayMs };
    }
    return { outcome: this.fallback, delayMs: undefined };
  }
}

/** Validates a rule list coming from the control API; returns problems as text. */
export function checkOutcomeRules(value: unknown): { rules?: OutcomeRule[]; problems: string[] } {
  const problems: string[] = [];
  if (!Array.isArray(value)) return { problems: ['rules must be an array'] };
  const rules: OutcomeRule[] = [];
  value.forEach((raw: unknown, i) => {
    if (typeof raw !== 'object' || raw === null) {
      problems.push(`rules[${i}] must be an object`);
      return;
    }
    const r = raw as Record<string, unknown>;
    if (!isOutcomeName(r.outcome)) {
      problems.push(`rules[${i}].outcome must be one of ${OUTCOME_NAMES.join(', ')}`);
      return;
    }
    const rule: OutcomeRule = { outcome: r.outcome };
    for (const key of ['to', 'toStartsWith', 'toEndsWith', 'textIncludes'] as const) {
      const v = r[key];
      if (v === undefined) continue;
      if (typeof v !== 'string') problems.push(`rules[${i}].${key} must be a string`);
      else rule[key] = v;
    }
    if (r.channel !== undefined) {
      if (r.channel === 'sms' || r.channel === 'mms') rule.channel = r.channel;
      else problems.push(`rules[${i}].channel must be sms or mms`);
    }
    if (r.delayMs !== undefined) {
      if (typeof r.delayMs === 'number' && r.delayMs >= 0) rule.delayMs = r.delayMs;
      else problems.push(`rules[${i}].delayMs must be a number >= 0`);
    }
    rules.push(rule);
  });
  return { rules, problems };
}
