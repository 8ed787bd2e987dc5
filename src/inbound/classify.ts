/**
 * The keyword engine's pure half: which category an inbound text falls in, given a
 * credential's keyword sets. No I/O, no clock: table-tested in `classify.test.ts`.
 */
import { keywordMatchKey } from '../credentials/keywords.js';
import type { FuzzyOptOutMode } from '../credentials/credential.js';

/** What a text matched, in the design's order of precedence (§3), plus the fuzzy opt-out reply. */
export type InboundCategory =
  'opt_out' | 'opt_in' | 'help' | 'double_opt_in' | 'custom' | 'fuzzy_opt_out' | 'none';

export const INBOUND_CATEGORIES: readonly InboundCategory[] = [
  'opt_out',
  'opt_in',
  'help',
  'double_opt_in',
  'custom',
  'fuzzy_opt_out',
  'none',
];

/** The keyword sets of one credential, as stored (normalised, upper-case). */
export interface KeywordRules {
  optOutKeywords: readonly string[];
  optInKeywords: readonly string[];
  helpKeywords: readonly string[];
  doubleOptInKeywords: readonly string[];
  customInboundKeywords: readonly string[];
  fuzzyOptOut: FuzzyOptOutMode;
}

export interface Classification {
  category: InboundCategory;
  /** The configured keyword that matched (as stored), or null. */
  keyword: string | null;
  /** How an opt-out was recognised when not exactly: a near miss of a word, or a phrase. */
  fuzzy: 'near_miss' | 'phrase' | null;
}

/**
 * Phrases people text when they mean "stop", in match form (upper-case, no diacritics, words
 * separated by one space, apostrophes removed). A leading or trailing PLEASE is ignored.
 */
export const OPT_OUT_PHRASES: readonly string[] = [
  'STOP TEXTING ME',
  'STOP TEXTING',
  'STOP MESSAGING ME',
  'STOP MESSAGING',
  'STOP SENDING ME MESSAGES',
  'STOP SENDING ME TEXTS',
  'STOP SENDING MESSAGES',
  'STOP SENDING TEXTS',
  'STOP SENDING',
  'STOP IT',
  'STOP NOW',
  'STOP ALL',
  'STOP MESSAGES',
  'STOP TEXTS',
  'REMOVE ME',
  'REMOVE',
  'REMOVE ME FROM YOUR LIST',
  'REMOVE ME FROM THIS LIST',
  'REMOVE ME FROM THE LIST',
  'REMOVE MY NUMBER',
  'TAKE ME OFF',
  'TAKE ME OFF YOUR LIST',
  'TAKE ME OFF THIS LIST',
  'TAKE ME OFF THE LIST',
  'OPT ME OUT',
  'OPT OUT',
  'UNSUBSCRIBE ME',
  'DONT TEXT ME',
  'DO NOT TEXT ME',
  'DONT MESSAGE ME',
  'DO NOT MESSAGE ME',
  'DONT CONTACT ME',
  'DO NOT CONTACT ME',
  'NO MORE TEXTS',
  'NO MORE MESSAGES',
  'NO MORE',
  'LEAVE ME ALONE',
  'CANCEL MY SUBSCRIPTION',
  'CANCEL SUBSCRIPTION',
  'END SUBSCRIPTION',
];
const PHRASES = new Set(OPT_OUT_PHRASES);

/** Near misses are considered for opt-out words (and texts) of at least this many letters. */
export const FUZZY_MIN_LENGTH = 4;

// Punctuation, symbols (emoji included) and spaces around the keyword are ignored.
const SURROUNDING_CHAR = /^[\p{P}\p{S}\p{Z}\s]$/u;

/**
 * `text` without the punctuation, symbols and spaces at either end, in linear time. The regex
 * it replaces (`^[…]+|[…]+$`) retried the trailing class at every position: a run of 120,000
 * spaces between two letters froze the event loop for 21.7 s.
 */
export function trimSurrounding(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end) {
    const char = String.fromCodePoint(text.codePointAt(start)!);
    if (!SURROUNDING_CHAR.test(char)) break;
    start += char.length;
  }
  while (end > start) {
    // Step back over a whole surrogate pair (an emoji) when `end` sits right after one.
    const low = text.charCodeAt(end - 1);
    const high = end - 2 >= start ? text.charCodeAt(end - 2) : 0;
    const pair = low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff;
    const char = text.slice(pair ? end - 2 : end - 1, end);
    if (!SURROUNDING_CHAR.test(char)) break;
    end -= char.length;
  }
  return text.slice(start, end);
}

