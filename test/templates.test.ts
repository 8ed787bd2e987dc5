import { expect, it } from 'vitest';
import type { Db } from '../src/db/database.js';
import { newId } from '../src/ids.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';

type Details = { path: string; message: string; line?: number; column?: number }[];
interface ErrorBody {
  error: { code: string; details: Details };
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

async function profile(
  db: Db,
  phone: string,
  attributes: Record<string, unknown>,
  sandbox = 'prod',
): Promise<string> {
  const id = newId();
  await db.kysely
    .insertInto('profiles')
    .values({
      sandbox,
      id,
      phone,
      consent: 'subscribed',
      consent_updated_at: null,
      attributes: JSON.stringify(attributes),
      created_at: '2026-11-25T12:00:00.000Z',
      updated_at: '2026-11-25T12:00:00.000Z',
    })
    .execute();
  return id;
}

const GREETING = {
  name: 'spring-sale',
  body: 'Hi {{ profile.attributes.firstName | default: "there" }}, 20% off today. Reply STOP to opt out',
  messageType: 'marketing',
};

async function rowCounts(db: Db) {
  const count = async (table: 'templates' | 'template_versions' | 'audit_events') =>
    Number(
      (
        await db.kysely
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    templates: await count('templates'),
    versions: await count('template_versions'),
    audit: await count('audit_events'),
  };
}

describeEachDialect('templates', ({ db }) => {
  it('creates, versions on each edit with If-Match, and keeps old versions as they were', async () => {
    const t = await buildTestApp(db());
    const created = await call(t, 'POST', '/templates', GREETING);
    expect(created.statusCode).toBe(201);
    expect(created.headers.etag).toBe('"1"');
    const template = created.json<{ id: string; version: number }>();
    expect(created.json()).toMatchObject({ ...GREETING, version: 1, media: [] });

    const stale = await call(
      t,
      'PATCH',
      `/templates/${template.id}`,
      { body: 'x' },
      {
        'if-match': '"7"',
      },
    );
    expect(stale.statusCode).toBe(412);
    expect(stale.json<ErrorBody>().error.code).toBe('precondition_failed');

    const edited = await call(
      t,
      'PATCH',
      `/templates/${template.id}`,
      { body: 'Hello {{ profile.phone }}. Reply STOP to opt out' },
      { 'if-match': '"1"' },
    );
    expect(edited.statusCode).toBe(200);
    expect(edited.headers.etag).toBe('"2"');
    expect(edited.json()).toMatchObject({ version: 2, name: 'spring-sale' });

    // The old tag is stale now.
    const again = await call(
      t,
      'PATCH',
      `/templates/${template.id}`,
      { name: 'other' },
      {
        'if-match': '"1"',
      },
    );
    expect(again.statusCode).toBe(412);

    // An edit that changes nothing makes no version.
    const same = await call(t, 'PATCH', `/templates/${template.id}`, { name: 'spring-sale' });
    expect(same.json()).toMatchObject({ version: 2 });

    const versions = await call(t, 'GET', `/templates/${template.id}/versions?limit=1`);
    const page = versions.json<{
      items: { version: number; body: string }[];
      nextCursor: string;
    }>();
    expect(page.items.map((v) => v.version)).toEqual([2]);
    const rest = await call(
      t,
      'GET',
      `/templates/${template.id}/versions?cursor=${page.nextCursor}`,
    );
    expect(rest.json()).toMatchObject({
      items: [{ version: 1, body: GREETING.body }],
      nextCursor: null,
    });
    expect(await t.services.templates.getVersion('prod', template.id, 1)).toMatchObject({
      body: GREETING.body,
    });

    const got = await call(t, 'GET', `/templates/${template.id}`);
    expect(got.headers.etag).toBe('"2"');
    const list = await call(t, 'GET', '/templates?name=SPRING');
    expect(list.json()).toMatchObject({ items: [{ id: template.id, version: 2 }] });

    const audit = await db()
      .kysely.selectFrom('audit_events')
      .select('action')
      .where('resource_id', '=', template.id)
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['template.created', 'template.updated']);
    await t.app.close();
  });

  it('refuses a duplicate name (409), and a deleted template frees its name', async () => {
    const t = await buildTestApp(db());
    const first = await call(t, 'POST', '/templates', GREETING);
    const id = first.json<{ id: string }>().id;
    const dup = await call(t, 'POST', '/templates', GREETING);
    expect(dup.statusCode).toBe(409);
    expect(dup.json<ErrorBody>().error.details).toEqual([
      { path: '/name', message: 'is taken in this sandbox' },
    ]);
    expect((await call(t, 'DELETE', `/templates/${id}`)).statusCode).toBe(204);
    expect((await call(t, 'GET', `/templates/${id}`)).statusCode).toBe(404);
    expect((await call(t, 'DELETE', `/templates/${id}`)).statusCode).toBe(404);
    expect(
      (await call(t, 'POST', `/templates/${id}/preview`, { phones: ['+14155550100'] })).statusCode,
    ).toBe(404);
    expect((await call(t, 'GET', '/templates')).json()).toMatchObject({ items: [] });
    // Its versions stay readable by number (a confirmed campaign keeps its pinned text).
    expect(await t.services.templates.getVersion('prod', id, 1)).toMatchObject({ version: 1 });
    await expect(t.services.templates.getVersion('prod', id)).rejects.toMatchObject({
      code: 'not_found',
    });
    expect((await call(t, 'POST', '/templates', GREETING)).statusCode).toBe(201);
    await t.app.close();
  });

  it('previews against real profiles, by id and by phone, with parts, encoding and problems', async () => {
    const t = await buildTestApp(db());
    const ann = await profile(db(), '+14155550101', { firstName: 'Ann' });
    await profile(db(), '+14155550102', { firstName: 'Zoë’s' });
    const id = (
      await call(t, 'POST', '/templates', {
        name: 'named',
        body: 'Hi {{ profile.attributes.firstName }}! Reply STOP to opt out',
      })
    ).json<{ id: string }>().id;
    const res = await call(t, 'POST', `/templates/${id}/preview`, {
      profileIds: [ann],
      phones: ['+1 415 555 0102', '+14155550199'],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      items: [
        {
          profileId: ann,
          phone: '+14155550101',
          ok: true,
          text: 'Hi Ann! Reply STOP to opt out',
          characters: 29,
          segments: 1,
          encoding: 'GSM-7',
          problems: [],
        },
        expect.objectContaining({
          phone: '+14155550102',
          ok: true,
          text: 'Hi Zoë’s! Reply STOP to opt out',
          encoding: 'UCS-2',
        }),
        expect.objectContaining({
          profileId: null,
          phone: '+14155550199',
          ok: false,
          text: 'Hi ! Reply STOP to opt out',
          problems: [
            expect.objectContaining({
              path: '/body',
              line: 1,
              column: 7,
              variable: 'profile.attributes.firstName',
            }),
          ],
        }),
      ],
    });

    const bad = await call(t, 'POST', `/templates/${id}/preview`, {
      profileIds: ['nope'],
      phones: ['12'],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<ErrorBody>().error.details.map((d) => d.path)).toEqual(['/phones/0']);
    const unknown = await call(t, 'POST', `/templates/${id}/preview`, { profileIds: ['nope'] });
    expect(unknown.json<ErrorBody>().error.details.map((d) => d.path)).toEqual(['/profileIds/0']);
    const none = await call(t, 'POST', `/templates/${id}/preview`, {});
    expect(none.statusCode).toBe(400);
    const tooMany = await call(t, 'POST', `/templates/${id}/preview`, {
      profileIds: Array.from({ length: 11 }, (_, i) => `p${i}`),
      phones: Array.from({ length: 10 }, (_, i) => `+1415555020${i}`),
    });
    expect(tooMany.statusCode).toBe(400);
    await t.app.close();
  });

  it("applies the channel configuration's footer and reports a marketing text with no opt-out", async () => {
    const t = await buildTestApp(db());
    await t.services.sandboxes.ensure('staging');
    const credential = await call(t, 'POST', '/credentials', {
      name: 'cred',
      baseUrl: 'https://ggx5k8.api.infobip.com',
      apiKey: 'key-0123456789abcdef',
    });
    const channel = await call(t, 'POST', '/channel-configurations', {
      name: 'promo',
      messageType: 'marketing',
      credentialId: credential.json<{ id: string }>().id,
      sender: 'ACME',
      marketingFooter: 'Reply STOP to opt out',
    });
    const channelConfigurationId = channel.json<{ id: string }>().id;
    const draft = { body: 'Big sale today', messageType: 'marketing' };
    const withFooter = await call(t, 'POST', '/templates/render', {
      ...draft,
      channelConfigurationId,
    });
    expect(withFooter.json()).toMatchObject({
      ok: true,
      text: 'Big sale today\nReply STOP to opt out',
      segments: 1,
    });
    const without = await call(t, 'POST', '/templates/render', draft);
    expect(without.json()).toMatchObject({
      ok: false,
      problems: [{ path: '/body', message: expect.stringContaining('opt out') as unknown }],
    });
    const otherSandbox = await call(
      t,
      'POST',
      '/templates/render',
      { ...draft, channelConfigurationId },
      {},
      'staging',
    );
    expect(otherSandbox.statusCode).toBe(400);
    expect(otherSandbox.json<ErrorBody>().error.details[0]?.path).toBe('/channelConfigurationId');
    await t.app.close();
  });

  it('renders a draft for a profile and checks the DLT fit and the cap', async () => {
    const t = await buildTestApp(db());
    const ann = await profile(db(), '+14155550101', { code: '123456' });
    const dlt = {
      body: 'Your OTP is {{ profile.attributes.code }}. Do not share.',
      messageType: 'transactional',
      dltTemplateText: 'Your OTP is {#var#}. Do not share.',
    };
    const fits = await call(t, 'POST', '/templates/render', { ...dlt, profileId: ann });
    expect(fits.json()).toMatchObject({ ok: true, text: 'Your OTP is 123456. Do not share.' });
    const unfit = await call(t, 'POST', '/templates/render', {
      ...dlt,
      body: 'Your code is {{ profile.attributes.code }}.',
      profileId: ann,
    });
    expect(unfit.json()).toMatchObject({ ok: false });
    const long = await call(t, 'POST', '/templates/render', {
      body: '{{ profile.attributes.code | append: "xxxxxxxxxx" | split: "" | join: "yyyyyyyyyy" }}'.repeat(
        10,
      ),
      messageType: 'transactional',
      phone: '+14155550101',
    });
    expect(long.json()).toMatchObject({ ok: false, segments: 11 });
    await t.app.close();
  });

  it('answers 400 naming /body and the line for every bad body, and creates nothing', async () => {
    const t = await buildTestApp(db());
    const before = await rowCounts(db());
    // [what, body, the message names, the line]; `checked`: a draft is answered 200 with the problem.
    const cases: { what: string; body: string; message: string; line?: number; checked?: true }[] =
      [
        { what: 'does not parse', body: 'Hi\n{% if %}', message: 'line 2', line: 2 },
        {
          what: 'unknown filter',
          body: 'a\nb\n{{ profile.phone | shout }}',
          message: 'unknown filter "shout"',
          line: 3,
        },
        { what: 'unclosed output', body: '{{ profile.phone', message: 'not closed', line: 1 },
        { what: 'file tag', body: '{% include "x" %}', message: 'unknown tag "include"', line: 1 },
        { what: 'too long', body: 'x'.repeat(4_001), message: 'at most 4000' },
        { what: 'empty', body: '   ', message: 'is required' },
        {
          what: 'over the cap',
          body: `${'x'.repeat(1_600)} {{ profile.phone }}`,
          message: '11 SMS parts',
          checked: true,
        },
        { what: 'over the cap in UCS-2', body: '’'.repeat(700), message: 'UCS-2', checked: true },
        {
          what: 'render over the clock',
          body: `{% assign xs = "${Array.from({ length: 100 }, (_, i) => i).join(',')}" | split: "," %}{% for a in xs %}{% for b in xs %}{% for c in xs %}{% for d in xs %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}`,
          message: 'takes too long to render',
          line: 1,
          checked: true,
        },
        {
          what: 'render over the memory bound',
          body: '{% assign s = "xxxxxxxxxx" %}{% for i in (1..20) %}{% assign s = s | append: s %}{% endfor %}',
          message: 'builds too much text',
          line: 1,
          checked: true,
        },
      ];
    for (const { what, body, message, line, checked } of cases) {
      const created = await call(t, 'POST', '/templates', { name: 'bad', body });
      expect(created.statusCode, what).toBe(400);
      const [detail] = created.json<ErrorBody>().error.details;
      expect(detail, what).toMatchObject({ path: '/body' });
      expect(detail?.message, what).toContain(message);
      if (line !== undefined) expect(detail?.line, what).toBe(line);

      const drafted = await call(t, 'POST', '/templates/render', {
        body,
        messageType: 'transactional',
      });
      if (checked) {
        expect(drafted.statusCode, what).toBe(200);
        const item = drafted.json<{ ok: boolean; problems: Details }>();
        expect(item.ok, what).toBe(false);
        expect(item.problems[0]?.message, what).toContain(message);
      } else {
        expect(drafted.statusCode, what).toBe(400);
        expect(drafted.json<ErrorBody>().error.details[0]?.message, what).toContain(message);
      }
    }
    expect(await rowCounts(db())).toEqual(before);

    // Every field's problem at once.
    const many = await call(t, 'POST', '/templates', {
      name: '1 bad',
      body: '{{ x | nope }}',
      media: [{ url: 'ftp://x' }],
      dltTemplateText: 'Hi {#var#}',
    });
    expect(
      many
        .json<ErrorBody>()
        .error.details.map((d) => d.path)
        .sort(),
    ).toEqual(['/body', '/dltContentTemplateId', '/media', '/media/0/url', '/name']);
    const schema = await call(t, 'POST', '/templates', { ...GREETING, messageType: 'promo' });
    expect(schema.statusCode).toBe(400);
    const bodyEdit = await call(t, 'POST', '/templates', GREETING);
    const id = bodyEdit.json<{ id: string }>().id;
    const badEdit = await call(t, 'PATCH', `/templates/${id}`, { body: '{{ a | nope }}' });
    expect(badEdit.statusCode).toBe(400);
    expect((await call(t, 'GET', `/templates/${id}`)).json()).toMatchObject({ version: 1 });
    await t.app.close();
  });

  it('keeps sandboxes apart', async () => {
    const t = await buildTestApp(db());
    await t.services.sandboxes.ensure('staging');
    const id = (await call(t, 'POST', '/templates', GREETING)).json<{ id: string }>().id;
    const victim = await profile(db(), '+14155550101', { firstName: 'Ann' });
    const elsewhere = (
      await call(t, 'POST', '/templates', { ...GREETING, name: 'mine' }, {}, 'staging')
    ).json<{ id: string }>().id;
    for (const [method, url, payload] of [
      ['GET', `/templates/${id}`],
      ['PATCH', `/templates/${id}`, { body: 'x' }],
      ['DELETE', `/templates/${id}`],
      ['GET', `/templates/${id}/versions`],
      ['POST', `/templates/${id}/preview`, { phones: ['+14155550101'] }],
    ] as const) {
      const res = await call(t, method, url, payload, {}, 'staging');
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    expect((await call(t, 'GET', '/templates', undefined, {}, 'staging')).json()).toMatchObject({
      items: [{ id: elsewhere }],
    });
    // Another sandbox's profile is not a profile here.
    const res = await call(
      t,
      'POST',
      `/templates/${elsewhere}/preview`,
      { profileIds: [victim] },
      {},
      'staging',
    );
    expect(res.statusCode).toBe(400);
    const byPhone = await call(
      t,
      'POST',
      `/templates/${elsewhere}/preview`,
      { phones: ['+14155550101'] },
      {},
      'staging',
    );
    expect(byPhone.json()).toMatchObject({
      items: [{ profileId: null, text: expect.stringContaining('Hi there') as unknown }],
    });
    expect((await call(t, 'GET', `/templates/${id}`)).json()).toMatchObject({ version: 1 });
    await t.app.close();
  });
});
