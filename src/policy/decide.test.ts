import { describe, expect, it } from 'vitest';
import { decide, type DecideInput, type Decision } from './decide.js';
import type { Location } from './locate.js';
import type { PolicyRule } from './rule.js';
import { SHIPPED_RULES } from './shipped-rules.js';

const at = (iso: string) => new Date(iso);
const rule = (id: string): PolicyRule => {
  const r = SHIPPED_RULES.find((x) => x.id === id);
  if (!r) throw new Error(`no shipped rule ${id}`);
  return r;
};

function us(region: string, timeZone: string, extra: Partial<Location> = {}): Location {
  return { timeZone, country: 'US', region, source: 'area_code', ...extra };
}
const PARIS: Location = {
  timeZone: 'Europe/Paris',
  country: 'FR',
  region: null,
  source: 'country',
};
const INDIA: Location = {
  timeZone: 'Asia/Calcutta',
  country: 'IN',
  region: null,
  source: 'country',
};

function input(location: Location, extra: Partial<DecideInput> = {}): DecideInput {
  return {
    to: '+13055550123',
    messageType: 'marketing',
    origin: 'campaign',
    location,
    validUntil: '2099-01-01T00:00:00.000Z',
    subject: 'cmp_1',
    recentSends: { number: 0, subject: 0 },
    ...extra,
  };
}

const hold = (until: string, rule: string, source: Location['source'] = 'area_code'): Decision => ({
  action: 'hold',
  until,
  rule,
  source,
});
const SEND: Decision = { action: 'send' };

