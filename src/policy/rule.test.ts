import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { PolicyRuleSchema, ruleProblems, type PolicyRule } from './rule.js';
import { SHIPPED_RULES } from './shipped-rules.js';

const base = SHIPPED_RULES.find((r) => r.id === 'us-fl')!;
const withWindow = (
  days: Partial<NonNullable<PolicyRule['window']>['days']>,
  extra: Partial<NonNullable<PolicyRule['window']>> = {},
): PolicyRule => ({
  ...base,
  window: { ...base.window!, days: { ...base.window!.days, ...days }, ...extra },
});

describe('shipped rules', () => {
  it.each(SHIPPED_RULES.map((r) => [r.id, r] as const))(
    '%s matches the schema and its own checks, with a source and date',
    (_id, rule) => {
      expect(Value.Errors(PolicyRuleSchema, rule).First()).toBeUndefined();
      expect(ruleProblems(rule)).toEqual([]);
      expect(rule.source.length).toBeGreaterThan(0);
      expect(rule.effectiveFrom).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    },
  );
  it('ids are unique', () => {
    expect(new Set(SHIPPED_RULES.map((r) => r.id)).size).toBe(SHIPPED_RULES.length);
  });
});

describe('ruleProblems', () => {
  it('an end not after its start', () => {
    const [problem, ...rest] = ruleProblems(
      withWindow({ mon: [{ start: '20:00', end: '08:00' }] }),
      '/body',
    );
    expect(rest).toEqual([]);
    expect(problem?.path).toBe('/body/window/days/mon/0/end');
    expect(problem?.message).toContain('must be after start');
    expect(ruleProblems(withWindow({ tue: [{ start: '09:00', end: '09:00' }] }))[0]!.path).toBe(
      '/window/days/tue/0/end',
    );
  });
  it('two windows of one day that overlap', () => {
    expect(
      ruleProblems(
        withWindow({
          wed: [
            { start: '12:00', end: '18:00' },
            { start: '08:00', end: '12:30' },
          ],
        }),
      ),
    ).toEqual([
      { path: '/window/days/wed/0', message: 'overlaps window 1 (08:00–12:30) of the same day' },
    ]);
    expect(
      ruleProblems(
        withWindow({
          wed: [
            { start: '08:00', end: '12:00' },
            { start: '12:00', end: '18:00' },
          ],
        }),
      ),
    ).toEqual([]);
  });
  it('an unknown zone, calendar, country or region', () => {
    expect(
      ruleProblems(withWindow({}, { timeZoneFrom: 'fixed', timeZone: 'Mars/Base' }))[0]!.path,
    ).toBe('/window/timeZone');
    expect(
      ruleProblems(withWindow({}, { timeZoneFrom: 'fixed', timeZone: 'Asia/Kolkata' })),
    ).toEqual([]);
    expect(ruleProblems(withWindow({}, { holidays: 'XX' }))[0]).toEqual({
      path: '/window/holidays',
      message: 'unknown holiday calendar; allowed: FR',
    });
    expect(ruleProblems({ ...base, scope: { country: 'ZZ' } })[0]!.path).toBe('/scope/country');
    expect(ruleProblems({ ...base, scope: { country: 'US', region: 'XX' } })[0]!.path).toBe(
      '/scope/region',
    );
    expect(ruleProblems({ ...base, scope: { country: 'FR', region: 'IDF' } })[0]!.path).toBe(
      '/scope/region',
    );
  });
  it('kind without its part, and dates', () => {
    expect(ruleProblems({ ...base, kind: 'cap' }).map((p) => p.path)).toEqual(['/cap', '/window']);
    expect(ruleProblems({ ...base, effectiveFrom: '2026-02-30' })[0]!.path).toBe('/effectiveFrom');
    expect(ruleProblems({ ...base, effectiveUntil: '2020-01-01' })[0]!.path).toBe(
      '/effectiveUntil',
    );
  });
});
