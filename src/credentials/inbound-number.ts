import { normalizeE164 } from '../phone.js';

/**
 * A short code: 3 to 8 digits, written as is, without `+` or a country code. Infobip routes
 * inbound texts to "a Phone Number or Short Code" (its SMS OpenAPI document, Inbound SMS) and
 * forwards a short code's `to` as the code itself (its examples: `"to": "25256"`). Short codes
 * are national, not E.164, and no standard fixes their length. Guess: 3–8 digits covers the
 * ones in use (3–4 digits for operator services, 4–5 in most of Europe, 5–6 in the US, Canada
 * and India); 9 digits and more are phone numbers.
 */
export const SHORT_CODE = /^\d{3,8}$/;

/** The input a short code or number may have (characters), checked before any parsing. */
export const INBOUND_NUMBER_INPUT_MAX = 64;

/**
 * An inbound number as a credential stores it: a short code as is (`25256`), anything else in
 * E.164 (`+14155550100`); undefined when it is neither. Infobip has no alphanumeric inbound
 * numbers (its number types are long numbers, short codes and SIM hosting; an alphanumeric
 * sender id cannot be texted back), so one is refused. A value of 3–8 digits is a short code;
 * a phone number that short is written with its `+`.
 */
export function parseInboundNumber(value: string): string | undefined {
  if (value.length > INBOUND_NUMBER_INPUT_MAX) return undefined;
  const trimmed = value.trim();
  if (SHORT_CODE.test(trimmed)) return trimmed;
  return normalizeE164(trimmed);
}

/**
 * The forms under which an inbound `to` may be a credential's inbound number, most likely
 * first: in E.164 (Infobip writes numbers without `+`) and, for 3–8 digits, as a short code.
 * Empty when it is neither (an alphanumeric `to`): such a text is stored unrouted.
 */
export function inboundAddresses(to: string): string[] {
  if (to.length > INBOUND_NUMBER_INPUT_MAX) return [];
  const out: string[] = [];
  const e164 = normalizeE164(to);
  if (e164) out.push(e164);
  const trimmed = to.trim();
  if (SHORT_CODE.test(trimmed)) out.push(trimmed);
  return out;
}
