import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * A phone number in E.164 (`+14155550100`), or undefined when it is not a valid number.
 * Accepts the international format with or without `+` (Infobip writes numbers without it).
 */
export function normalizeE164(value: string): string | undefined {
  // An E.164 number has at most 15 digits; written with spaces, dots and brackets it stays far
  // under this. Longer input is refused before any parsing and never enters the memo.
  if (value.length > PHONE_INPUT_MAX_LENGTH) return undefined;
  // Parsing with full metadata costs ~15 µs; every inbound text parses its inbound number and
  // its sender, and those repeat. Pure function, bounded memo.
  if (memo.has(value)) return memo.get(value);
  const normalized = parse(value);
  if (memo.size >= MEMO_SIZE) memo.clear();
  memo.set(value, normalized);
  return normalized;
}

/** The longest phone input parsed at all (characters). */
export const PHONE_INPUT_MAX_LENGTH = 64;

const MEMO_SIZE = 10_000;
const memo = new Map<string, string | undefined>();

function parse(value: string): string | undefined {
  const trimmed = value.trim();
  if (!/^\+?[\d\s().-]+$/.test(trimmed)) return undefined;
  const phone = parsePhoneNumberFromString(trimmed.startsWith('+') ? trimmed : `+${trimmed}`);
  return phone?.isValid() ? phone.number : undefined;
}

/**
 * The ISO 3166 region of an E.164 number (`US`, `GB`), or null when it has none (a
 * non-geographic number such as +800). Shared calling codes are told apart by their numbering
 * plan (+1 416… is CA), which a prefix of the calling code alone could not do. Memoised like
 * {@link normalizeE164}.
 */
export function phoneRegion(e164: string): string | null {
  const known = regionMemo.get(e164);
  if (known !== undefined) return known;
  const region = parsePhoneNumberFromString(e164)?.country ?? null;
  if (regionMemo.size >= MEMO_SIZE) regionMemo.clear();
  regionMemo.set(e164, region);
  return region;
}

const regionMemo = new Map<string, string | null>();
