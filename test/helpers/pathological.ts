/**
 * Worst-case inputs for the texts that reach a regex or a parser: built at a length, out of the
 * shapes that hurt backtracking regexes, normalisation and parsers (long runs of spaces,
 * alternating punctuation, combining marks, astral emoji, NUL, lone surrogates, quotes).
 * Lengths are in code points, as ajv's maxLength counts them.
 */

/** A string of exactly `n` code points, of each hostile shape. */
export function worstCases(n: number): Record<string, string> {
  const fill = (unit: string) => unit.repeat(Math.ceil(n / [...unit].length)).slice(0, n);
  return {
    'a+spaces+a': 'a' + ' '.repeat(Math.max(0, n - 2)) + 'a',
    'alternating punctuation': 'a' + '!?'.repeat(n).slice(0, Math.max(0, n - 2)) + 'a',
    'combining marks': 'e' + '\u0301'.repeat(n - 1),
    'astral emoji': '😀'.repeat(n),
    'NUL at the end': 'a'.repeat(n - 1) + '\u0000',
    'lone surrogates': '\uD800'.repeat(n),
    'quotes and commas': fill('",'),
    'digits and brackets': fill('(1)-'),
    'dots between letters': fill('a.'),
  };
}

/** Exactly `n` code points of a plain letter (the just-above case when shape does not matter). */
export const letters = (n: number, letter = 'A') => letter.repeat(n);

/** Code points, as ajv counts a string's length. */
export const codePoints = (s: string) => [...s].length;

/** A tally of attack kinds: tried, and held (every input of the kind handled as it should). */
export class AttackTally {
  private readonly kinds = new Map<string, { tried: number; failed: string[] }>();

  record(kind: string, problem: string | undefined): void {
    const entry = this.kinds.get(kind) ?? { tried: 0, failed: [] };
    entry.tried++;
    if (problem) entry.failed.push(problem);
    this.kinds.set(kind, entry);
  }

  /** Every problem, labelled with its kind. */
  problems(): string[] {
    return [...this.kinds].flatMap(([kind, e]) => e.failed.map((p) => `${kind}: ${p}`));
  }

  summary(): string {
    const all = [...this.kinds];
    const held = all.filter(([, e]) => e.failed.length === 0).length;
    const inputs = all.reduce((n, [, e]) => n + e.tried, 0);
    return `${all.length} kinds tried (${inputs} inputs), ${held} held, ${all.length - held} failed`;
  }
}
