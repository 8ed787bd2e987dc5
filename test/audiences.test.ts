import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { audienceProfiles } from '../src/audiences/audience.js';
import { ruleProblems, type SegmentRule } from '../src/audiences/segment-rule.js';
import type { Db } from '../src/db/database.js';
import { newId } from '../src/ids.js';
import { phoneRegion } from '../src/phone.js';
import { describeEachDialect } from './helpers/databases.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');

interface SeedProfile {
  phone: string;
  consent?: string;
  attributes?: Record<string, unknown>;
  sandbox?: string;
}

async function seed(db: Db, profiles: SeedProfile[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const p of profiles) {
    const id = newId();
    ids.set(p.phone, id);
    await db.kysely
      .insertInto('profiles')
      .values({
        sandbox: p.sandbox ?? 'prod',
        id,
        phone: p.phone,
        consent: p.consent ?? 'unknown',
        consent_updated_at: null,
        attributes: JSON.stringify(p.attributes ?? {}),
        created_at: NOW.toISOString(),
        updated_at: NOW.toISOString(),
        region: phoneRegion(p.phone),
      })
      .execute();
  }
  return ids;
}

async function phonesOf(db: Db, rule: SegmentRule, sandbox = 'prod'): Promise<string[]> {
  const query = await audienceProfiles(db.kysely, sandbox, { rule }, { now: NOW });
  const rows = await query.orderBy('profiles.phone').execute();
  return rows.map((r) => r.phone);
}

describeEachDialect('audiences: rules compiled to one query', ({ db }) => {
  it('selects the subscribed people who texted OFFERS, as a subquery too', async () => {
    await seed(db(), [
      {
        phone: '+14155550101',
        consent: 'subscribed',
        attributes: {
          keywords: {
            OFFERS: {
              count: 2,
              firstAt: '2026-05-01T00:00:00.000Z',
              lastAt: '2026-05-30T00:00:00.000Z',
            },
          },
        },
      },
      {
        phone: '+14155550102',
        consent: 'unsubscribed',
        attributes: {
          keywords: {
            OFFERS: {
              count: 1,
              firstAt: '2026-05-01T00:00:00.000Z',
              lastAt: '2026-05-01T00:00:00.000Z',
            },
          },
        },
      },
      { phone: '+14155550103', consent: 'subscribed' },
      {
        phone: '+14155550104',
        consent: 'subscribed',
        sandbox: 'other',
        attributes: {
          keywords: {
            OFFERS: {
              count: 1,
              firstAt: '2026-05-01T00:00:00.000Z',
              lastAt: '2026-05-01T00:00:00.000Z',
            },
          },
        },
      },
    ]);
    const rule: SegmentRule = { all: [{ keyword: 'offers' }, { consent: { in: ['subscribed'] } }] };
    expect(await phonesOf(db(), rule)).toEqual(['+14155550101']);
    expect(await phonesOf(db(), { keyword: 'OFFERS', since: '7d' })).toEqual(['+14155550101']);
    expect(await phonesOf(db(), { not: rule })).toEqual(['+14155550102', '+14155550103']);
    // Usable as a subquery.
    const sub = await audienceProfiles(db().kysely, 'prod', { rule }, { now: NOW });
    const { count } = await db()
      .kysely.selectFrom(sub.as('a'))
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .executeTakeFirstOrThrow();
    expect(Number(count)).toBe(1);
    const inner = await db()
      .kysely.selectFrom('profiles')
      .select('phone')
      .where('id', 'in', sub.clearSelect().select('profiles.id'))
      .execute();
    expect(inner.map((r) => r.phone)).toEqual(['+14155550101']);
    void sql;
  });

  it('names the bad node and the allowed values of a bad rule', () => {
    expect(ruleProblems({ all: [{ attribute: 'plan', eqq: 'gold' }] })).toEqual([
      {
        path: '/rule/all/0/eqq',
        message:
          'is not an attribute operator; allowed: eq, neq, exists, notExists, in, gt, gte, lt, lte, contains',
      },
    ]);
    expect(ruleProblems({ attribute: 'age', gt: 'old' })).toEqual([
      { path: '/rule/gt', message: 'must be a number or an ISO-8601 date (got "old")' },
    ]);
  });
});
