/**
 * Validity periods: how long the provider may keep trying to deliver a message. Pure.
 *
 * Infobip's SMS v3 and MMS v2 take `validityPeriod: {amount, timeUnit: SECONDS|MINUTES|HOURS}`
 * and set anything above 48 h back to 48 h; Tern refuses above 48 h instead of clamping, so the
 * stored `validUntil` is the one the provider keeps.
 */

export type ValidityUnit = 'SECONDS' | 'MINUTES' | 'HOURS';
export const VALIDITY_UNITS: readonly ValidityUnit[] = ['SECONDS', 'MINUTES', 'HOURS'];

/** A validity period as configured (on a credential) or asked for (on a message), kept exactly. */
export interface ValidityPeriod {
  amount: number;
  timeUnit: ValidityUnit;
}

const UNIT_MS: Record<ValidityUnit, number> = {
  SECONDS: 1_000,
  MINUTES: 60_000,
  HOURS: 3_600_000,
};

/** Infobip's maximum (and default): 48 h. */
export const VALIDITY_MAX_MS = 48 * 3_600_000;
/**
 * At least one minute: the worker claims a due message within about a second, but a batch
 * behind a rate limit or a retry after a 429 waits longer, and a shorter validity would mostly
 * run out in Tern's own queue. (Infobip documents no minimum.)
 */
export const VALIDITY_MIN_MS = 60_000;
export const DEFAULT_VALIDITY: ValidityPeriod = { amount: 48, timeUnit: 'HOURS' };

export function validityMs(period: ValidityPeriod): number {
  return period.amount * UNIT_MS[period.timeUnit];
}

/** Why `value` is not an acceptable validity period, or undefined when it is. */
export function validityProblem(value: unknown): string | undefined {
  const shape = 'must be {amount, timeUnit} with timeUnit SECONDS, MINUTES or HOURS';
  if (typeof value !== 'object' || value === null) return shape;
  const { amount, timeUnit } = value as Record<string, unknown>;
  if (typeof timeUnit !== 'string' || !(VALIDITY_UNITS as readonly string[]).includes(timeUnit))
    return shape;
  if (typeof amount !== 'number' || !Number.isInteger(amount) || amount < 1)
    return 'amount must be a whole number of at least 1';
  const ms = amount * UNIT_MS[timeUnit as ValidityUnit];
  if (ms < VALIDITY_MIN_MS || ms > VALIDITY_MAX_MS)
    return "must be from 1 minute to 48 hours (Infobip's maximum)";
  return undefined;
}

/** A stored period read back: the old whole-hours field when the new one is absent. */
export function validityFromStored(period: unknown, hours: unknown): ValidityPeriod {
  if (validityProblem(period) === undefined) return period as ValidityPeriod;
  if (typeof hours === 'number') return { amount: hours, timeUnit: 'HOURS' };
  return DEFAULT_VALIDITY;
}

/** The old `validityPeriodHours` view of a period: null when it is not a whole number of hours. */
export function wholeHours(period: ValidityPeriod): number | null {
  const ms = validityMs(period);
  return ms % UNIT_MS.HOURS === 0 ? ms / UNIT_MS.HOURS : null;
}

/**
 * What to ask the provider for on this attempt: the whole seconds left until `validUntil`
 * (rounded down, so the provider never keeps a message past Tern's own `validUntil`), at most
 * 48 h; `null` when less than one second is left: the message is expired, not sent.
 */
export function remainingValiditySeconds(validUntilMs: number, nowMs: number): number | null {
  const seconds = Math.floor((validUntilMs - nowMs) / 1_000);
  if (!Number.isFinite(seconds) || seconds < 1) return null;
  return Math.min(seconds, VALIDITY_MAX_MS / 1_000);
}
