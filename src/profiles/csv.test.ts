import { describe, expect, it } from 'vitest';
import { boundedLines, parseCsvLine } from './csv.js';

async function lines(chunks: string[], max?: number): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for await (const line of boundedLines(chunks, max)) out.push(line);
  return out;
}

describe('boundedLines', () => {
  it.each([
    [['a\nb\n'], ['a', 'b']],
    [['a\r\nb'], ['a\r', 'b']],
    [
      ['a', 'b\n', 'c'],
      ['ab', 'c'],
    ],
    [['\n\n'], ['', '']],
    [[''], []],
  ])('%j → %j', async (chunks, expected) => expect(await lines(chunks)).toEqual(expected));

  it('yields null for a line over the bound, however it is chunked, and goes on after it', async () => {
    expect(await lines(['12345\n', '123456\nok'], 5)).toEqual(['12345', null, 'ok']);
    expect(await lines(['123', '456', '789\nok\n'], 5)).toEqual([null, 'ok']);
    expect(await lines(['123456'], 5)).toEqual([null]);
  });

  it('takes linear time on one endless line', async () => {
    const chunk = 'x'.repeat(64 * 1024);
    const started = performance.now();
    expect(await lines(Array.from({ length: 256 }, () => chunk))).toEqual([null]);
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe('parseCsvLine at its bound', () => {
  it('parses 4,096 characters of quotes in milliseconds', () => {
    const started = performance.now();
    expect(parseCsvLine('"' + '""'.repeat(2047) + '"')).toEqual(['"'.repeat(2047)]);
    parseCsvLine(',"'.repeat(2048));
    expect(parseCsvLine('"a' + ',a'.repeat(2047))).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(50);
  });
});
