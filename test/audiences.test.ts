import fc from 'fast-check';
import { expect, it } from 'vitest';
import { audienceProfiles } from '../src/audiences/audience.js';
import { LiveSegmentLoop } from '../src/audiences/live-segments.js';
import { ruleProblems, type SegmentRule } from '../src/audiences/segment-rule.js';
import type { Db } from '../src/db/database.js';
import { recordEvents } from '../src/events/events.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { evaluateRule, seedProfiles, type SeedProfile } from './helpers/audiences.js';
import { describeEachDialect } from './helpers/databases.js';
import { createInboundCredential, text } from './helpers/inbound.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const OFFERS_AT = (lastAt: string, count = 1) => ({
  keywords: { OFFERS: { count, firstAt: '2026-01-01T00:00:00.000Z', lastAt } },
});

async function phonesOf(db: Db, rule: SegmentRule, sandbox = 'prod'): Promise<string[]> {
  const query = await audienceProfiles(db.kysely, sandbox, { rule }, { now: NOW });
  const rows = await query.orderBy('profiles.phone').execute();
  return rows.map((r) => r.phone);
}

function api(
  t: TestApp,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  payload?: object,
  sandbox = 'prod',
) {
  return t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { ...t.auth, 'x-sandbox-name': sandbox },
    ...(payload ? { payload } : {}),
  });
}

// Hand-built profiles: one per behaviour a leaf must tell apart.
const US1 = '+14155550101';
const US2 = '+14155550102';
const US3 = '+14155550103';
const CA1 = '+14165550104';
const FR1 = '+33612345678';
const HAND: SeedProfile[] = [
  {
    phone: US1,
    consent: 'subscribed',
    attributes: {
      plan: 'gold',
      age: 34,
      joined: '2026-03-01',
      tags: ['vip', 7],
      address: { city: 'Paris' },
      ...OFFERS_AT('2026-05-31T00:00:00.000Z', 3),
    },
    inbound: ['2026-05-31T10:00:00.000Z'],
    messages: [{ status: 'delivered', at: '2026-05-30T00:00:00.000Z' }],
  },
  {
    phone: US2,
    consent: 'unsubscribed',
    attributes: { plan: 'silver', age: '34', vip: true, ...OFFERS_AT('2026-04-01T00:00:00.000Z') },
    inbound: ['2026-04-01T00:00:00.000Z'],
    messages: [{ status: 'failed', at: '2026-05-31T00:00:00.000Z' }],
  },
  { phone: US3, consent: 'unknown', attributes: { plan: null, age: 17.5, note: 'gold plan' } },
  {
    phone: CA1,
    consent: 'pending',
    attributes: { tags: 'vip-ish', joined: '2025-12-24T08:00:00Z' },
    messages: [
      { status: 'delivered', at: '2026-01-01T00:00:00.000Z' },
      { status: 'undeliverable', at: '2026-05-01T00:00:00.000Z' },
    ],
  },
  { phone: FR1, consent: 'subscribed', attributes: { vip: false } },
  // The same person in another sandbox: never counted from prod.
  {
    phone: US3,
    consent: 'subscribed',
    sandbox: 'other',
    attributes: { plan: 'gold', ...OFFERS_AT('2026-05-31T00:00:00.000Z') },
  },
];

