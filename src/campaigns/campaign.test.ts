import { describe, expect, it } from 'vitest';
import {
  DEFAULT_AUTO_PAUSE,
  pacingIntervalMs,
  pacingTooSlow,
  validateCampaign,
} from './campaign.js';
import { dueAt } from './fan-out.js';

const now = new Date('2026-12-01T12:00:00.000Z');
const valid = {
  name: 'Spring',
  audience: { segmentId: 's1' },
  templateId: 't1',
  channelConfigurationId: 'c1',
};

describe('validateCampaign', () => {
  it('takes a full draft, defaults the template version (0: current) and auto-pause', () => {
    const { settings, problems } = validateCampaign(valid, undefined, now);
    expect(problems).toEqual([]);
    expect(settings).toMatchObject({
      templateVersion: 0,
      pacing: null,
      sendAt: null,
      autoPause: DEFAULT_AUTO_PAUSE,
      seedPhones: [],
    });
  });

  it.each([
    [{ name: ' ' }, '/name', 'is required'],
    [{ audience: {} }, '/audience', 'must name exactly one of segmentId or listId'],
    [{ audience: { segmentId: 'a', listId: 'b' } }, '/audience', 'must name exactly one'],
    [{ pacing: {} }, '/pacing', 'must give exactly one of perSecond or perMinute'],
    [{ pacing: { perSecond: 0 } }, '/pacing/perSecond', 'at least 1'],
    [{ pacing: { perMinute: 1.5 } }, '/pacing/perMinute', 'whole number'],
    [{ sendAt: '2026-11-30T00:00:00Z' }, '/sendAt', 'must be in the future'],
    [{ sendAt: '2027-12-01T00:00:00Z' }, '/sendAt', 'at most 180 days ahead'],
    [{ sendAt: 'tomorrow' }, '/sendAt', 'ISO-8601'],
    [{ seedPhones: ['12'] }, '/seedPhones/0', 'international format'],
    [{ autoPause: { optOutRate: 0 } }, '/autoPause/optOutRate', 'above 0 and at most 1'],
    [{ autoPause: { failureRate: 2 } }, '/autoPause/failureRate', 'above 0 and at most 1'],
    [{ autoPause: { minSample: 0 } }, '/autoPause/minSample', 'at least 1'],
  ])('%j → %s', (input, path, message) => {
    const { problems } = validateCampaign({ ...valid, ...input }, undefined, now);
    expect(problems).toEqual([{ path, message: expect.stringContaining(message) as unknown }]);
  });

  it('normalises and de-duplicates seed numbers; a new template id re-pins to its current version', () => {
    const first = validateCampaign(
      { ...valid, templateVersion: 3, seedPhones: ['+1 415 555 0123', '14155550123'] },
      undefined,
      now,
    ).settings;
    expect(first.seedPhones).toEqual(['+14155550123']);
    const other = validateCampaign({ templateId: 't2' }, first, now).settings;
    expect(other).toMatchObject({ templateId: 't2', templateVersion: 0 });
    expect(validateCampaign({ name: 'x' }, first, now).settings.templateVersion).toBe(3);
  });
});

describe('pacing', () => {
  it('message k is due k intervals after the start', () => {
    expect(pacingIntervalMs({ perSecond: 10 })).toBe(100);
    expect(pacingIntervalMs({ perMinute: 30 })).toBe(2000);
    expect([0, 1, 2, 3].map((k) => dueAt(1000, k, 1000 / 3))).toEqual([1000, 1333, 1666, 2000]);
  });

  it('refuses a pace whose last message would be due past 180 days', () => {
    expect(pacingTooSlow(259_202, { perMinute: 1 })).toMatch(/due 181 days from the start/);
    expect(pacingTooSlow(259_201, { perMinute: 1 })).toBeUndefined();
    expect(pacingTooSlow(1_000_000, { perSecond: 1 })).toBeUndefined();
  });
});
