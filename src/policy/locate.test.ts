import { geocoder, timezones } from 'libphonenumber-geo-carrier';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { locateRecipient, type Location } from './locate.js';
import { numberGeocode, numberTimeZones } from './number-geo.js';

describe('locateRecipient: the number', () => {
  const cases: { phone: string; expected: Location }[] = [
    {
      phone: '+13055550123',
      expected: { timeZone: 'America/New_York', country: 'US', region: 'FL', source: 'area_code' },
    },
    {
      phone: '+12125550123',
      expected: { timeZone: 'America/New_York', country: 'US', region: 'NY', source: 'area_code' },
    },
    {
      phone: '+14155550123',
      expected: {
        timeZone: 'America/Los_Angeles',
        country: 'US',
        region: 'CA',
        source: 'area_code',
      },
    },
    {
      phone: '+15125550100',
      expected: { timeZone: 'America/Chicago', country: 'US', region: 'TX', source: 'area_code' },
    },
    {
      phone: '+12065550100',
      expected: {
        timeZone: 'America/Los_Angeles',
        country: 'US',
        region: 'WA',
        source: 'area_code',
      },
    },
    // Area code 775 (Nevada) spans two zones in libphonenumber's data: the window must hold in both.
    {
      phone: '+17755550100',
      expected: {
        timeZone: 'America/Boise',
        timeZones: ['America/Boise', 'America/Los_Angeles'],
        country: 'US',
        region: 'NV',
        source: 'area_code',
      },
    },
    {
      phone: '+33612345678',
      expected: { timeZone: 'Europe/Paris', country: 'FR', region: null, source: 'country' },
    },
    {
      phone: '+919812345678',
      expected: { timeZone: 'Asia/Calcutta', country: 'IN', region: null, source: 'country' },
    },
    // Toll-free spans all of NANP (42 zones): the number says the country, not the zone.
    {
      phone: '+18005550100',
      expected: { timeZone: null, country: 'US', region: null, source: 'country' },
    },
    {
      phone: 'not a number',
      expected: { timeZone: null, country: null, region: null, source: 'unknown' },
    },
  ];
  it.each(cases)('$phone', ({ phone, expected }) => {
    expect(locateRecipient(phone, {}, null)).toEqual(expected);
  });

  it('the sandbox default zone comes last', () => {
    expect(locateRecipient('+18005550100', {}, 'America/Chicago')).toEqual({
      timeZone: 'America/Chicago',
      country: 'US',
      region: null,
      source: 'sandbox_default',
    });
    expect(locateRecipient('x', {}, 'Europe/Paris')).toEqual({
      timeZone: 'Europe/Paris',
      country: null,
      region: null,
      source: 'sandbox_default',
    });
    expect(locateRecipient('x', {}, 'Nowhere/Else')).toEqual({
      timeZone: null,
      country: null,
      region: null,
      source: 'unknown',
      ignored: [
        {
          attribute: 'sandboxDefault',
          reason: 'not a time zone this runtime knows (IANA tz database)',
        },
      ],
    });
  });
});

describe('locateRecipient: the profile', () => {
  it('a profile time zone wins, the region still from the number', () => {
    expect(locateRecipient('+13055550123', { timeZone: 'America/Denver' }, null)).toEqual({
      timeZone: 'America/Denver',
      country: 'US',
      region: 'FL',
      source: 'profile_time_zone',
    });
  });
  it('an invalid zone is ignored with a reason, never a crash', () => {
    const bad: unknown[] = [
      'Mars/Olympus_Mons',
      '+05:00',
      'EST5EDT; DROP TABLE',
      'x'.repeat(100_000),
      42,
      { a: 1 },
      ['America/New_York'],
    ];
    for (const value of bad) {
      const loc = locateRecipient('+13055550123', { timeZone: value }, null);
      expect(loc.source).toBe('area_code');
      expect(loc.timeZone).toBe('America/New_York');
      expect(loc.ignored).toHaveLength(1);
      expect(loc.ignored![0]!.attribute).toBe('timeZone');
      expect(loc.ignored![0]!.reason.length).toBeGreaterThan(0);
    }
  });
  it('a state beats the area code (Virginia reaches residents on any number)', () => {
    expect(locateRecipient('+12125550123', { state: 'VA' }, null)).toEqual({
      timeZone: 'America/New_York',
      country: 'US',
      region: 'VA',
      source: 'profile_region',
    });
    expect(locateRecipient('+12125550123', { region: 'Texas' }, null)).toEqual({
      timeZone: 'America/Chicago',
      timeZones: ['America/Chicago', 'America/Denver'],
      country: 'US',
      region: 'TX',
      source: 'profile_region',
    });
    expect(locateRecipient('+33612345678', { state: 'US-fl' }, null)).toMatchObject({
      country: 'US',
      region: 'FL',
      source: 'profile_region',
    });
    // Same state as the number: the number's finer zone list.
    expect(locateRecipient('+13055550123', { state: 'FL' }, null)).toEqual({
      timeZone: 'America/New_York',
      country: 'US',
      region: 'FL',
      source: 'profile_region',
    });
  });
  it('a US ZIP code gives the state', () => {
    expect(locateRecipient('+12125550123', { postalCode: '33101' }, null)).toMatchObject({
      region: 'FL',
      source: 'profile_region',
    });
    expect(locateRecipient('+12125550123', { zip: '75001-1234' }, null)).toMatchObject({
      region: 'TX',
      source: 'profile_region',
    });
    expect(locateRecipient('+12125550123', { postal_code: 2108 }, null)).toMatchObject({
      region: 'MA',
      source: 'profile_region',
    });
  });
  it('unusable state and postal values are ignored with their reasons', () => {
    expect(
      locateRecipient('+13055550123', { state: 'Narnia', postalCode: 'SW1A 1AA' }, null),
    ).toEqual({
      timeZone: 'America/New_York',
      country: 'US',
      region: 'FL',
      source: 'area_code',
      ignored: [
        { attribute: 'state', reason: 'not a US state code or name' },
        { attribute: 'postalCode', reason: 'not a US ZIP code (12345 or 12345-6789)' },
      ],
    });
    // A French number's 75001 is Paris, not Texas.
    expect(locateRecipient('+33612345678', { postalCode: '75001' }, null)).toMatchObject({
      region: null,
      source: 'country',
      ignored: [{ attribute: 'postalCode' }],
    });
    expect(locateRecipient('+13055550123', { state: 'x'.repeat(65) }, null).ignored).toEqual([
      { attribute: 'state', reason: 'longer than 64 characters' },
    ]);
  });
  it('inherited properties are not attributes', () => {
    const attrs = Object.create({ timeZone: 'Europe/Paris' }) as Record<string, unknown>;
    expect(locateRecipient('+13055550123', attrs, null).source).toBe('area_code');
  });
});

describe('number-geo: the same answers as libphonenumber-geo-carrier, read once', () => {
  const numbers = [
    '+13055550123',
    '+12125550123',
    '+14155550123',
    '+17755550100',
    '+18005550100',
    '+33612345678',
    '+33145678901',
    '+919812345678',
    '+442079460000',
    '+4915112345678',
    '+61212345678',
    '+16135550100',
  ];
  it.each(numbers)('%s', async (n) => {
    const phone = parsePhoneNumberFromString(n)!;
    expect(numberTimeZones(phone)).toEqual(await timezones(phone));
    expect(numberGeocode(phone)).toEqual(await geocoder(phone));
  });
});
