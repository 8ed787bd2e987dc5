import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, nextOpening, type DecideInput } from './decide.js';
import type { Location } from './locate.js';
import { SHIPPED_RULES } from './shipped-rules.js';
import { localTime } from './zoned-time.js';

const PLACES: Location[] = [
  { timeZone: 'America/New_York', country: 'US', region: 'FL', source: 'area_code' },
  { timeZone: 'America/Chicago', country: 'US', region: 'TX', source: 'area_code' },
  {
    timeZone: 'America/Boise',
    timeZones: ['America/Boise', 'America/Los_Angeles'],
    country: 'US',
    region: 'NV',
    source: 'area_code',
  },
  {
    timeZone: 'America/New_York',
    timeZones: ['America/New_York', 'America/Chicago'],
    country: 'US',
    region: 'KY',
    source: 'profile_region',
  },
  { timeZone: 'America/New_York', country: 'US', region: 'RI', source: 'area_code' },
  { timeZone: 'Europe/Paris', country: 'FR', region: null, source: 'country' },
  { timeZone: 'Asia/Calcutta', country: 'IN', region: null, source: 'country' },
];

const input = (location: Location): DecideInput => ({
  to: '+10000000000',
  messageType: 'marketing',
  origin: 'campaign',
  location,
  validUntil: '2099-01-01T00:00:00.000Z',
  subject: null,
  recentSends: { number: 0, subject: 0 },
});

// 2026-2032, minute resolution: every DST change of those years is inside.
const instant = fc
  .integer({ min: Date.UTC(2026, 0, 1) / 60_000, max: Date.UTC(2032, 11, 1) / 60_000 })
  .map((m) => new Date(m * 60_000));

describe('decide, over random instants in 2026–2032', () => {
  it('a hold is later than now, and at its release the text goes; a send is inside every window', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom(...PLACES), (now, place) => {
        const d = decide(input(place), SHIPPED_RULES, now);
        if (d.action === 'hold') {
          expect(Date.parse(d.until)).toBeGreaterThan(now.getTime());
          expect(decide(input(place), SHIPPED_RULES, new Date(d.until))).toEqual({
            action: 'send',
          });
          // The minute before the release it still waits.
          expect(
            decide(input(place), SHIPPED_RULES, new Date(Date.parse(d.until) - 60_000)).action,
          ).toBe('hold');
        } else {
          expect(d.action).toBe('send');
        }
      }),
      { numRuns: 400 },
    );
  });

  it('federal 08:00-21:00 local holds exactly outside those hours (read with Intl)', () => {
    const federal = SHIPPED_RULES.filter((r) => r.id === 'us-federal');
    fc.assert(
      fc.property(
        instant,
        fc.constantFrom(
          'America/New_York',
          'America/Denver',
          'America/Phoenix',
          'Pacific/Honolulu',
          'America/Anchorage',
        ),
        (now, zone) => {
          const local = localTime(now.getTime(), zone);
          const inside = local.hour >= 8 && local.hour < 21;
          const place: Location = {
            timeZone: zone,
            country: 'US',
            region: null,
            source: 'area_code',
          };
          expect(decide(input(place), federal, now).action).toBe(inside ? 'send' : 'hold');
          const open = nextOpening(federal[0]!.window!, zone, now.getTime())!;
          const at = localTime(open, zone);
          if (!inside) expect([at.hour, at.minute]).toEqual([8, 0]);
        },
      ),
      { numRuns: 400 },
    );
  });
});