const HAND_CASES: [SegmentRule, string[]][] = [
  [{ consent: { in: ['subscribed'] } }, [US1, FR1]],
  [{ consent: { in: ['unknown', 'pending'] } }, [US3, CA1]],
  [{ attribute: 'plan', eq: 'gold' }, [US1]],
  [{ attribute: 'age', eq: 34 }, [US1]], // '34' (a string) is not the number 34
  [{ attribute: 'vip', eq: false }, [FR1]],
  [{ attribute: 'plan', neq: 'gold' }, [US2, US3, CA1, FR1]],
  [{ attribute: 'plan', exists: true }, [US1, US2]], // null is not there
  [{ attribute: 'plan', notExists: true }, [US3, CA1, FR1]],
  [{ attribute: 'plan', in: ['gold', 'silver'] }, [US1, US2]],
  [{ attribute: 'age', gt: 17.5 }, [US1]],
  [{ attribute: 'age', gte: 17.5 }, [US1, US3]],
  [{ attribute: 'age', lt: 34 }, [US3]],
  [{ attribute: 'age', lte: 34 }, [US1, US3]],
  [{ attribute: 'joined', gte: '2026-01-01' }, [US1]],
  [{ attribute: 'joined', lt: '2026-01-01' }, [CA1]],
  [{ attribute: 'address.city', eq: 'Paris' }, [US1]],
  [{ attribute: 'tags', contains: 'vip' }, [US1, CA1]], // array element, or substring of a text
  [{ attribute: 'tags', contains: 7 }, [US1]],
  [{ attribute: 'note', contains: 'gold' }, [US3]],
  [{ keyword: 'OFFERS' }, [US1, US2]],
  [{ keyword: 'offers', since: '7d' }, [US1]],
  [{ keyword: 'OFFERS', until: '2026-05-01' }, [US2]],
  [{ keyword: 'OFFERS', atLeast: 2 }, [US1]],
  [{ keyword: 'DISCOUNT' }, []],
  [{ lastInbound: {} }, [US1, US2]],
  [{ lastInbound: { within: '2d' } }, [US1]],
  [{ lastInbound: { within: '1d' } }, []],
  [{ lastInbound: { before: '2026-05-01' } }, [US2]],
  [{ lastDelivered: { within: '7d' } }, [US1]],
  [{ lastDelivered: {} }, [US1, CA1]],
  [{ lastFailed: { within: '7d' } }, [US2]],
  [{ lastFailed: { after: '2026-04-01', before: '2026-05-15' } }, [CA1]],
  [{ country: { in: ['US'] } }, [US1, US2, US3]],
  [{ country: { in: ['CA', 'FR'] } }, [CA1, FR1]],
  [{ all: [{ keyword: 'OFFERS' }, { consent: { in: ['subscribed'] } }] }, [US1]],
  [{ any: [{ attribute: 'vip', exists: true }, { country: { in: ['CA'] } }] }, [US2, CA1, FR1]],
  [{ not: { consent: { in: ['subscribed'] } } }, [US2, US3, CA1]],
  [{ not: { any: [{ keyword: 'OFFERS' }, { attribute: 'vip', eq: false }] } }, [US3, CA1]],
];

// ---- the property test's generators: random profiles, random rules over the same names ----

const TIMES = [
  '2026-05-01T00:00:00.000Z',
  '2026-05-25T00:00:00.000Z',
  '2026-05-31T12:00:00.000Z',
  '2026-06-01T11:00:00.000Z',
];
const TIME_REFS = ['2026-05-20', '2026-05-31T00:00:00Z', '3d', '12h', '30d', '90m'];
const STRINGS = ['gold', 'silver', 'gold plan', '2026-03-01', '2026-05-15T10:00:00.000Z', 'vip'];
/** Phone makers for a profile's index: US, Canada (both +1), France, the UK. */
const PHONES = [
  (i: number) => `+1415555${String(100 + i).padStart(4, '0')}`,
  (i: number) => `+1416555${String(100 + i).padStart(4, '0')}`,
  (i: number) => `+336123${10000 + i}`,
  (i: number) => `+447911${100000 + i}`,
];