// December 2026: New York UTC-5, Chicago UTC-6, Denver UTC-7, Los Angeles UTC-8, Paris UTC+1.
// 2026-12-02 is a Wednesday, 2026-12-05 a Saturday, 2026-12-06 a Sunday.
describe('every shipped row, alone and among all shipped rules', () => {
  const cases: {
    title: string;
    rules: string[] | 'all';
    location: Location;
    now: string;
    extra?: Partial<DecideInput>;
    expected: Decision;
  }[] = [
    {
      title: 'federal: 07:59 ET waits for 08:00',
      rules: ['us-federal'],
      location: us('NY', 'America/New_York'),
      now: '2026-12-02T12:59:00Z',
      expected: hold('2026-12-02T13:00:00.000Z', 'us-federal'),
    },
    {
      title: 'federal: 08:00 ET goes',
      rules: 'all',
      location: us('NY', 'America/New_York'),
      now: '2026-12-02T13:00:00Z',
      expected: SEND,
    },
    {
      title: 'federal: 20:59 ET goes',
      rules: 'all',
      location: us('NY', 'America/New_York'),
      now: '2026-12-03T01:59:00Z',
      expected: SEND,
    },
    {
      title: 'federal: 21:00 ET waits for the next morning',
      rules: 'all',
      location: us('NY', 'America/New_York'),
      now: '2026-12-03T02:00:00Z',
      expected: hold('2026-12-03T13:00:00.000Z', 'us-federal'),
    },
    {
      title: 'federal: Pacific time read in Los Angeles',
      rules: 'all',
      location: us('CA', 'America/Los_Angeles'),
      now: '2026-12-02T15:30:00Z',
      expected: hold('2026-12-02T16:00:00.000Z', 'us-federal'),
    },
    {
      title: 'FL: 20:00 ET is closed',
      rules: ['us-fl'],
      location: us('FL', 'America/New_York'),
      now: '2026-12-03T01:00:00Z',
      expected: hold('2026-12-03T13:00:00.000Z', 'us-fl'),
    },
    {
      title: 'FL: 19:59 ET goes',
      rules: 'all',
      location: us('FL', 'America/New_York'),
      now: '2026-12-03T00:59:00Z',
      expected: SEND,
    },
    {
      title: 'FL: 20:30 ET among all rules waits for us-fl',
      rules: 'all',
      location: us('FL', 'America/New_York'),
      now: '2026-12-03T01:30:00Z',
      expected: hold('2026-12-03T13:00:00.000Z', 'us-fl'),
    },
    {
      title: 'FL cap: a 4th text on one subject is dropped',
      rules: ['us-fl-cap'],
      location: us('FL', 'America/New_York'),
      now: '2026-12-02T15:00:00Z',
      extra: { recentSends: { number: 3, subject: 3 } },
      expected: { action: 'drop', reason: 'frequency_cap', rule: 'us-fl-cap', source: 'area_code' },
    },
    {
      title: 'OK: 20:00 CT is closed',
      rules: ['us-ok'],
      location: us('OK', 'America/Chicago'),
      now: '2026-12-03T02:00:00Z',
      expected: hold('2026-12-03T14:00:00.000Z', 'us-ok'),
    },
    {
      title: 'OK cap: 3 sent on the matter',
      rules: ['us-ok-cap'],
      location: us('OK', 'America/Chicago'),
      now: '2026-12-02T18:00:00Z',
      extra: { recentSends: { number: 3, subject: 3 } },
      expected: { action: 'drop', reason: 'frequency_cap', rule: 'us-ok-cap', source: 'area_code' },
    },
    {
      title: 'MD: 20:30 ET is closed',
      rules: ['us-md'],
      location: us('MD', 'America/New_York'),
      now: '2026-12-03T01:30:00Z',
      expected: hold('2026-12-03T13:00:00.000Z', 'us-md'),
    },
    {
      title: 'MD cap: 3 sent on the subject',
      rules: ['us-md-cap'],
      location: us('MD', 'America/New_York'),
      now: '2026-12-02T15:00:00Z',
      extra: { recentSends: { number: 5, subject: 3 } },
      expected: { action: 'drop', reason: 'frequency_cap', rule: 'us-md-cap', source: 'area_code' },
    },
    {
      title: 'TX: Saturday 08:59 CT waits for 09:00',
      rules: 'all',
      location: us('TX', 'America/Chicago'),
      now: '2026-12-05T14:59:00Z',
      expected: hold('2026-12-05T15:00:00.000Z', 'us-tx'),
    },
    {
      title: 'TX: Saturday 09:00 CT goes',
      rules: 'all',
      location: us('TX', 'America/Chicago'),
      now: '2026-12-05T15:00:00Z',
      expected: SEND,
    },
    {
      title: 'TX: Sunday 11:59 CT waits for noon',
      rules: 'all',
      location: us('TX', 'America/Chicago'),
      now: '2026-12-06T17:59:00Z',
      expected: hold('2026-12-06T18:00:00.000Z', 'us-tx'),
    },
    {
      title: 'TX: Sunday noon CT goes',
      rules: 'all',
      location: us('TX', 'America/Chicago'),
      now: '2026-12-06T18:00:00Z',
      expected: SEND,
    },
    {
      title: 'TX: Saturday 21:00 CT waits for Sunday noon',
      rules: 'all',
      location: us('TX', 'America/Chicago'),
      now: '2026-12-06T03:00:00Z',
      expected: hold('2026-12-06T18:00:00.000Z', 'us-tx'),
    },
    {
      title: 'TX: a Sunday at 10:00 before SB 140 (2025-08-31) goes',
      rules: 'all',
      location: us('TX', 'America/Chicago'),
      now: '2025-08-31T15:00:00Z',
      expected: SEND,
    },
    {
      title: 'TX: the first Sunday under SB 140 (2025-09-07) waits',
      rules: 'all',
      location: us('TX', 'America/Chicago'),
      now: '2025-09-07T15:00:00Z',
      expected: hold('2025-09-07T17:00:00.000Z', 'us-tx'),
    },
    {
      title: 'VA: 21:00 ET closed',
      rules: ['us-va'],
      location: us('VA', 'America/New_York'),
      now: '2026-12-03T02:00:00Z',
      expected: hold('2026-12-03T13:00:00.000Z', 'us-va'),
    },
    {
      title: 'VA: not in force on 2025-12-31',
      rules: ['us-va'],
      location: us('VA', 'America/New_York'),
      now: '2025-12-31T03:00:00Z',
      expected: SEND,
    },
    {
      title: 'CT: 08:30 ET waits for 09:00',
      rules: 'all',
      location: us('CT', 'America/New_York'),
      now: '2026-12-02T13:30:00Z',
      expected: hold('2026-12-02T14:00:00.000Z', 'us-ct'),
    },
    {
      title: 'CT: 20:00 ET closed',
      rules: ['us-ct'],
      location: us('CT', 'America/New_York'),
      now: '2026-12-03T01:00:00Z',
      expected: hold('2026-12-03T14:00:00.000Z', 'us-ct'),
    },
    {
      title: 'WA: 20:00 PT closed',
      rules: 'all',
      location: us('WA', 'America/Los_Angeles'),
      now: '2026-12-03T04:00:00Z',
      expected: hold('2026-12-03T16:00:00.000Z', 'us-wa'),
    },
    {
      title: 'AL: no Sunday, Monday 08:00 CT',
      rules: 'all',
      location: us('AL', 'America/Chicago'),
      now: '2026-12-06T18:00:00Z',
      expected: hold('2026-12-07T14:00:00.000Z', 'us-al'),
    },
    {
      title: 'KY: 09:30 ET in a number spanning ET and CT waits for 10:00 CT',
      rules: 'all',
      location: us('KY', 'America/New_York', {
        timeZones: ['America/New_York', 'America/Chicago'],
      }),
      now: '2026-12-02T14:30:00Z',
      expected: hold('2026-12-02T16:00:00.000Z', 'us-ky'),
    },
    {
      title: 'LA: 20:00 CT closed',
      rules: ['us-la'],
      location: us('LA', 'America/Chicago'),
      now: '2026-12-03T02:00:00Z',
      expected: hold('2026-12-03T14:00:00.000Z', 'us-la'),
    },
    {
      title: 'MA: 20:00 ET closed',
      rules: ['us-ma'],
      location: us('MA', 'America/New_York'),
      now: '2026-12-03T01:00:00Z',
      expected: hold('2026-12-03T13:00:00.000Z', 'us-ma'),
    },
    {
      title: 'MI: 08:30 ET waits for 09:00',
      rules: ['us-mi'],
      location: us('MI', 'America/Detroit'),
      now: '2026-12-02T13:30:00Z',
      expected: hold('2026-12-02T14:00:00.000Z', 'us-mi'),
    },
    {
      title: 'MN: 08:30 CT waits for 09:00',
      rules: ['us-mn'],
      location: us('MN', 'America/Chicago'),
      now: '2026-12-02T14:30:00Z',
      expected: hold('2026-12-02T15:00:00.000Z', 'us-mn'),
    },
    {
      title: 'MS: no Sunday',
      rules: ['us-ms'],
      location: us('MS', 'America/Chicago'),
      now: '2026-12-06T18:00:00Z',
      expected: hold('2026-12-07T14:00:00.000Z', 'us-ms'),
    },
    {
      title: 'NJ: 20:00 ET closed',
      rules: ['us-nj'],
      location: us('NJ', 'America/New_York'),
      now: '2026-12-03T01:00:00Z',
      expected: hold('2026-12-03T13:00:00.000Z', 'us-nj'),
    },
    {
      title: 'NV: 08:30 PT waits for 09:00',
      rules: ['us-nv'],
      location: us('NV', 'America/Los_Angeles'),
      now: '2026-12-02T16:30:00Z',
      expected: hold('2026-12-02T17:00:00.000Z', 'us-nv'),
    },
    {
      title: 'RI: Saturday 09:30 ET waits for 10:00',
      rules: 'all',
      location: us('RI', 'America/New_York'),
      now: '2026-12-05T14:30:00Z',
      expected: hold('2026-12-05T15:00:00.000Z', 'us-ri'),
    },
    {
      title: 'RI: Wednesday 18:00 ET closed',
      rules: ['us-ri'],
      location: us('RI', 'America/New_York'),
      now: '2026-12-02T23:00:00Z',
      expected: hold('2026-12-03T14:00:00.000Z', 'us-ri'),
    },
    {
      title: 'FR: Wednesday 21:59 Paris goes',
      rules: 'all',
      location: PARIS,
      now: '2026-12-02T20:59:00Z',
      expected: SEND,
    },
    {
      title: 'FR: Wednesday 22:00 Paris waits for 08:00',
      rules: 'all',
      location: PARIS,
      now: '2026-12-02T21:00:00Z',
      expected: hold('2026-12-03T07:00:00.000Z', 'fr', 'country'),
    },
    {
      title: 'FR: Sunday waits for Monday 08:00',
      rules: 'all',
      location: PARIS,
      now: '2026-12-06T10:00:00Z',
      expected: hold('2026-12-07T07:00:00.000Z', 'fr', 'country'),
    },
    {
      title: 'FR: Christmas (Friday) waits for Saturday 08:00',
      rules: 'all',
      location: PARIS,
      now: '2026-12-25T09:00:00Z',
      expected: hold('2026-12-26T07:00:00.000Z', 'fr', 'country'),
    },
    {
      title: 'FR: Saturday 8 May 2027 (holiday), Sunday, then Monday 08:00 CEST',
      rules: 'all',
      location: PARIS,
      now: '2027-05-08T09:00:00Z',
      expected: hold('2027-05-10T06:00:00.000Z', 'fr', 'country'),
    },
    {
      title: 'IN: 09:59 IST waits for 10:00',
      rules: 'all',
      location: INDIA,
      now: '2026-12-02T04:29:00Z',
      expected: hold('2026-12-02T04:30:00.000Z', 'in-promotional', 'country'),
    },
    {
      title: 'IN: 20:59 IST goes',
      rules: 'all',
      location: INDIA,
      now: '2026-12-02T15:29:00Z',
      expected: SEND,
    },
    {
      title: 'no rule for Germany: goes at 03:00',
      rules: 'all',
      location: { timeZone: 'Europe/Berlin', country: 'DE', region: null, source: 'country' },
      now: '2026-12-02T02:00:00Z',
      expected: SEND,
    },
  ];

  it.each(cases)('$title', ({ rules, location, now, extra, expected }) => {
    const list = rules === 'all' ? SHIPPED_RULES : rules.map(rule);
    expect(decide(input(location, extra), list, at(now))).toEqual(expected);
  });

  it('covers every shipped rule at least once', () => {
    const covered = new Set(
      cases.flatMap((c) => (c.expected.action === 'send' ? [] : [c.expected.rule])),
    );
    expect(SHIPPED_RULES.map((r) => r.id).filter((id) => !covered.has(id))).toEqual([]);
  });
});

