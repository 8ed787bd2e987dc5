import type { PolicyRule, TimeRange, Weekday } from './rule.js';

/**
 * The rules Tern ships: every row of the compliance table (docs: /work/shared/compliance-rules.md,
 * "as of late 2026") that gives a window or a cap, as data. Each row names its source and date;
 * `confidence` carries the table's "U" (not confirmed from a primary text). Operators disable or
 * override a row per sandbox (never edit it here): strictest wins, so an extra row only narrows.
 * Windows hold outside (the message waits in Tern's queue); caps drop (a later text on the same
 * subject is not owed).
 */

type Days = Record<Weekday, TimeRange[]>;

function every(start: string, end: string): Days {
  return week({
    mon: [start, end],
    tue: [start, end],
    wed: [start, end],
    thu: [start, end],
    fri: [start, end],
    sat: [start, end],
    sun: [start, end],
  });
}

function week(spec: Partial<Record<Weekday, [string, string]>>): Days {
  const day = (d: Weekday): TimeRange[] => {
    const w = spec[d];
    return w ? [{ start: w[0], end: w[1] }] : [];
  };
  return {
    mon: day('mon'),
    tue: day('tue'),
    wed: day('wed'),
    thu: day('thu'),
    fri: day('fri'),
    sat: day('sat'),
    sun: day('sun'),
  };
}

const EXEMPT = { transactional: true, oneTimeCodes: true } as const;

function windowRule(
  id: string,
  name: string,
  scope: PolicyRule['scope'],
  days: Days,
  source: string,
  effectiveFrom: string,
  extra: Partial<PolicyRule> = {},
): PolicyRule {
  return {
    id,
    name,
    scope,
    kind: 'window',
    window: { timeZoneFrom: 'recipient', days },
    outside: 'hold',
    exempt: { ...EXEMPT },
    source,
    effectiveFrom,
    effectiveUntil: null,
    origin: 'shipped',
    enabled: true,
    version: 1,
    ...extra,
  };
}

function capRule(
  id: string,
  name: string,
  region: string,
  source: string,
  effectiveFrom: string,
  extra: Partial<PolicyRule> = {},
): PolicyRule {
  return {
    id,
    name,
    scope: { country: 'US', region },
    kind: 'cap',
    cap: { max: 3, windowHours: 24, per: 'subject' },
    outside: 'drop',
    exempt: { ...EXEMPT },
    source,
    effectiveFrom,
    effectiveUntil: null,
    origin: 'shipped',
    enabled: true,
    version: 1,
    ...extra,
  };
}

const US = (region: string) => ({ country: 'US', region });
const SECONDARY = 'U: secondary tables only, not checked against the statute; sources conflict';

