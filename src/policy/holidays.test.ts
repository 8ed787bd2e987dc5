import { describe, expect, it } from 'vitest';
import { HOLIDAY_CALENDARS, isHoliday } from './holidays.js';

/** Gregorian Easter Sunday (Anonymous Gregorian algorithm, Meeus/Jones/Butcher). */
function easter(year: number): Date {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return new Date(Date.UTC(year, month - 1, day));
}
const plus = (d: Date, days: number) =>
  new Date(d.getTime() + days * 86_400_000).toISOString().slice(0, 10);

describe('French public holidays 2026–2032', () => {
  for (let year = 2026; year <= 2032; year++) {
    it(`${year}: the eleven jours fériés`, () => {
      const e = easter(year);
      const expected = [
        `${year}-01-01`,
        plus(e, 1),
        `${year}-05-01`,
        `${year}-05-08`,
        plus(e, 39),
        plus(e, 50),
        `${year}-07-14`,
        `${year}-08-15`,
        `${year}-11-01`,
        `${year}-11-11`,
        `${year}-12-25`,
      ].sort();
      expect(
        HOLIDAY_CALENDARS.FR!.dates.filter((d) => d.startsWith(String(year)))
          .slice()
          .sort(),
      ).toEqual(expected);
    });
  }
  it('answers for a date', () => {
    expect(isHoliday('FR', '2026-07-14')).toBe(true);
    expect(isHoliday('FR', '2026-07-15')).toBe(false);
    expect(isHoliday('XX', '2026-07-14')).toBe(false);
  });
});