describe('daylight saving time', () => {
  const NY = us('NY', 'America/New_York');
  it('US spring forward (2027-03-14): 01:00 EST waits for 08:00 EDT, 12:00 UTC', () => {
    expect(decide(input(NY), SHIPPED_RULES, at('2027-03-14T06:00:00Z'))).toEqual(
      hold('2027-03-14T12:00:00.000Z', 'us-federal'),
    );
  });
  it('US fall back (2026-11-01): 01:00 EDT waits for 08:00 EST, 13:00 UTC', () => {
    expect(decide(input(NY), SHIPPED_RULES, at('2026-11-01T05:00:00Z'))).toEqual(
      hold('2026-11-01T13:00:00.000Z', 'us-federal'),
    );
  });
  it('US fall back: 21:00 EDT on the eve waits across the change', () => {
    expect(decide(input(NY), SHIPPED_RULES, at('2026-11-01T01:00:00Z'))).toEqual(
      hold('2026-11-01T13:00:00.000Z', 'us-federal'),
    );
  });
  it('US spring: 20:59 EDT on the day of the change still goes', () => {
    expect(decide(input(NY), SHIPPED_RULES, at('2027-03-15T00:59:00Z'))).toEqual(SEND);
  });
  it('EU fall back (2026-10-25): Saturday 22:30 CEST waits past Sunday for Monday 08:00 CET', () => {
    expect(decide(input(PARIS), SHIPPED_RULES, at('2026-10-24T20:30:00Z'))).toEqual(
      hold('2026-10-26T07:00:00.000Z', 'fr', 'country'),
    );
  });
  it('EU spring forward (2027-03-28, a Sunday; Easter Monday next): Tuesday 08:00 CEST', () => {
    expect(decide(input(PARIS), SHIPPED_RULES, at('2027-03-27T21:30:00Z'))).toEqual(
      hold('2027-03-30T06:00:00.000Z', 'fr', 'country'),
    );
  });
  it('EU spring forward with a window that opens in the skipped hour (02:30 Berlin) opens at the jump', () => {
    const night = custom({ days: { sun: [{ start: '02:30', end: '04:00' }] } });
    const berlin: Location = {
      timeZone: 'Europe/Berlin',
      country: 'DE',
      region: null,
      source: 'country',
    };
    // 2027-03-28 01:00 UTC is 02:00 CET → 03:00 CEST.
    expect(decide(input(berlin), [night], at('2027-03-28T00:30:00Z'))).toEqual(
      hold('2027-03-28T01:00:00.000Z', 'custom', 'country'),
    );
  });
});

