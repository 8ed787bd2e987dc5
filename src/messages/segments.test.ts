import fc from 'fast-check';
import { SegmentedMessage } from 'sms-segments-calculator';
import { describe, expect, it } from 'vitest';
import { countSegments } from './segments.js';

function calculator(text: string) {
  const m = new SegmentedMessage(text, 'auto');
  return { encoding: m.encodingName, segments: m.segmentsCount, characters: m.numberOfCharacters };
}

const plain = [
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 \n.,!?\'"#%&()*+-/:;<=>@$_',
];

describe('countSegments', () => {
  it('counts plain GSM-7 texts as the calculator does, at every length around the part bounds', () => {
    for (const n of [1, 2, 152, 153, 154, 159, 160, 161, 305, 306, 307, 459, 460, 1530, 1531]) {
      const text = 'a'.repeat(n);
      expect(countSegments(text)).toEqual(calculator(text));
    }
  });

  it('agrees with the calculator on any text of plain GSM-7 characters', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...plain), { maxLength: 1000 }).map((a) => a.join('')),
        (text) => {
          expect(countSegments(text)).toEqual(calculator(text));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('agrees with the calculator on UCS-2 texts of one-unit characters (curly quotes, Cyrillic, CJK)', () => {
    const ucs2 = [...'–—‘’‚‛“”•…™ЁАБВабвяёЂџ、。「」中文字漢'];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...plain, ...ucs2), { maxLength: 1000 }),
        fc.constantFrom(...ucs2),
        fc.nat(),
        (chars, one, at) => {
          chars.splice(at % (chars.length + 1), 0, one);
          const text = chars.join('');
          expect(countSegments(text)).toEqual(calculator(text));
        },
      ),
      { numRuns: 300 },
    );
    for (const n of [1, 69, 70, 71, 134, 135, 670, 671]) {
      const text = '’'.repeat(n);
      expect(countSegments(text)).toEqual(calculator(text));
    }
  });

  it('leaves extension characters, CR, accents and emoji to the calculator', () => {
    for (const text of [
      '',
      'price: 5€',
      '{code}',
      'line\r\nbreak',
      'café',
      'hi 👋',
      'a'.repeat(10_001),
    ])
      expect(countSegments(text)).toEqual(calculator(text));
  });
});
