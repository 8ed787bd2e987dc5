import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DLT_SLOT, DLT_SLOT_MAX, dltPatternProblem, fitsDltTemplate } from './dlt-fit.js';

/** The obvious matcher, for comparison only: a regex of escaped literals and bounded slots. */
function reference(text: string, registered: string): boolean {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const source = registered.split(DLT_SLOT).map(escape).join(`[\\s\\S]{0,${DLT_SLOT_MAX}}`);
  return new RegExp(`^${source}$`).test(text);
}

describe('fitsDltTemplate', () => {
  it('matches literal text and bounded slots', () => {
    const t = 'Dear {#var#}, your OTP is {#var#}. Valid 10 min.';
    expect(fitsDltTemplate('Dear Ann, your OTP is 1234. Valid 10 min.', t)).toBe(true);
    expect(fitsDltTemplate('Dear , your OTP is . Valid 10 min.', t)).toBe(true);
    expect(fitsDltTemplate(`Dear ${'x'.repeat(31)}, your OTP is 1. Valid 10 min.`, t)).toBe(false);
    expect(fitsDltTemplate('Dear Ann, your code is 1234. Valid 10 min.', t)).toBe(false);
    expect(fitsDltTemplate('Dear Ann, your OTP is 1234. Valid 10 min', t)).toBe(false);
    expect(fitsDltTemplate('No slots', 'No slots')).toBe(true);
    expect(fitsDltTemplate('No slots!', 'No slots')).toBe(false);
    // Regex metacharacters in the registered text are literal.
    expect(fitsDltTemplate('Pay $5 (now).*', 'Pay ${#var#} (now).*')).toBe(true);
    expect(fitsDltTemplate('Pay $5 (nowX.*', 'Pay ${#var#} (now).*')).toBe(false);
  });

  it('needs the right choice among repeated pieces (no greedy shortcut)', () => {
    const t = '{#var#}ab{#var#}ab';
    expect(fitsDltTemplate('abababab', t)).toBe(true);
    expect(fitsDltTemplate('ab', t)).toBe(false);
    expect(fitsDltTemplate(`${'a'.repeat(30)}ab${'a'.repeat(30)}ab`, t)).toBe(true);
    expect(fitsDltTemplate(`${'a'.repeat(31)}ab${'a'.repeat(31)}ab`, t)).toBe(false);
  });

  it('agrees with a regex on random texts and templates', () => {
    const alphabet = fc.constantFrom('a', 'b', ' ', '.', '$', '(');
    const word = fc.string({ unit: alphabet, maxLength: 4 });
    const registered = fc
      .array(word, { minLength: 1, maxLength: 5 })
      .map((pieces) => pieces.join(DLT_SLOT));
    fc.assert(
      fc.property(registered, fc.string({ unit: alphabet, maxLength: 70 }), (t, text) => {
        expect(fitsDltTemplate(text, t)).toBe(reference(text, t));
      }),
      { numRuns: 3000 },
    );
    // Texts built from the template must fit it.
    fc.assert(
      fc.property(
        fc.array(word, { minLength: 1, maxLength: 6 }),
        fc.array(fc.string({ unit: alphabet, maxLength: DLT_SLOT_MAX }), {
          minLength: 6,
          maxLength: 6,
        }),
        (pieces, fills) => {
          const text = pieces.map((p, i) => (i === 0 ? p : `${fills[i] ?? ''}${p}`)).join('');
          expect(fitsDltTemplate(text, pieces.join(DLT_SLOT))).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('stays fast on the worst inputs (50 slots, a text of one repeated character)', () => {
    const registered = Array.from({ length: 51 }, () => 'a').join(DLT_SLOT);
    const text = 'a'.repeat(1_500);
    const started = performance.now();
    for (let i = 0; i < 100; i++) fitsDltTemplate(text, registered);
    fitsDltTemplate(`${'a'.repeat(1_530)}b`, `${registered}b`);
    expect((performance.now() - started) / 100).toBeLessThan(5);
  });

  it('bounds the registered text', () => {
    expect(dltPatternProblem('x'.repeat(2001))).toContain('2000');
    expect(dltPatternProblem(Array.from({ length: 52 }, () => '').join(DLT_SLOT))).toContain('50');
    expect(dltPatternProblem('Hi {#var#}')).toBeUndefined();
  });
});
