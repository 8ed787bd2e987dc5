import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * A phone number in E.164 (`+14155550100`), or undefined when it is not a valid number.
 * Accepts the international format with or without `+` (Infobip writes numbers without it).
 */
export function normalizeE164(value: string): string | undefined {
  const trimmed = value.trim();
  if (!/^\+?[\d\s().-]+$/.test(trimmed)) return undefined;
  const phone = parsePhoneNumberFromString(trimmed.startsWith('+') ? trimmed : `+${trimmed}`);
  return phone?.isValid() ? phone.number : undefined;
}
