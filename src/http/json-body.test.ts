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
});