const scalar = fc.oneof(
  fc.constantFrom(...STRINGS),
  fc.integer({ min: -3, max: 40 }),
  fc.constantFrom(2.5, 17.5),
  fc.boolean(),
);
const attributeValue = fc.oneof(
  scalar,
  fc.constant(null),
  fc.array(fc.oneof(fc.constantFrom('vip', 'new'), fc.integer({ min: 0, max: 3 })), {
    maxLength: 3,
  }),
  fc.record({ city: fc.constantFrom('Paris', 'Lyon') }),
);
const keywordState = fc.record({
  count: fc.integer({ min: 1, max: 4 }),
  firstAt: fc.constant('2026-01-01T00:00:00.000Z'),
  lastAt: fc.constantFrom(...TIMES),
});
const profile = (i: number) =>
  fc
    .record(
      {
        prefix: fc.constantFrom(...PHONES),
        consent: fc.constantFrom('subscribed', 'unsubscribed', 'pending', 'unknown'),
        plan: attributeValue,
        age: attributeValue,
        tags: attributeValue,
        address: attributeValue,
        keywords: fc.record({ OFFERS: keywordState, DISCOUNT: keywordState }, { requiredKeys: [] }),
        inbound: fc.array(fc.constantFrom(...TIMES), { maxLength: 2 }),
        messages: fc.array(
          fc.record({
            status: fc.constantFrom('delivered', 'failed', 'expired', 'accepted', 'suppressed'),
            at: fc.constantFrom(...TIMES),
          }),
          { maxLength: 2 },
        ),
      },
      { requiredKeys: ['prefix', 'consent', 'inbound', 'messages'] },
    )
    .map(({ prefix, consent, inbound, messages, ...attributes }): SeedProfile => ({
      phone: prefix(i),
      consent,
      attributes,
      inbound,
      messages,
    }));
const population = fc
  .integer({ min: 0, max: 12 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => profile(i))));

