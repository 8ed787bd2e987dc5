import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseInfobipTime } from './time.js';

describe('parseInfobipTime', () => {
  it.each([
    ['2019-11-09T16:00:00.000+0000', '2019-11-09T16:00:00.000Z'],
    ['2016-10-06T09:28:39.220+0000', '2016-10-06T09:28:39.220Z'],
    ['2023-08-01T16:10:00.000+0530', '2023-08-01T10:40:00.000Z'],
    ['2023-08-01T01:10:00.000-0300', '2023-08-01T04:10:00.000Z'],
    ['2023-08-01T16:10:00.000+01:00', '2023-08-01T15:10:00.000Z'],
    ['2023-08-01T16:10:00Z', '2023-08-01T16:10:00.000Z'],
    ['2023-08-01T16:10:00.5+0000', '2023-08-01T16:10:00.500Z'],
    ['2024-02-29T00:00:00.000+0000', '2024-02-29T00:00:00.000Z'],
  ])('%s → %s', (input, expected) => {
    expect(parseInfobipTime(input)).toBe(expected);
  });

  it.each([
    '',
    'yesterday',
    '2019-11-09',
    '2019-11-09T16:00:00.000',
    '2019-13-09T16:00:00.000+0000',
    '2023-02-29T00:00:00.000+0000',
    '2019-11-09T24:00:00.000+0000',
    '2019-11-09T16:00:00.000+2500',
  ])('refuses %j', (input) => {
    expect(parseInfobipTime(input)).toBeNull();
  });

  it('agrees with Date for every instant written in the Infobip format', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1971-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }),
        fc.integer({ min: -12 * 60, max: 14 * 60 }),
        (date, offset) => {
          const local = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, 23);
          const sign = offset < 0 ? '-' : '+';
          const abs = Math.abs(offset);
          const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
          expect(parseInfobipTime(`${local}${zone}`)).toBe(date.toISOString());
        },
      ),
    );
  });

  it('never throws', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const r = parseInfobipTime(s);
        expect(r === null || typeof r === 'string').toBe(true);
      }),
    );
  });
});
