/**
 * Keyword lists of a credential: parsing what an operator typed, normalising, and the defaults
 * that carriers expect.
 */

/** Carrier-mandated opt-out words: always honoured; a custom opt-out list adds to them. */
export const MANDATORY_OPT_OUT_KEYWORDS = [
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'REVOKE',
  'OPTOUT',
] as const;

export const DEFAULT_OPT_IN_KEYWORDS = ['START', 'UNSTOP', 'YES', 'SUBSCRIBE'] as const;
export const DEFAULT_HELP_KEYWORDS = ['HELP', 'INFO'] as const;

export const KEYWORD_MAX_LENGTH = 32;
const SINGLE_WORD = /^[\p{L}\p{N}]+$/u;

/** How a keyword is stored: trimmed, NFC, upper-case (diacritics kept: `ARRÊT` stays `ARRÊT`). */
export function normalizeKeyword(keyword: string): string {
  return keyword.trim().normalize('NFC').toUpperCase();
}

/**
 * The form two texts are compared in: case folded and diacritics removed, so that `arret`
 * matches `ARRÊT`. Also used to refuse keywords that would collide at matching time.
 */
export function keywordMatchKey(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toUpperCase();
}

/** A list as typed in a form (`"STOP, Quit"`) or sent as JSON (`["STOP", "quit"]`). */
export type KeywordListInput = string | string[];

/**
 * Splits, normalises and de-duplicates a keyword list; returns the problems found, each naming
 * the offending keyword.
 */
export function parseKeywordList(input: KeywordListInput): {
  keywords: string[];
  problems: string[];
} {
  const raw = typeof input === 'string' ? input.split(',') : input;
  const keywords: string[] = [];
  const problems: string[] = [];
  for (const item of raw) {
    const keyword = normalizeKeyword(item);
    if (keyword === '') {
      if (typeof input !== 'string') problems.push('keywords cannot be empty');
      continue;
    }
    if (!SINGLE_WORD.test(keyword)) {
      problems.push(`"${item.trim()}" is not a single word of letters and digits`);
    } else if (keyword.length > KEYWORD_MAX_LENGTH) {
      problems.push(`"${keyword}" is longer than ${KEYWORD_MAX_LENGTH} characters`);
    } else if (!keywords.includes(keyword)) {
      keywords.push(keyword);
    }
  }
  return { keywords, problems };
}

/** The opt-out list actually used: the mandated words first, then the operator's additions. */
export function withMandatoryOptOut(keywords: string[]): string[] {
  const extra = keywords.filter(
    (k) => !(MANDATORY_OPT_OUT_KEYWORDS as readonly string[]).includes(k),
  );
  return [...MANDATORY_OPT_OUT_KEYWORDS, ...extra];
}