function custom(opts: {
  days?: Partial<
    Record<'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun', { start: string; end: string }[]>
  >;
  extra?: Partial<PolicyRule>;
}): PolicyRule {
  const days = { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [], ...opts.days };
  return {
    id: 'custom',
    name: 'custom',
    scope: { everywhere: true },
    kind: 'window',
    window: { timeZoneFrom: 'recipient', days },
    outside: 'hold',
    exempt: { transactional: true, oneTimeCodes: true },
    source: 'test',
    effectiveFrom: '2000-01-01',
    effectiveUntil: null,
    origin: 'sandbox',
    enabled: true,
    version: 1,
    ...opts.extra,
  };
}

describe('exemptions, caps and limits', () => {
  const FL = us('FL', 'America/New_York');
  const NIGHT = at('2026-12-03T04:00:00Z'); // 23:00 ET

  it('the opt-out confirmation and inbound replies (HELP) go out at night', () => {
    expect(decide(input(FL, { origin: 'opt_out_reply' }), SHIPPED_RULES, NIGHT)).toEqual(SEND);
    expect(
      decide(input(FL, { origin: 'reply', messageType: 'marketing' }), SHIPPED_RULES, NIGHT),
    ).toEqual(SEND);
  });
  it('transactional and one-time codes are exempt by default, switchable per rule', () => {
    expect(decide(input(FL, { messageType: 'transactional' }), SHIPPED_RULES, NIGHT)).toEqual(SEND);
    const reaching = { ...rule('us-fl'), exempt: { transactional: false, oneTimeCodes: true } };
    expect(decide(input(FL, { messageType: 'transactional' }), [reaching], NIGHT)).toEqual(
      hold('2026-12-03T13:00:00.000Z', 'us-fl'),
    );
    expect(
      decide(input(FL, { messageType: 'transactional', oneTimeCode: true }), [reaching], NIGHT),
    ).toEqual(SEND);
    const codes = { ...rule('us-fl'), exempt: { transactional: true, oneTimeCodes: false } };
    expect(
      decide(input(FL, { messageType: 'transactional', oneTimeCode: true }), [codes], NIGHT),
    ).toEqual(hold('2026-12-03T13:00:00.000Z', 'us-fl'));
  });
  it('a Florida cap is hit on the fourth text of a subject within 24 h', () => {
    const noon = at('2026-12-02T17:00:00Z');
    const results = [0, 1, 2, 3].map(
      (sent) =>
        decide(input(FL, { recentSends: { number: sent, subject: sent } }), SHIPPED_RULES, noon)
          .action,
    );
    expect(results).toEqual(['send', 'send', 'send', 'drop']);
    // Another subject: the per-subject count is what matters.
    expect(
      decide(input(FL, { recentSends: { number: 7, subject: 0 } }), SHIPPED_RULES, noon),
    ).toEqual(SEND);
    // No subject known: every marketing send to the number counts.
    expect(
      decide(
        input(FL, { subject: null, recentSends: { number: 3, subject: 0 } }),
        SHIPPED_RULES,
        noon,
      ).action,
    ).toBe('drop');
    // byRule wins for a rule it lists.
    expect(
      decide(
        input(FL, { recentSends: { number: 9, subject: 9, byRule: { 'us-fl-cap': 2 } } }),
        SHIPPED_RULES,
        noon,
      ),
    ).toEqual(SEND);
  });
  it('a cap that holds waits a whole cap window, then for the window', () => {
    const cap = { ...rule('us-fl-cap'), outside: 'hold' as const };
    // 17:00 UTC + 24 h = 12:00 ET next day, inside the window.
    expect(
      decide(
        input(FL, { recentSends: { number: 3, subject: 3 } }),
        [cap, rule('us-fl')],
        at('2026-12-02T17:00:00Z'),
      ),
    ).toEqual(hold('2026-12-03T17:00:00.000Z', 'us-fl-cap'));
    // 04:00 UTC + 24 h = 23:00 ET: then the window's next opening.
    expect(
      decide(input(FL, { recentSends: { number: 3, subject: 3 } }), [cap, rule('us-fl')], NIGHT),
    ).toEqual(hold('2026-12-04T13:00:00.000Z', 'us-fl'));
  });
  it('a hold never outlives validUntil', () => {
    expect(
      decide(input(FL, { validUntil: '2026-12-03T12:59:59.000Z' }), SHIPPED_RULES, NIGHT),
    ).toEqual({ action: 'drop', reason: 'hold_past_validity', rule: 'us-fl', source: 'area_code' });
    expect(
      decide(input(FL, { validUntil: '2026-12-03T13:00:00.000Z' }), SHIPPED_RULES, NIGHT).action,
    ).toBe('hold');
  });
  it('a rule that drops outside its window drops', () => {
    const drop = { ...rule('us-fl'), outside: 'drop' as const };
    expect(decide(input(FL), [drop], NIGHT)).toEqual({
      action: 'drop',
      reason: 'quiet_hours',
      rule: 'us-fl',
      source: 'area_code',
    });
  });
  it('no zone known: a window cannot be judged, so the message is dropped', () => {
    const loc: Location = { timeZone: null, country: 'US', region: null, source: 'country' };
    expect(decide(input(loc), SHIPPED_RULES, NIGHT)).toEqual({
      action: 'drop',
      reason: 'time_zone_unknown',
      rule: 'us-federal',
      source: 'country',
    });
  });
  it('no window within 14 days: dropped, and the search is bounded', () => {
    const closed = custom({});
    const started = performance.now();
    expect(decide(input(FL), [closed], NIGHT)).toEqual({
      action: 'drop',
      reason: 'no_window',
      rule: 'custom',
      source: 'area_code',
    });
    // Two windows that never overlap (Mon in one zone vs Tue in another): also no_window, bounded.
    const mon = custom({ days: { mon: [{ start: '10:00', end: '11:00' }] }, extra: { id: 'mon' } });
    const tue = custom({ days: { tue: [{ start: '10:00', end: '11:00' }] }, extra: { id: 'tue' } });
    expect(decide(input(FL), [mon, tue], NIGHT).action).toBe('drop');
    expect(performance.now() - started).toBeLessThan(500);
  });
  it('a rule effective in the future (2027-01-31) does not apply yet', () => {
    const later = custom({
      days: { mon: [{ start: '10:00', end: '11:00' }] },
      extra: { effectiveFrom: '2027-01-31' },
    });
    expect(decide(input(FL), [later], NIGHT)).toEqual(SEND);
    expect(decide(input(FL), [later], at('2027-02-01T04:00:00Z')).action).toBe('hold');
  });
  it('a disabled or expired rule does not apply', () => {
    expect(decide(input(FL), [{ ...rule('us-fl'), enabled: false }], NIGHT)).toEqual(SEND);
    expect(decide(input(FL), [{ ...rule('us-fl'), effectiveUntil: '2026-11-30' }], NIGHT)).toEqual(
      SEND,
    );
  });
  it('two windows on one day: the later one opens after the break', () => {
    const split = custom({
      days: {
        wed: [
          { start: '09:00', end: '12:00' },
          { start: '14:00', end: '18:00' },
        ],
      },
    });
    // Wednesday 13:00 ET.
    expect(decide(input(FL), [split], at('2026-12-02T18:00:00Z'))).toEqual(
      hold('2026-12-02T19:00:00.000Z', 'custom'),
    );
  });
});