export const SHIPPED_RULES: readonly PolicyRule[] = [
  // Guess: 1992-12-20 is when 47 CFR 64.1200 first took effect; the table says "long-standing".
  windowRule(
    'us-federal',
    'TCPA telephone solicitation hours',
    { country: 'US' },
    every('08:00', '21:00'),
    '47 CFR 64.1200(c)(1); 47 U.S.C. §227',
    '1992-12-20',
  ),
  windowRule(
    'us-fl',
    'Florida (FTSA) hours',
    US('FL'),
    every('08:00', '20:00'),
    'Fla. Stat. §501.059 (FTSA; HB 761)',
    '2021-07-01',
  ),
  capRule(
    'us-fl-cap',
    'Florida (FTSA) 3 per 24 h on one subject',
    'FL',
    'Fla. Stat. §501.059 (FTSA; HB 761)',
    '2021-07-01',
  ),
  windowRule(
    'us-ok',
    'Oklahoma (OTSA) hours',
    US('OK'),
    every('08:00', '20:00'),
    'OK HB 3168 (enrolled), 15 O.S. §775C',
    '2022-11-01',
  ),
  capRule(
    'us-ok-cap',
    'Oklahoma (OTSA) 3 per 24 h on one matter',
    'OK',
    'OK HB 3168 (enrolled), 15 O.S. §775C',
    '2022-11-01',
  ),
  windowRule(
    'us-md',
    'Maryland (Stop the Spam Calls Act) hours',
    US('MD'),
    every('08:00', '20:00'),
    'Maryland Stop the Spam Calls Act',
    '2024-01-01',
    { confidence: 'U: secondary source' },
  ),
  capRule(
    'us-md-cap',
    'Maryland 3 per 24 h on one subject',
    'MD',
    'Maryland Stop the Spam Calls Act',
    '2024-01-01',
    { confidence: 'U: secondary source' },
  ),
  windowRule(
    'us-tx',
    'Texas (SB 140) hours, noon on Sunday',
    US('TX'),
    week({
      mon: ['09:00', '21:00'],
      tue: ['09:00', '21:00'],
      wed: ['09:00', '21:00'],
      thu: ['09:00', '21:00'],
      fri: ['09:00', '21:00'],
      sat: ['09:00', '21:00'],
      sun: ['12:00', '21:00'],
    }),
    'Texas SB 140, Bus. & Com. Code ch. 302/304/305',
    '2025-09-01',
    { confidence: 'secondary sources' },
  ),
  windowRule(
    'us-va',
    'Virginia (VTPPA, SB 1339) hours',
    US('VA'),
    every('08:00', '21:00'),
    'Virginia SB 1339 (VTPPA)',
    '2026-01-01',
    { confidence: 'secondary sources' },
  ),
  windowRule(
    'us-ct',
    'Connecticut (SB 1058) hours',
    US('CT'),
    every('09:00', '20:00'),
    'CT SB 1058',
    '2023-10-01',
    { confidence: 'secondary sources' },
  ),
  // Guess: no date in the table ("U"); 2000-01-01 makes the row apply now.
  windowRule(
    'us-wa',
    'Washington hours',
    US('WA'),
    every('08:00', '20:00'),
    'vendor table',
    '2000-01-01',
    { confidence: 'U: vendor table; in-force date unknown' },
  ),
  // The table's "others" row: shipped on (strictest wins, so each can only narrow a window) and
  // marked U; CA and IL are left out because the sources disagree on them.
  windowRule(
    'us-al',
    'Alabama hours, no Sundays',
    US('AL'),
    week({
      mon: ['08:00', '20:00'],
      tue: ['08:00', '20:00'],
      wed: ['08:00', '20:00'],
      thu: ['08:00', '20:00'],
      fri: ['08:00', '20:00'],
      sat: ['08:00', '20:00'],
    }),
    'secondary state tables',
    '2000-01-01',
    { confidence: `${SECONDARY}; its holidays are not modelled (no US holiday calendar)` },
  ),
  windowRule(
    'us-ky',
    'Kentucky hours',
    US('KY'),
    every('10:00', '21:00'),
    'secondary state tables',
    '2000-01-01',
    { confidence: SECONDARY },
  ),
  windowRule(
    'us-la',
    'Louisiana hours',
    US('LA'),
    every('08:00', '20:00'),
    'secondary state tables',
    '2000-01-01',
    { confidence: SECONDARY },
  ),
  windowRule(
    'us-ma',
    'Massachusetts hours',
    US('MA'),
    every('08:00', '20:00'),
    'secondary state tables',
    '2000-01-01',
    { confidence: SECONDARY },
  ),
  windowRule(
    'us-mi',
    'Michigan hours',
    US('MI'),
    every('09:00', '21:00'),
    'secondary state tables',
    '2000-01-01',
    { confidence: SECONDARY },
  ),
  windowRule(
    'us-mn',
    'Minnesota hours',
    US('MN'),
    every('09:00', '21:00'),
    'secondary state tables',
    '2000-01-01',
    { confidence: SECONDARY },
  ),
  windowRule(
    'us-ms',
    'Mississippi hours, no Sundays',
    US('MS'),
    week({
      mon: ['08:00', '20:00'],
      tue: ['08:00', '20:00'],
      wed: ['08:00', '20:00'],
      thu: ['08:00', '20:00'],
      fri: ['08:00', '20:00'],
      sat: ['08:00', '20:00'],
    }),
    'secondary state tables',
    '2000-01-01',
    { confidence: SECONDARY },
  ),
  windowRule(
    'us-nj',
    'New Jersey hours',
    US('NJ'),
    every('08:00', '20:00'),
    'secondary state tables',
    '2000-01-01',
    { confidence: SECONDARY },
  ),
  windowRule(
    'us-nv',
    'Nevada hours',
    US('NV'),
    every('09:00', '20:00'),
    'secondary state tables',
    '2000-01-01',
    { confidence: SECONDARY },
  ),
  windowRule(
    'us-ri',
    'Rhode Island hours (shorter at weekends)',
    US('RI'),
    week({
      mon: ['09:00', '18:00'],
      tue: ['09:00', '18:00'],
      wed: ['09:00', '18:00'],
      thu: ['09:00', '18:00'],
      fri: ['09:00', '18:00'],
      sat: ['10:00', '17:00'],
      sun: ['10:00', '17:00'],
    }),
    'secondary state tables',
    '2000-01-01',
    { confidence: SECONDARY },
  ),
  windowRule(
    'fr',
    'France: 8 am–10 pm, no Sundays or public holidays',
    { country: 'FR' },
    week({
      mon: ['08:00', '22:00'],
      tue: ['08:00', '22:00'],
      wed: ['08:00', '22:00'],
      thu: ['08:00', '22:00'],
      fri: ['08:00', '22:00'],
      sat: ['08:00', '22:00'],
    }),
    'Klaviyo help center (as Klaviyo applies it)',
    '2000-01-01',
    {
      window: {
        timeZoneFrom: 'recipient',
        days: week({
          mon: ['08:00', '22:00'],
          tue: ['08:00', '22:00'],
          wed: ['08:00', '22:00'],
          thu: ['08:00', '22:00'],
          fri: ['08:00', '22:00'],
          sat: ['08:00', '22:00'],
        }),
        holidays: 'FR',
      },
      confidence: 'U for the legal text; date unknown',
    },
  ),
  windowRule(
    'in-promotional',
    'India promotional traffic 10:00–21:00 IST',
    { country: 'IN' },
    every('10:00', '21:00'),
    'TRAI TCCCPR 2018 and directions of 2024-08-20 and 2025-02-12',
    '2018-07-19',
    { confidence: 'secondary sources; the TCCCPR date is a guess' },
  ),
];
