/**
 * Public holiday calendars as data: the dates on which a window with `holidays: <id>` is closed.
 * France (Code du travail L3133-1, the eleven jours fériés of metropolitan France): 1 January,
 * Easter Monday, 1 May, 8 May, Ascension, Whit Monday, 14 July, 15 August, 1 November,
 * 11 November, 25 December. Alsace-Moselle's extra Good Friday and 26 December are not listed.
 * Easter Monday, Ascension (Easter + 39) and Whit Monday (Easter + 50) are written out per year;
 * holidays.test.ts checks them against the Gregorian Easter computus.
 */
export const HOLIDAY_CALENDARS: Readonly<
  Record<string, { source: string; years: [number, number]; dates: readonly string[] }>
> = {
  FR: {
    source: 'Code du travail, article L3133-1 (jours fériés)',
    years: [2026, 2032],
    dates: [
      '2026-01-01',
      '2026-04-06',
      '2026-05-01',
      '2026-05-08',
      '2026-05-14',
      '2026-05-25',
      '2026-07-14',
      '2026-08-15',
      '2026-11-01',
      '2026-11-11',
      '2026-12-25',
      '2027-01-01',
      '2027-03-29',
      '2027-05-01',
      '2027-05-06',
      '2027-05-08',
      '2027-05-17',
      '2027-07-14',
      '2027-08-15',
      '2027-11-01',
      '2027-11-11',
      '2027-12-25',
      '2028-01-01',
      '2028-04-17',
      '2028-05-01',
      '2028-05-08',
      '2028-05-25',
      '2028-06-05',
      '2028-07-14',
      '2028-08-15',
      '2028-11-01',
      '2028-11-11',
      '2028-12-25',
      '2029-01-01',
      '2029-04-02',
      '2029-05-01',
      '2029-05-08',
      '2029-05-10',
      '2029-05-21',
      '2029-07-14',
      '2029-08-15',
      '2029-11-01',
      '2029-11-11',
      '2029-12-25',
      '2030-01-01',
      '2030-04-22',
      '2030-05-01',
      '2030-05-08',
      '2030-05-30',
      '2030-06-10',
      '2030-07-14',
      '2030-08-15',
      '2030-11-01',
      '2030-11-11',
      '2030-12-25',
      '2031-01-01',
      '2031-04-14',
      '2031-05-01',
      '2031-05-08',
      '2031-05-22',
      '2031-06-02',
      '2031-07-14',
      '2031-08-15',
      '2031-11-01',
      '2031-11-11',
      '2031-12-25',
      '2032-01-01',
      '2032-03-29',
      '2032-05-01',
      '2032-05-06',
      '2032-05-08',
      '2032-05-17',
      '2032-07-14',
      '2032-08-15',
      '2032-11-01',
      '2032-11-11',
      '2032-12-25',
    ],
  },
};

const SETS = new Map(Object.entries(HOLIDAY_CALENDARS).map(([id, c]) => [id, new Set(c.dates)]));

/** Whether `date` (YYYY-MM-DD, local to the recipient) is a holiday in calendar `id`. */
export function isHoliday(id: string, date: string): boolean {
  return SETS.get(id)?.has(date) ?? false;
}

/** Whether a calendar id is known (a rule naming an unknown calendar is refused). */
export function holidayCalendarKnown(id: string): boolean {
  return SETS.has(id);
}
