import { expect, it } from 'vitest';
import type { Db } from '../src/db/database.js';
import { newId } from '../src/ids.js';
import { SHIPPED_RULES } from '../src/policy/shipped-rules.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';

interface ErrorBody {
  error: { code: string; details: { path?: string; message: string }[] };
}
interface Listed {
  id: string;
  name: string;
  origin: string;
  overridden: boolean;
  enabled: boolean;
  version: number;
  window?: { days: Record<string, { start: string; end: string }[]> };
}

function call(
  t: TestApp,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  payload?: object,
  headers: Record<string, string> = {},
  sandbox = 'prod',
) {
  return t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { ...t.auth, 'x-sandbox-name': sandbox, ...headers },
    ...(payload ? { payload } : {}),
  });
}

const EVERY = (start: string, end: string) =>
  Object.fromEntries(
    ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [{ start, end }]]),
  );

const CUSTOM = {
  name: 'Germany 9-18',
  scope: { country: 'DE' },
  kind: 'window',
  window: { timeZoneFrom: 'recipient', days: EVERY('09:00', '18:00') },
  outside: 'hold',
  exempt: { transactional: true, oneTimeCodes: true },
  source: 'house policy',
  effectiveFrom: '2026-01-01',
};

async function counts(db: Db) {
  const n = async (table: 'policy_rules' | 'audit_events') =>
    Number(
      (
        await db.kysely
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return { rules: await n('policy_rules'), audit: await n('audit_events') };
}

async function marketingSent(
  db: Db,
  phone: string,
  at: string,
  campaignId: string | null,
  sandbox = 'prod',
) {
  await db.kysely
    .insertInto('messages')
    .values({
      sandbox,
      id: newId(),
      credential_id: 'cred',
      channel: 'sms',
      message_type: 'marketing',
      sender: '+14155550100',
      to_number: phone,
      text: 'offer',
      status: 'delivered',
      attempts: 1,
      valid_until: '2027-01-01T00:00:00.000Z',
      uncertain: 0,
      segments: 1,
      encoding: 'GSM-7',
      origin: 'campaign',
      campaign_id: campaignId,
      created_at: at,
      updated_at: at,
      done_at: at,
    })
    .execute();
}

describeEachDialect('policy API', ({ db }) => {
  it('lists every shipped rule with its source, then the sandbox’s own', async () => {
    const t = await buildTestApp(db());
    const res = await call(t, 'GET', '/policy/rules?limit=200');
    expect(res.statusCode).toBe(200);
    const page = res.json<{
      items: (Listed & { source: string; effectiveFrom: string })[];
      nextCursor: string | null;
    }>();
    expect(page.items.map((r) => r.id)).toEqual(SHIPPED_RULES.map((r) => r.id));
    expect(
      page.items.every(
        (r) => r.origin === 'shipped' && r.source.length > 0 && r.effectiveFrom.length === 10,
      ),
    ).toBe(true);
    expect(page.nextCursor).toBeNull();
    const first = await call(t, 'GET', '/policy/rules?limit=10');
    expect(first.json<{ nextCursor: string }>().nextCursor).toBe('10');
    const second = await call(t, 'GET', '/policy/rules?limit=10&cursor=10');
    expect(second.json<{ items: Listed[] }>().items[0]!.id).toBe(SHIPPED_RULES[10]!.id);
    await t.app.close();
  });

  it('the dry run: a marketing text to +1 305 at 21:30 Eastern waits for 08:00', async () => {
    const t = await buildTestApp(db());
    const res = await call(t, 'POST', '/policy/check', {
      to: '+13055550123',
      at: '2026-12-03T02:30:00.000Z',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      action: 'hold',
      scheduledFor: '2026-12-03T13:00:00.000Z',
      rule: 'us-fl',
      reason: null,
      source: 'area_code',
      location: { timeZone: 'America/New_York', country: 'US', region: 'FL', source: 'area_code' },
    });
    const now = await call(t, 'POST', '/policy/check', {
      to: '+13055550123',
      at: '2026-12-02T15:00:00.000Z',
    });
    expect(now.json()).toMatchObject({
      action: 'send',
      scheduledFor: '2026-12-02T15:00:00.000Z',
      rule: null,
    });
    // The profile's attributes are read when none are given; a bad zone is ignored with its reason.
    await db()
      .kysely.insertInto('profiles')
      .values({
        sandbox: 'prod',
        id: newId(),
        phone: '+13055550123',
        consent: 'subscribed',
        consent_updated_at: null,
        attributes: JSON.stringify({ timeZone: 'Not/AZone', state: 'CA' }),
        created_at: '2026-11-25T12:00:00.000Z',
        updated_at: '2026-11-25T12:00:00.000Z',
      })
      .execute();
    const profiled = await call(t, 'POST', '/policy/check', {
      to: '+13055550123',
      at: '2026-12-03T02:30:00.000Z',
    });
    expect(profiled.json()).toMatchObject({
      action: 'send',
      source: 'profile_region',
      location: {
        timeZone: 'America/Los_Angeles',
        region: 'CA',
        ignored: [{ attribute: 'timeZone' }],
      },
    });
    const bad = await call(t, 'POST', '/policy/check', { to: 'nope', at: 'yesterday' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<ErrorBody>().error.details.map((d) => d.path)).toEqual(['/to', '/at']);
    await t.app.close();
  });

  it('a number that names no zone (+1 800): dropped, or read in TERN_POLICY_DEFAULT_TIME_ZONE', async () => {
    const at = '2026-12-03T02:30:00.000Z'; // 21:30 Eastern, 20:30 Central
    const bare = await buildTestApp(db());
    expect(
      (await call(bare, 'POST', '/policy/check', { to: '+18005550100', at })).json(),
    ).toMatchObject({
      action: 'drop',
      reason: 'time_zone_unknown',
      rule: 'us-federal',
      source: 'country',
    });
    await bare.app.close();
    const t = await buildTestApp(db(), { TERN_POLICY_DEFAULT_TIME_ZONE: 'America/Chicago' });
    expect(
      (await call(t, 'POST', '/policy/check', { to: '+18005550100', at })).json(),
    ).toMatchObject({
      action: 'send',
      source: 'sandbox_default',
      location: { timeZone: 'America/Chicago', country: 'US' },
    });
    await t.app.close();
  });

  it('a Florida cap: the fourth text of a campaign within 24 h is dropped', async () => {
    const t = await buildTestApp(db());
    const phone = '+13055550199';
    for (const at of [
      '2026-12-01T17:00:00.000Z',
      '2026-12-01T20:00:00.000Z',
      '2026-12-02T14:00:00.000Z',
    ])
      await marketingSent(db(), phone, at, 'cmp_a');
    // Older than 24 h, another campaign, another sandbox: not counted.
    await marketingSent(db(), phone, '2026-11-30T15:00:00.000Z', 'cmp_a');
    await marketingSent(db(), phone, '2026-12-02T14:00:00.000Z', 'cmp_b');
    await marketingSent(db(), phone, '2026-12-02T14:00:00.000Z', 'cmp_a', 'other');
    const at = '2026-12-02T16:00:00.000Z';
    const fourth = await call(t, 'POST', '/policy/check', { to: phone, at, subject: 'cmp_a' });
    expect(fourth.json()).toMatchObject({
      action: 'drop',
      reason: 'frequency_cap',
      rule: 'us-fl-cap',
      scheduledFor: null,
    });
    const other = await call(t, 'POST', '/policy/check', { to: phone, at, subject: 'cmp_c' });
    expect(other.json()).toMatchObject({ action: 'send' });
    // Through the service the send paths call.
    const decision = await t.services.policy.decideFor(
      'prod',
      {
        to: phone,
        messageType: 'marketing',
        origin: 'campaign',
        validUntil: '2026-12-04T00:00:00.000Z',
        subject: 'cmp_a',
      },
      new Date(at),
    );
    expect(decision).toEqual({
      action: 'drop',
      reason: 'frequency_cap',
      rule: 'us-fl-cap',
      source: 'area_code',
    });
    const opt = await t.services.policy.decideFor(
      'prod',
      {
        to: phone,
        messageType: 'marketing',
        origin: 'opt_out_reply',
        validUntil: '2026-12-04T00:00:00.000Z',
        subject: 'cmp_a',
      },
      new Date('2026-12-03T04:00:00.000Z'),
    );
    expect(opt).toEqual({ action: 'send' });
    await t.app.close();
  });

  it('adds, changes and deletes a sandbox rule, audited, with If-Match', async () => {
    const t = await buildTestApp(db());
    await t.services.sandboxes.ensure('other');
    const created = await call(t, 'POST', '/policy/rules', CUSTOM);
    expect(created.statusCode).toBe(201);
    expect(created.headers.etag).toBe('"1"');
    const rule = created.json<Listed>();
    expect(rule).toMatchObject({
      ...CUSTOM,
      origin: 'sandbox',
      enabled: true,
      version: 1,
      overridden: false,
    });
    const check = await call(t, 'POST', '/policy/check', {
      to: '+4915112345678',
      at: '2026-12-02T07:00:00.000Z',
    });
    expect(check.json()).toMatchObject({
      action: 'hold',
      scheduledFor: '2026-12-02T08:00:00.000Z',
      rule: rule.id,
    });
    // Another sandbox does not see it.
    const elsewhere = await call(t, 'GET', `/policy/rules/${rule.id}`, undefined, {}, 'other');
    expect(elsewhere.statusCode).toBe(404);

    const stale = await call(
      t,
      'PATCH',
      `/policy/rules/${rule.id}`,
      { name: 'x' },
      { 'if-match': '"5"' },
    );
    expect(stale.statusCode).toBe(412);
    const edited = await call(
      t,
      'PATCH',
      `/policy/rules/${rule.id}`,
      { window: { timeZoneFrom: 'recipient', days: EVERY('10:00', '18:00') } },
      { 'if-match': '"1"' },
    );
    expect(edited.statusCode).toBe(200);
    expect(edited.json()).toMatchObject({ version: 2 });
    const later = await call(t, 'POST', '/policy/check', {
      to: '+4915112345678',
      at: '2026-12-02T07:00:00.000Z',
    });
    expect(later.json()).toMatchObject({ scheduledFor: '2026-12-02T09:00:00.000Z' });

    expect((await call(t, 'DELETE', `/policy/rules/${rule.id}`)).statusCode).toBe(204);
    expect((await call(t, 'DELETE', `/policy/rules/${rule.id}`)).statusCode).toBe(404);
    const actions = await db()
      .kysely.selectFrom('audit_events')
      .select('action')
      .where('resource_type', '=', 'policy_rule')
      .orderBy('id')
      .execute();
    expect(actions.map((a) => a.action)).toEqual([
      'policy_rule.created',
      'policy_rule.updated',
      'policy_rule.deleted',
    ]);
    await t.app.close();
  });

  it('a shipped rule is overridden or disabled per sandbox, restored by DELETE, never deleted', async () => {
    const t = await buildTestApp(db());
    await t.services.sandboxes.ensure('other');
    const at = '2026-12-03T01:30:00.000Z'; // 20:30 Eastern
    expect(
      (await call(t, 'POST', '/policy/check', { to: '+13055550123', at })).json(),
    ).toMatchObject({ action: 'hold', rule: 'us-fl' });
    const disabled = await call(t, 'PATCH', '/policy/rules/us-fl', { enabled: false });
    expect(disabled.statusCode).toBe(200);
    expect(disabled.json()).toMatchObject({
      id: 'us-fl',
      origin: 'shipped',
      overridden: true,
      enabled: false,
      version: 2,
    });
    // Federal still applies: 20:30 is inside 8-21.
    expect(
      (await call(t, 'POST', '/policy/check', { to: '+13055550123', at })).json(),
    ).toMatchObject({ action: 'send' });
    // Other sandboxes keep the shipped rule.
    expect(
      (await call(t, 'POST', '/policy/check', { to: '+13055550123', at }, {}, 'other')).json(),
    ).toMatchObject({ action: 'hold', rule: 'us-fl' });
    const listed = (await call(t, 'GET', '/policy/rules?limit=200')).json<{ items: Listed[] }>()
      .items;
    expect(listed.filter((r) => r.id === 'us-fl')).toEqual([
      expect.objectContaining({ overridden: true, enabled: false }),
    ]);
    expect(listed).toHaveLength(SHIPPED_RULES.length);

    const overridden = await call(t, 'PATCH', '/policy/rules/us-fl', {
      enabled: true,
      window: { timeZoneFrom: 'recipient', days: EVERY('08:00', '19:00') },
    });
    expect(overridden.json()).toMatchObject({
      enabled: true,
      version: 3,
      window: { days: { mon: [{ start: '08:00', end: '19:00' }] } },
    });
    expect(
      (
        await call(t, 'POST', '/policy/check', {
          to: '+13055550123',
          at: '2026-12-03T00:30:00.000Z',
        })
      ).json(),
    ).toMatchObject({ action: 'hold', rule: 'us-fl' });

    expect((await call(t, 'DELETE', '/policy/rules/us-fl')).statusCode).toBe(204);
    const restored = await call(t, 'GET', '/policy/rules/us-fl');
    expect(restored.json()).toMatchObject({ overridden: false, enabled: true, version: 1 });
    const refused = await call(t, 'DELETE', '/policy/rules/us-federal');
    expect(refused.statusCode).toBe(409);
    const actions = await db()
      .kysely.selectFrom('audit_events')
      .select('action')
      .where('resource_type', '=', 'policy_rule')
      .orderBy('id')
      .execute();
    expect(actions.map((a) => a.action)).toEqual([
      'policy_rule.overridden',
      'policy_rule.overridden',
      'policy_rule.restored',
    ]);
    await t.app.close();
  });

  it('bad rules get 400 naming the field and change nothing', async () => {
    const t = await buildTestApp(db());
    const before = await counts(db());
    const cases: [object, string][] = [
      [
        {
          ...CUSTOM,
          window: {
            timeZoneFrom: 'recipient',
            days: { ...EVERY('09:00', '18:00'), mon: [{ start: '18:00', end: '09:00' }] },
          },
        },
        '/window/days/mon/0/end',
      ],
      [
        {
          ...CUSTOM,
          window: {
            timeZoneFrom: 'recipient',
            days: {
              ...EVERY('09:00', '18:00'),
              tue: [
                { start: '09:00', end: '13:00' },
                { start: '12:00', end: '18:00' },
              ],
            },
          },
        },
        '/window/days/tue/1',
      ],
      [
        {
          ...CUSTOM,
          window: {
            timeZoneFrom: 'recipient',
            days: { ...EVERY('09:00', '18:00'), wed: [{ start: '9:00', end: '18:00' }] },
          },
        },
        '/window/days/wed/0/start',
      ],
      [
        {
          ...CUSTOM,
          window: { timeZoneFrom: 'fixed', timeZone: 'Mars/Base', days: EVERY('09:00', '18:00') },
        },
        '/window/timeZone',
      ],
      [
        {
          ...CUSTOM,
          window: { timeZoneFrom: 'recipient', holidays: 'XX', days: EVERY('09:00', '18:00') },
        },
        '/window/holidays',
      ],
      [{ ...CUSTOM, scope: { country: 'ZZ' } }, '/scope/country'],
      [{ ...CUSTOM, scope: { country: 'US', region: 'QQ' } }, '/scope/region'],
      [{ ...CUSTOM, kind: 'cap' }, '/cap'],
      [{ ...CUSTOM, effectiveFrom: '2026-13-01' }, '/effectiveFrom'],
    ];
    for (const [body, path] of cases) {
      const res = await call(t, 'POST', '/policy/rules', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      const paths = res.json<ErrorBody>().error.details.map((d) => d.path);
      expect(
        paths.some((p) => p?.startsWith(path)),
        `${path} in ${JSON.stringify(paths)}`,
      ).toBe(true);
    }
    // The same checks on a PATCH, of a shipped rule too.
    const patch = await call(t, 'PATCH', '/policy/rules/us-tx', {
      window: {
        timeZoneFrom: 'recipient',
        days: { ...EVERY('09:00', '21:00'), sun: [{ start: '21:00', end: '12:00' }] },
      },
    });
    expect(patch.statusCode).toBe(400);
    expect(patch.json<ErrorBody>().error.details[0]!.path).toBe('/window/days/sun/0/end');
    expect(await counts(db())).toEqual(before);
    await t.app.close();
  });
});