const path = fc.constantFrom('plan', 'age', 'tags', 'address', 'address.city', 'missing');
const ordered = fc.oneof(
  fc.integer({ min: -3, max: 40 }),
  fc.constant(17.5),
  fc.constantFrom('2026-03-01', '2026-05-15T10:00:00.000Z'),
);
const window = fc.record(
  {
    within: fc.constantFrom('3d', '12h', '30d'),
    after: fc.constantFrom(...TIME_REFS),
    before: fc.constantFrom(...TIME_REFS),
  },
  { requiredKeys: [] },
);
const leaf: fc.Arbitrary<SegmentRule> = fc.oneof(
  fc.record({
    consent: fc.record({
      in: fc.subarray(['subscribed', 'unsubscribed', 'pending', 'unknown'] as const, {
        minLength: 1,
      }),
    }),
  }),
  fc.record({ attribute: path, eq: scalar }),
  fc.record({ attribute: path, neq: scalar }),
  fc.record({ attribute: path, exists: fc.constant(true as const) }),
  fc.record({ attribute: path, notExists: fc.constant(true as const) }),
  fc.record({ attribute: path, in: fc.array(scalar, { minLength: 1, maxLength: 3 }) }),
  fc.record({ attribute: path, gt: ordered }),
  fc.record({ attribute: path, gte: ordered }),
  fc.record({ attribute: path, lt: ordered }),
  fc.record({ attribute: path, lte: ordered }),
  fc.record({
    attribute: path,
    contains: fc.oneof(fc.constantFrom('vip', 'gold', 'i', '2026'), fc.integer({ min: 0, max: 3 })),
  }),
  fc.record(
    {
      keyword: fc.constantFrom('OFFERS', 'discount', 'NONE'),
      since: fc.constantFrom(...TIME_REFS),
      until: fc.constantFrom(...TIME_REFS),
      atLeast: fc.integer({ min: 1, max: 4 }),
    },
    { requiredKeys: ['keyword'] },
  ),
  fc.record({ lastInbound: window }),
  fc.record({ lastDelivered: window }),
  fc.record({ lastFailed: window }),
  fc.record({
    country: fc.record({ in: fc.subarray(['US', 'CA', 'FR', 'DE', 'GB'], { minLength: 1 }) }),
  }),
);
const { rule: ruleArb } = fc.letrec<{ rule: SegmentRule }>((tie) => ({
  rule: fc.oneof(
    { maxDepth: 3, depthSize: 'small' },
    leaf,
    fc.record({ all: fc.array(tie('rule'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('rule'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: tie('rule') }),
  ),
}));

async function clearProfiles(db: Db) {
  for (const table of ['profiles', 'inbound_messages', 'messages'] as const)
    await db.kysely.deleteFrom(table).execute();
}

async function eventually<T>(
  probe: () => Promise<T | undefined>,
  ms: number,
): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await probe();
    if (found !== undefined || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describeEachDialect('audiences: rules compiled to one query', ({ db }) => {
  it('selects every leaf and combinator as its meaning says, in one sandbox only', async () => {
    await seedProfiles(db(), HAND);
    for (const [rule, expected] of HAND_CASES) {
      expect(ruleProblems(rule), JSON.stringify(rule)).toEqual([]);
      expect(await phonesOf(db(), rule), JSON.stringify(rule)).toEqual([...expected].sort());
      // The oracle agrees on the hand-built cases too (it is what the property test trusts).
      const oracle = HAND.filter(
        (p) => (p.sandbox ?? 'prod') === 'prod' && evaluateRule(rule, p, NOW),
      );
      expect(oracle.map((p) => p.phone).sort(), JSON.stringify(rule)).toEqual([...expected].sort());
    }
  });

  it('matches a plain JavaScript evaluation of random rules over random profiles', async () => {
    await fc.assert(
      fc.asyncProperty(
        population,
        fc.array(ruleArb, { minLength: 1, maxLength: 6 }),
        async (people, rules) => {
          await clearProfiles(db());
          const unique = [...new Map(people.map((p) => [p.phone, p])).values()];
          await seedProfiles(db(), unique);
          for (const rule of rules) {
            expect(ruleProblems(rule)).toEqual([]);
            const expected = unique
              .filter((p) => evaluateRule(rule, p, NOW))
              .map((p) => p.phone)
              .sort();
            expect(await phonesOf(db(), rule), JSON.stringify(rule)).toEqual(expected);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('is one select usable as a subquery (count, IN)', async () => {
    await seedProfiles(db(), HAND);
    const rule: SegmentRule = { all: [{ keyword: 'OFFERS' }, { consent: { in: ['subscribed'] } }] };
    const sub = await audienceProfiles(db().kysely, 'prod', { rule }, { now: NOW });
    const compiled = sub.compile();
    expect(compiled.sql.toLowerCase().match(/\bselect\b/g)?.length).toBe(1);
    expect(compiled.parameters).toContain('prod');
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
    expect(inner.map((r) => r.phone)).toEqual([US1]);
  });

  it('binds every value as a parameter, never as SQL', async () => {
    await seedProfiles(db(), HAND);
    const hostile = "gold' or 1=1 --";
    const sub = await audienceProfiles(
      db().kysely,
      'prod',
      { rule: { attribute: 'plan', eq: hostile } },
      { now: NOW },
    );
    expect(sub.compile().sql).not.toContain(hostile);
    expect(await sub.execute()).toEqual([]);
  });
});

describeEachDialect('audiences: bad rules', ({ db }) => {
  it('names the bad node and the allowed values (400), and creates nothing', async () => {
    const t = await buildTestApp(db());
    const cases: [unknown, { path: string; message: RegExp }][] = [
      [
        { all: [{ attribute: 'plan', eqq: 'gold' }] },
        {
          path: '/rule/all/0/eqq',
          message: /allowed: eq, neq, exists, notExists, in, gt, gte, lt, lte, contains/,
        },
      ],
      [
        { attribute: 'age', gt: 'old' },
        { path: '/rule/gt', message: /number or an ISO-8601 date \(got "old"\)/ },
      ],
      [
        { consent: { in: ['maybe'] } },
        { path: '/rule/consent/in/0', message: /subscribed, unsubscribed, pending, unknown/ },
      ],
      [
        { sometimes: true },
        { path: '/rule', message: /exactly one of: all, any, not, consent, attribute/ },
      ],
      [
        { keyword: 'OFFERS', since: 'yesterday' },
        { path: '/rule/since', message: /ISO-8601 .* or a duration/ },
      ],
      [
        { lastInbound: { within: '2026-01-01' } },
        { path: '/rule/lastInbound/within', message: /duration/ },
      ],
      [{ country: { in: ['usa'] } }, { path: '/rule/country/in/0', message: /region code/ }],
      [
        { not: { not: { not: { not: { not: { consent: { in: ['unknown'] } } } } } } },
        { path: '/rule/not/not/not/not/not', message: /at most 5 levels/ },
      ],
      [
        { any: Array.from({ length: 51 }, () => ({ consent: { in: ['unknown'] } })) },
        { path: '/rule/any', message: /1 to 50 rules/ },
      ],
      [
        {
          all: Array.from({ length: 2 }, () => ({
            any: Array.from({ length: 26 }, () => ({ keyword: 'A' })),
          })),
        },
        { path: '/rule', message: /52 leaves; a rule has at most 50/ },
      ],
      [
        { attribute: 'x'.repeat(400), eq: 1 },
        { path: '/rule/attribute', message: /at most 320/ },
      ],
      [
        { attribute: 'tags.0', eq: 1 },
        { path: '/rule/attribute', message: /dotted attribute path/ },
      ],
      ['all', { path: '/rule', message: /must be (an )?object/ }],
    ];
    for (const [rule, detail] of cases) {
      const res = await api(t, 'POST', '/segments/count', { rule });
      expect(res.statusCode, JSON.stringify(rule).slice(0, 80)).toBe(400);
      const body = res.json<{
        error: { code: string; details: { path: string; message: string }[] };
      }>();
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.details).toContainEqual({
        path: detail.path,
        message: expect.stringMatching(detail.message) as unknown,
      });
      const create = await api(t, 'POST', '/segments', { name: 'bad', rule });
      expect(create.statusCode).toBe(400);
    }
    expect(await db().kysely.selectFrom('segments').selectAll().execute()).toEqual([]);
    expect((await api(t, 'POST', '/segments', { name: 'norule' })).json()).toMatchObject({
      error: { details: [{ path: '/rule', message: 'is required' }] },
    });
    await t.app.close();
  });
});

describeEachDialect('audiences: segments and lists API', ({ db }) => {
  it('saves, counts, pages and deletes a segment; another sandbox sees none of it', async () => {
    const t = await buildTestApp(db());
    await t.services.sandboxes.ensure('other');
    await seedProfiles(
      db(),
      HAND.map((p) => ({ ...p, attributes: { ...p.attributes } })),
    );
    const rule = { any: [{ country: { in: ['US'] } }, { consent: { in: ['pending'] } }] };
    expect((await api(t, 'POST', '/segments/count', { rule })).json()).toEqual({ count: 4 });
    const created = await api(t, 'POST', '/segments', { name: 'us-or-pending', rule });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json<{ id: string }>().id;
    expect((await api(t, 'GET', `/segments/${id}/count`)).json()).toEqual({ count: 4 });
    const page1 = (await api(t, 'GET', `/segments/${id}/members?limit=3`)).json<{
      items: { phone: string }[];
      nextCursor: string;
    }>();
    expect(page1.items).toHaveLength(3);
    const page2 = (
      await api(t, 'GET', `/segments/${id}/members?limit=3&cursor=${page1.nextCursor}`)
    ).json<{ items: { phone: string }[]; nextCursor: null }>();
    expect([...page1.items, ...page2.items].map((m) => m.phone).sort()).toEqual(
      [US1, US2, US3, CA1].sort(),
    );
    expect(page2.nextCursor).toBeNull();
    expect((await api(t, 'POST', '/segments', { name: 'us-or-pending', rule })).statusCode).toBe(
      409,
    );
    // Sandbox isolation: the id means nothing elsewhere; the same rule counts the other sandbox's own.
    expect((await api(t, 'GET', `/segments/${id}`, undefined, 'other')).statusCode).toBe(404);
    expect((await api(t, 'GET', `/segments/${id}/count`, undefined, 'other')).statusCode).toBe(404);
    expect((await api(t, 'POST', '/segments/count', { rule }, 'other')).json()).toEqual({
      count: 1,
    });
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/segments/${id}`,
      headers: { ...t.auth, 'x-sandbox-name': 'prod', 'if-match': '"1"' },
      payload: { rule: { consent: { in: ['pending'] } } },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect((await api(t, 'GET', `/segments/${id}/count`)).json()).toEqual({ count: 1 });
    const audit = await db()
      .kysely.selectFrom('audit_events')
      .select(['action', 'fields'])
      .where('resource_id', '=', id)
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['segment.created', 'segment.updated']);
    expect(JSON.parse(audit[1]!.fields)).toEqual(['rule']);
    expect((await api(t, 'DELETE', `/segments/${id}`)).statusCode).toBe(204);
    expect((await api(t, 'GET', `/segments/${id}`)).statusCode).toBe(404);
    await t.app.close();
  });

  it('builds a list by API and CSV without ever granting consent', async () => {
    const t = await buildTestApp(db());
    await t.services.sandboxes.ensure('other');
    const ids = await seedProfiles(db(), [
      { phone: US1, consent: 'unsubscribed', attributes: {} },
      { phone: US2, consent: 'subscribed', attributes: {} },
      { phone: FR1, consent: 'subscribed', attributes: {}, sandbox: 'other' },
    ]);
    const list = (
      await api(t, 'POST', '/lists', { name: 'vip', description: 'from the fair' })
    ).json<{ id: string }>();
    // All or nothing: one bad phone, nothing added.
    const bad = await api(t, 'POST', `/lists/${list.id}/members`, { phones: [US1, 'not-a-phone'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { details: [{ path: '/phones/1' }] } });
    // A profile id of another sandbox is unknown here.
    const foreign = await api(t, 'POST', `/lists/${list.id}/members`, {
      profileIds: [ids.get(FR1)],
    });
    expect(foreign.json()).toMatchObject({
      error: { details: [{ path: '/profileIds/0', message: 'is not a profile of this sandbox' }] },
    });
    expect(await db().kysely.selectFrom('list_members').selectAll().execute()).toEqual([]);

    const added = await api(t, 'POST', `/lists/${list.id}/members`, {
      phones: [US1, US3],
      profileIds: [ids.get(US2)],
    });
    expect(added.json()).toEqual({ added: 3, alreadyMembers: 0, profilesCreated: 1 });
    const again = await api(t, 'POST', `/lists/${list.id}/members`, {
      phones: ['+1 (415) 555-0101'],
    });
    expect(again.json()).toEqual({ added: 0, alreadyMembers: 1, profilesCreated: 0 });
    const csv = await t.app.inject({
      method: 'POST',
      url: `/api/v1/lists/${list.id}/import`,
      headers: { ...t.auth, 'x-sandbox-name': 'prod', 'content-type': 'text/csv' },
      payload: `name,phone\r\nAnn,${CA1}\r\nBad,12\r\n"Un""balanced,${US2}\r\nBo,${US2}\r\n`,
    });
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.json()).toEqual({
      rows: 4,
      added: 1,
      alreadyMembers: 1,
      profilesCreated: 1,
      rejected: 2,
      rejections: [
        { line: 3, phone: '12', reason: 'not a valid phone number' },
        { line: 4, phone: null, reason: 'unbalanced quotes' },
      ],
    });
    const members = (await api(t, 'GET', `/lists/${list.id}/members`)).json<{
      items: { phone: string; consent: string }[];
    }>();
    expect(Object.fromEntries(members.items.map((m) => [m.phone, m.consent]))).toEqual({
      [US1]: 'unsubscribed', // an opt-out stays an opt-out
      [US2]: 'subscribed',
      [US3]: 'unknown', // new profiles are not subscribed by a list
      [CA1]: 'unknown',
    });
    expect(await db().kysely.selectFrom('consent_events').selectAll().execute()).toEqual([]);
    const removed = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/lists/${list.id}/members`,
      headers: { ...t.auth, 'x-sandbox-name': 'prod' },
      payload: { phones: [US1, FR1] },
    });
    expect(removed.json()).toEqual({ removed: 1 });
    expect((await api(t, 'GET', `/lists/${list.id}/members`, undefined, 'other')).statusCode).toBe(
      404,
    );
    const actions = await db()
      .kysely.selectFrom('audit_events')
      .select('action')
      .where('resource_id', '=', list.id)
      .orderBy('id')
      .execute();
    expect(actions.map((a) => a.action)).toEqual([
      'list.created',
      'list.members_added',
      'list.members_added',
      'list.members_added',
      'list.members_removed',
    ]);
    const rows = await (await audienceProfiles(db().kysely, 'prod', { listId: list.id })).execute();
    expect(rows.map((r) => r.phone).sort()).toEqual([US2, US3, CA1].sort());
    await expect(audienceProfiles(db().kysely, 'other', { listId: list.id })).rejects.toMatchObject(
      { code: 'not_found' },
    );
    await t.app.close();
  });
});

describeEachDialect('audiences: live segments', ({ db }) => {
  it('emits segment.entered within a second of texting OFFERS, and segment.left on STOP', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    const created = await api(t, 'POST', '/segments', {
      name: 'offers',
      live: true,
      rule: { all: [{ keyword: 'OFFERS' }, { not: { consent: { in: ['unsubscribed'] } } }] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const segmentId = created.json<{ id: string }>().id;
    const loop = new LiveSegmentLoop(
      {
        db: db(),
        clock: t.clock,
        onError: (e) => {
          throw e;
        },
      },
      { pollMs: 20 },
    );
    loop.start();
    try {
      const segmentEvent = (type: string) =>
        eventually(async () => {
          const row = await db()
            .kysely.selectFrom('events')
            .selectAll()
            .where('type', '=', type)
            .executeTakeFirst();
          return row ? (JSON.parse(row.payload) as Record<string, unknown>) : undefined;
        }, 1000);
      const PHONE = '+14155550123';
      let started = Date.now();
      await text(t, cred, PHONE, 'OFFERS');
      const entered = await segmentEvent('segment.entered');
      const enteredMs = Date.now() - started;
      expect(entered).toMatchObject({
        segmentId,
        phone: PHONE,
        profileId: expect.any(String) as unknown,
      });
      expect(enteredMs).toBeLessThan(1000);
      expect(
        await db().kysely.selectFrom('segment_members').select('profile_id').execute(),
      ).toEqual([{ profile_id: entered!.profileId }]);
      // Texting it again changes nothing: no second entered event.
      await text(t, cred, PHONE, 'OFFERS');
      started = Date.now();
      await text(t, cred, PHONE, 'STOP');
      const left = await segmentEvent('segment.left');
      expect(Date.now() - started).toBeLessThan(1000);
      expect(left).toMatchObject({ segmentId, phone: PHONE, profileId: entered!.profileId });
      await new Promise((r) => setTimeout(r, 100));
      const types = (
        await db()
          .kysely.selectFrom('events')
          .select('type')
          .where('type', 'like', 'segment.%')
          .execute()
      ).map((r) => r.type);
      expect(types).toEqual(['segment.entered', 'segment.left']);
      expect(await db().kysely.selectFrom('segment_members').selectAll().execute()).toEqual([]);
    } finally {
      await loop.stop();
      await t.app.close();
    }
  });

  it('reads the settle window again without emitting twice, and keeps up past a full batch', async () => {
    const t = await buildTestApp(db());
    const ids = await seedProfiles(db(), [{ phone: US1, consent: 'subscribed', attributes: {} }]);
    const created = await api(t, 'POST', '/segments', {
      name: 'gold',
      live: true,
      rule: { attribute: 'plan', eq: 'gold' },
    });
    const segmentId = created.json<{ id: string }>().id;
    // 1,500 events that touch no one, then the change (as PostgreSQL's loop sees them: all
    // younger than its settle window, here a minute).
    await recordEvents(
      db().kysely,
      t.clock,
      Array.from({ length: 1500 }, () => ({
        sandbox: 'prod',
        type: 'inbound.received' as const,
        payload: {},
      })),
    );
    await db()
      .kysely.updateTable('profiles')
      .set({ attributes: JSON.stringify({ plan: 'gold' }) })
      .execute();
    await recordEvents(db().kysely, t.clock, [
      { sandbox: 'prod', type: 'profile.keyword', payload: { profile: { id: ids.get(US1) } } },
    ]);
    const loop = new LiveSegmentLoop(
      {
        db: db(),
        clock: t.clock,
        onError: (e) => {
          throw e;
        },
      },
      { settleMs: 60_000 },
    );
    expect(await loop.step()).toBe(true); // a full batch: more to read
    for (let i = 0; i < 4; i++) await loop.step();
    const entered = await db()
      .kysely.selectFrom('events')
      .select('payload')
      .where('type', '=', 'segment.entered')
      .execute();
    expect(entered.map((e) => JSON.parse(e.payload) as unknown)).toEqual([
      { segmentId, segmentName: 'gold', profileId: ids.get(US1), phone: US1 },
    ]);
    // A second process (no memory of what was handled) reads the window again: no new event.
    const other = new LiveSegmentLoop(
      {
        db: db(),
        clock: t.clock,
        onError: (e) => {
          throw e;
        },
      },
      { settleMs: 60_000 },
    );
    await other.step();
    expect(
      await db()
        .kysely.selectFrom('events')
        .select('id')
        .where('type', 'like', 'segment.%')
        .execute(),
    ).toHaveLength(1);
    await t.app.close();
  });

  it('fills a new live segment silently, and an erased profile leaves it', async () => {
    const t = await buildTestApp(db());
    await seedProfiles(db(), [
      { phone: US1, consent: 'subscribed', attributes: OFFERS_AT('2026-05-31T00:00:00.000Z') },
    ]);
    const created = await api(t, 'POST', '/segments', {
      name: 'offers',
      live: true,
      rule: { keyword: 'OFFERS' },
    });
    const segmentId = created.json<{ id: string }>().id;
    expect(await db().kysely.selectFrom('segment_members').select('segment_id').execute()).toEqual([
      { segment_id: segmentId },
    ]);
    const loop = new LiveSegmentLoop(
      {
        db: db(),
        clock: t.clock,
        onError: (e) => {
          throw e;
        },
      },
      { pollMs: 20 },
    );
    expect(await loop.step()).toBe(false);
    expect((await api(t, 'DELETE', `/profiles/${encodeURIComponent(US1)}`)).statusCode).toBe(204);
    await loop.step();
    const events = await db()
      .kysely.selectFrom('events')
      .select(['type', 'payload'])
      .where('type', 'like', 'segment.%')
      .execute();
    expect(events.map((e) => [e.type, JSON.parse(e.payload) as unknown])).toEqual([
      [
        'segment.left',
        { segmentId, segmentName: 'offers', profileId: expect.any(String) as unknown, phone: null },
      ],
    ]);
    expect(await db().kysely.selectFrom('segment_members').selectAll().execute()).toEqual([]);
    await t.app.close();
  });
});
