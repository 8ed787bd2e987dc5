import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JSON_MAX_DEPTH, JSON_MAX_ITEMS, jsonShapeProblem } from './json-body.js';

describe('jsonShapeProblem', () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  const wide = (n: number) => `[${Array.from({ length: n }, () => '1').join(',')}]`;
  const keys = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":1`).join(',')}}`;

  it.each([
    ['{}', undefined],
    ['{"a":[1,2,{"b":"c"}]}', undefined],
    [deep(JSON_MAX_DEPTH), undefined],
    [deep(JSON_MAX_DEPTH + 1), `is nested deeper than ${JSON_MAX_DEPTH} levels`],
    [wide(JSON_MAX_ITEMS), undefined],
    [wide(JSON_MAX_ITEMS + 1), `holds an array or object of more than ${JSON_MAX_ITEMS} items`],
    [keys(JSON_MAX_ITEMS + 1), `holds an array or object of more than ${JSON_MAX_ITEMS} items`],
    // Brackets, commas and escaped quotes inside strings are text, not structure.
    [`["${'[,'.repeat(5000)}\\"]"]`, undefined],
    ['not json [', undefined],
  ])('%#', (text, problem) => expect(jsonShapeProblem(text)).toBe(problem));

  it('takes linear time at the 2 MiB body limit', () => {
    const worst = [
      '[' + '1,'.repeat(1 << 20) + '1]',
      '['.repeat(2 << 20),
      `"${'\\"'.repeat(1 << 20)}"`,
    ];
    for (const text of worst) {
      // Best of three: a quadratic scan is slow every time, a hiccup on shared cores once.
      let best = Infinity;
      for (let run = 0; run < 3 && best >= 50; run++) {
        const started = performance.now();
        jsonShapeProblem(text);
        best = Math.min(best, performance.now() - started);
      }
      expect(best).toBeLessThan(50);
    }
  });

  it('agrees with a scan of every character on random texts of quotes, escapes and structure', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('"', '\\', '[', ']', '{', '}', ',', 'a', ' ', '1'), {
          maxLength: 200,
        }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        (chars, depth, width) => {
          const text = chars.join('');
          expect(jsonShapeProblem(text, { depth, items: width })).toBe(
            everyCharacter(text, depth, width),
          );
        },
      ),
      { numRuns: 5000 },
    );
  });
});

/** The shape check as it was first written, one character at a time: the reference. */
function everyCharacter(text: string, maxDepth: number, maxItems: number): string | undefined {
  const items: number[] = [];
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      if (items.length >= maxDepth) return `is nested deeper than ${maxDepth} levels`;
      items.push(1);
    } else if (c === ']' || c === '}') items.pop();
    else if (c === ',' && items.length > 0) {
      const count = items[items.length - 1]! + 1;
      if (count > maxItems) return `holds an array or object of more than ${maxItems} items`;
      items[items.length - 1] = count;
    }
  }
  return undefined;
}