/**
 * The form a text is matched in: NFKC (full-width letters, ligatures), trimmed, case folded,
 * diacritics removed (via {@link keywordMatchKey}), surrounding punctuation and symbols removed.
 */
export function matchForm(text: string): string {
  return trimSurrounding(keywordMatchKey(text.normalize('NFKC')));
}

/** The form a text is compared with the phrase list in: words only, apostrophes dropped. */
function phraseForm(key: string): string {
  const words = key
    .replace(/['’‘`]/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
  if (words[0] === 'PLEASE') words.shift();
  if (words[words.length - 1] === 'PLEASE') words.pop();
  return words.join(' ');
}

/**
 * True when `a` becomes `b` with at most one insertion, deletion, substitution or swap of two
 * neighbouring letters (optimal-string-alignment distance ≤ 1: `STPO` is one edit from `STOP`).
 */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  let i = 0;
  while (i < la && i < lb && a[i] === b[i]) i++;
  if (la === lb) {
    // One substitution, or one transposition of neighbours.
    if (a.slice(i + 1) === b.slice(i + 1)) return true;
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
  }
  // One insertion / deletion.
  return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

// A credential's keywords are the same few dozen words on every text: their keys are memoised.
const keywordKeys = new Map<string, string>();
function keyOf(keyword: string): string {
  let key = keywordKeys.get(keyword);
  if (key === undefined) {
    if (keywordKeys.size >= 10_000) keywordKeys.clear();
    key = keywordMatchKey(keyword);
    keywordKeys.set(keyword, key);
  }
  return key;
}

function find(list: readonly string[], key: string): string | undefined {
  return list.find((k) => keyOf(k) === key);
}

/**
 * Classifies an inbound text. The whole text is the keyword: `Stop.` matches STOP, `don't stop`
 * does not. Exact matches win in the order opt-out, opt-in, help, double opt-in, custom; then,
 * when enabled, fuzzy opt-out (a near miss of an opt-out word, or a known phrase), which never
 * claims a text that is itself a near miss of an opt-in word; otherwise `none`.
 */
export function classifyInbound(text: string, rules: KeywordRules): Classification {
  const key = matchForm(text);
  if (key !== '') {
    const exact: [InboundCategory, readonly string[]][] = [
      ['opt_out', rules.optOutKeywords],
      ['opt_in', rules.optInKeywords],
      ['help', rules.helpKeywords],
      ['double_opt_in', rules.doubleOptInKeywords],
      ['custom', rules.customInboundKeywords],
    ];
    for (const [category, list] of exact) {
      const keyword = find(list, key);
      if (keyword !== undefined) return { category, keyword, fuzzy: null };
    }
  }
  if (rules.fuzzyOptOut !== 'off' && key !== '') {
    const fuzzy = fuzzyOptOut(key, rules);
    if (fuzzy) {
      return {
        category: rules.fuzzyOptOut === 'opt-out' ? 'opt_out' : 'fuzzy_opt_out',
        keyword: fuzzy.keyword,
        fuzzy: fuzzy.kind,
      };
    }
  }
  return { category: 'none', keyword: null, fuzzy: null };
}

function fuzzyOptOut(
  key: string,
  rules: KeywordRules,
): { kind: 'near_miss' | 'phrase'; keyword: string | null } | undefined {
  const phrase = phraseForm(key);
  if (PHRASES.has(phrase)) return { kind: 'phrase', keyword: null };
  // "STOP PLEASE", "please unsubscribe": an opt-out word with courtesy around it.
  const word = find(rules.optOutKeywords, phrase);
  if (word !== undefined) return { kind: 'phrase', keyword: word };

  if (!/^[\p{L}\p{N}]+$/u.test(key) || key.length < FUZZY_MIN_LENGTH) return undefined;
  // Never fuzzy into opt-in: a text one edit from an opt-in word is ambiguous, so left alone.
  if (rules.optInKeywords.some((k) => withinOneEdit(keyOf(k), key))) return undefined;
  const near = rules.optOutKeywords.find((k) => {
    const candidate = keyOf(k);
    return candidate.length >= FUZZY_MIN_LENGTH && withinOneEdit(candidate, key);
  });
  return near !== undefined ? { kind: 'near_miss', keyword: near } : undefined;
}
