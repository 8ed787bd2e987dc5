import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../simulator/src/index.js';
import { MANDATORY_OPT_OUT_KEYWORDS } from '../src/credentials/keywords.js';
import { buildTestApp, TEST_KEYRING, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import { SYSTEM_ACTOR } from '../src/auth/principal.js';

const API_KEY = 'd3b0f7c2a9e14b5f8c6d2e1a0b9c8d7e-3f9a';
let simulator: Simulator;
let simulatorUrl: string;

beforeAll(async () => {
  simulator = await createSimulator({ apiKeys: [API_KEY] });
  simulatorUrl = await simulator.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => simulator.close());

const ENV = { TERN_ALLOW_LOOPBACK_PROVIDER: 'true' };

function validBody(overrides: Record<string, unknown> = {}) {
  return { name: 'Main Infobip', baseUrl: simulatorUrl, apiKey: API_KEY, ...overrides };
}

async function create(t: TestApp, body: Record<string, unknown>, sandbox = 'prod') {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/credentials',
    headers: { ...t.auth, 'x-sandbox-name': sandbox },
    payload: body,
  });
}

describeEachDialect('API credentials', ({ db }) => {
  it('creates a credential with defaults, masks the key and gives the webhook URLs', async () => {
    const t = await buildTestApp(db(), ENV);
    const res = await create(t, validBody({ inboundNumber: '+1 415 555 0100' }));
    expect(res.statusCode).toBe(201);
    expect(res.headers.etag).toBe('"1"');
    const body = res.json<
      Record<string, unknown> & {
        id: string;
        webhooks: { inbound: { url: string; secret: string } };
      }
    >();
    expect(res.headers.location).toBe(`/api/v1/credentials/${body.id}`);
    expect(body).toMatchObject({
      name: 'Main Infobip',
      provider: 'infobip',
      baseUrl: simulatorUrl,
      apiKeyHint: '••••3f9a',
      optOutKeywords: [...MANDATORY_OPT_OUT_KEYWORDS],
      optInKeywords: ['START', 'UNSTOP', 'YES', 'SUBSCRIBE'],
      helpKeywords: ['HELP', 'INFO'],
      doubleOptInKeywords: [],
      customInboundKeywords: [],
      validityPeriod: { amount: 48, timeUnit: 'HOURS' },
      validityPeriodHours: 48,
      dltTelemarketerId: null,
      inboundNumber: '+14155550100',
      fuzzyOptOut: 'off',
      callbackData: null,
      defaultInboundReply: null,
      version: 1,
    });
    expect(body.webhooks.inbound.url).toBe(
      `http://tern.test/webhooks/infobip/${body.id}/inbound/${body.webhooks.inbound.secret}`,
    );
    expect(JSON.stringify(body)).not.toContain(API_KEY);
    expect(body).not.toHaveProperty('apiKey');
    await t.app.close();
  });

  it('encrypts the API key at rest', async () => {
    const t = await buildTestApp(db(), ENV);
    const { id } = (await create(t, validBody())).json<{ id: string }>();
    const row = await db()
      .kysely.selectFrom('credentials')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(API_KEY);
    expect(row.api_key_encrypted).toMatch(/^v1\./);
    expect(TEST_KEYRING.decrypt(row.api_key_encrypted)).toBe(API_KEY);
    await t.app.close();
  });

  it('normalises keywords typed comma-separated and keeps the mandated opt-out words', async () => {
    const t = await buildTestApp(db(), ENV);
    const res = await create(
      t,
      validBody({
        optOutKeywords: ' arrêt, Stop ,arrêt',
        optInKeywords: ['go', 'Start'],
        doubleOptInKeywords: 'JOIN',
        customInboundKeywords: 'discount, offers,',
      }),
    );
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      optOutKeywords: [...MANDATORY_OPT_OUT_KEYWORDS, 'ARRÊT'],
      optInKeywords: ['GO', 'START'],
      doubleOptInKeywords: ['JOIN'],
      customInboundKeywords: ['DISCOUNT', 'OFFERS'],
    });
    await t.app.close();
  });

  it('lists every problem by field and stores nothing', async () => {
    const t = await buildTestApp(db(), ENV);
    const res = await create(t, {
      name: '',
      baseUrl: 'http://10.0.0.5/api',
      optInKeywords: 'stop, two words',
      helpMessage: 'x'.repeat(500),
      dltPrincipalEntityId: '12ab',
      validityPeriodHours: 72,
      callbackData: 'c'.repeat(4001),
      inboundNumber: 'TernAlerts',
      customInboundKeywords: 'HELP',
    });
    expect(res.statusCode).toBe(400);
    const paths = res
      .json<{ error: { details: { path: string }[] } }>()
      .error.details.map((d) => d.path);
    for (const path of [
      '/name',
      '/baseUrl',
      '/apiKey',
      '/optInKeywords',
      '/helpMessage',
      '/dltPrincipalEntityId',
      '/validityPeriodHours',
      '/callbackData',
      '/inboundNumber',
      '/customInboundKeywords',
    ]) {
      expect(paths, path).toContain(path);
    }
    const count = await db()
      .kysely.selectFrom('credentials')
      .select(db().kysely.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
    await t.app.close();
  });

  it('rejects wrong types and unknown fields through the schema', async () => {
    const t = await buildTestApp(db(), ENV);
    const res = await create(t, validBody({ validityPeriodHours: '48', colour: 'red' }));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'validation_failed' } });
    await t.app.close();
  });

  it('refuses base URLs that would send the key elsewhere', async () => {
    const strict = await buildTestApp(db());
    for (const baseUrl of [
      simulatorUrl, // loopback, not allowed without TERN_ALLOW_LOOPBACK_PROVIDER
      'http://example.api.infobip.com',
      'https://evil.example.com',
      'https://user:pass@x.api.infobip.com',
      'https://x.api.infobip.com/?q=1',
      'https://169.254.169.254',
    ]) {
      const res = await create(strict, validBody({ baseUrl }));
      expect(res.statusCode, baseUrl).toBe(400);
      expect(res.json<{ error: { details: { path: string }[] } }>().error.details[0]?.path).toBe(
        '/baseUrl',
      );
    }
    const ok = await create(strict, validBody({ baseUrl: 'https://ggx5k8.api.infobip.com/' }));
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ baseUrl: 'https://ggx5k8.api.infobip.com' });
    await strict.app.close();
  });

  it('keeps names unique per sandbox and inbound numbers unique across sandboxes', async () => {
    const t = await buildTestApp(db(), ENV);
    await t.services.sandboxes.create('dev', SYSTEM_ACTOR);
    expect((await create(t, validBody({ inboundNumber: '+14155550100' }))).statusCode).toBe(201);
    const sameName = await create(t, validBody());
    expect(sameName.statusCode).toBe(409);
    expect(sameName.json()).toMatchObject({
      error: { code: 'conflict', details: [{ path: '/name' }] },
    });
    // The same API key in another sandbox is fine, with its own inbound number…
    expect((await create(t, validBody({ inboundNumber: '+14155550101' }), 'dev')).statusCode).toBe(
      201,
    );
    // …but an inbound number belongs to one credential only.
    const taken = await create(
      t,
      validBody({ name: 'Other', inboundNumber: '+14155550100' }),
      'dev',
    );
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ error: { details: [{ path: '/inboundNumber' }] } });
    await t.app.close();
  });

  it('takes a short code (3-8 digits, kept as is) as inbound number, unique like a number; refuses an alphanumeric id', async () => {
    const t = await buildTestApp(db(), ENV);
    await t.services.sandboxes.create('dev', SYSTEM_ACTOR);
    // Before: "must be a valid phone number", so texts to a short code could not be routed.
    const res = await create(t, validBody({ inboundNumber: ' 25256 ' }));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ inboundNumber: '25256' });
    const taken = await create(t, validBody({ name: 'Other', inboundNumber: '25256' }), 'dev');
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ error: { details: [{ path: '/inboundNumber' }] } });
    for (const bad of ['12', '123456789', 'TernAlerts', '+25256', '25 256']) {
      const refused = await create(t, validBody({ name: `n-${bad}`, inboundNumber: bad }), 'dev');
      expect(refused.statusCode, bad).toBe(400);
      expect(refused.json(), bad).toMatchObject({
        error: {
          details: [
            { path: '/inboundNumber', message: expect.stringContaining('short code') as unknown },
          ],
        },
      });
    }
    await t.app.close();
  });

  it('updates with If-Match, keeps the key when omitted, and refuses a stale version', async () => {
    const t = await buildTestApp(db(), ENV);
    const { id } = (await create(t, validBody())).json<{ id: string }>();
    const patch = (payload: object, ifMatch?: string) =>
      t.app.inject({
        method: 'PATCH',
        url: `/api/v1/credentials/${id}`,
        headers: { ...t.auth, ...(ifMatch ? { 'if-match': ifMatch } : {}) },
        payload,
      });
    const first = await patch({ validityPeriodHours: 12, optOutKeywords: 'FIN' }, '"1"');
    expect(first.statusCode).toBe(200);
    expect(first.headers.etag).toBe('"2"');
    expect(first.json()).toMatchObject({
      validityPeriodHours: 12,
      apiKeyHint: '••••3f9a',
      version: 2,
    });
    expect(first.json<{ optOutKeywords: string[] }>().optOutKeywords).toContain('STOP');

    const stale = await patch({ validityPeriodHours: 6 }, '"1"');
    expect(stale.statusCode).toBe(412);
    expect(stale.json()).toMatchObject({ error: { code: 'precondition_failed' } });

    const newKey = await patch({ apiKey: 'another-key-0000000000abcd' }, '"2"');
    expect(newKey.json()).toMatchObject({ apiKeyHint: '••••abcd', version: 3 });

    const audit = await t.app.inject({ url: `/api/v1/audit?resourceId=${id}`, headers: t.auth });
    const entries = audit.json<{ items: { action: string; fields: string[] }[] }>().items;
    expect(entries.map((e) => e.action)).toEqual([
      'credential.updated',
      'credential.updated',
      'credential.created',
    ]);
    expect(entries[0]?.fields).toEqual(['apiKey']);
    expect(entries[1]?.fields).toEqual(['optOutKeywords', 'validityPeriod']);
    expect(audit.body).not.toContain('another-key');
    await t.app.close();
  });

  it('refuses to delete a credential in use unless forced', async () => {
    const t = await buildTestApp(db(), ENV);
    const { id } = (await create(t, validBody())).json<{ id: string }>();
    const channel = await t.app.inject({
      method: 'POST',
      url: '/api/v1/channel-configurations',
      headers: t.auth,
      payload: {
        name: 'sms-marketing',
        channel: 'sms',
        messageType: 'marketing',
        credentialId: id,
        sender: 'Tern',
      },
    });
    expect(channel.statusCode).toBe(201);
    const refused = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/credentials/${id}`,
      headers: t.auth,
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({
      error: { code: 'conflict', details: [{ name: 'sms-marketing' }] },
    });
    const forced = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/credentials/${id}?force=true`,
      headers: t.auth,
    });
    expect(forced.statusCode).toBe(204);
    expect(
      (await t.app.inject({ url: `/api/v1/credentials/${id}`, headers: t.auth })).statusCode,
    ).toBe(404);
    const channels = await t.app.inject({ url: '/api/v1/channel-configurations', headers: t.auth });
    expect(channels.json()).toEqual({ items: [], nextCursor: null });
    await t.app.close();
  });

  it('lists with a name filter and cursor pagination', async () => {
    const t = await buildTestApp(db(), ENV);
    for (const name of ['alpha', 'beta', 'alphabet', 'gamma_%'])
      await create(t, validBody({ name }));
    const list = (query: string) =>
      t.app
        .inject({ url: `/api/v1/credentials?${query}`, headers: t.auth })
        .then((r) =>
          r.json<{ items: { name: string; apiKeyHint: string }[]; nextCursor: string | null }>(),
        );
    expect((await list('name=ALPHA')).items.map((i) => i.name)).toEqual(['alpha', 'alphabet']);
    expect((await list('name=_%25')).items.map((i) => i.name)).toEqual(['gamma_%']);
    const page1 = await list('limit=3');
    expect(page1.items).toHaveLength(3);
    const page2 = await list(`limit=3&cursor=${page1.nextCursor}`);
    expect(page2).toMatchObject({ items: [{ name: 'gamma_%' }], nextCursor: null });
    expect(JSON.stringify(page1)).not.toContain(API_KEY);
    await t.app.close();
  });

  it('verifies the connection against the provider: ok and unauthorized', async () => {
    const t = await buildTestApp(db(), ENV);
    const good = (await create(t, validBody())).json<{ id: string }>();
    const bad = (
      await create(t, validBody({ name: 'wrong key', apiKey: 'not-the-right-key-1234' }))
    ).json<{ id: string }>();
    const ok = await t.app.inject({
      method: 'POST',
      url: `/api/v1/credentials/${good.id}/verify`,
      headers: t.auth,
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'ok', httpStatus: 200 });
    expect(ok.json<{ latencyMs: number }>().latencyMs).toBeGreaterThanOrEqual(0);
    const denied = await t.app.inject({
      method: 'POST',
      url: `/api/v1/credentials/${bad.id}/verify`,
      headers: t.auth,
    });
    expect(denied.json()).toMatchObject({ status: 'unauthorized', httpStatus: 401 });
    await t.app.close();
  });

  it('isolates sandboxes: another sandbox sees 404, never the data', async () => {
    const t = await buildTestApp(db(), ENV);
    await t.services.sandboxes.create('dev', SYSTEM_ACTOR);
    const { id } = (await create(t, validBody())).json<{ id: string }>();
    const devToken = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: t.auth,
      payload: { name: 'dev', sandbox: 'dev' },
    });
    const dev = { authorization: `Bearer ${devToken.json<{ token: string }>().token}` };
    const attempts = [
      { method: 'GET' as const, url: `/api/v1/credentials/${id}` },
      { method: 'PATCH' as const, url: `/api/v1/credentials/${id}`, payload: { name: 'x' } },
      { method: 'DELETE' as const, url: `/api/v1/credentials/${id}` },
      { method: 'POST' as const, url: `/api/v1/credentials/${id}/verify` },
    ];
    for (const attempt of attempts) {
      // A dev token naming prod, a dev token in dev, and a global token in dev: all 404.
      for (const headers of [
        { ...dev, 'x-sandbox-name': 'prod' },
        { ...dev, 'x-sandbox-name': 'dev' },
        { ...t.auth, 'x-sandbox-name': 'dev' },
      ]) {
        const res = await t.app.inject({ ...attempt, headers });
        expect(res.statusCode, `${attempt.method} ${attempt.url}`).toBe(404);
        expect(res.body).not.toContain('Main Infobip');
      }
    }
    const listed = await t.app.inject({
      url: '/api/v1/credentials',
      headers: { ...dev, 'x-sandbox-name': 'dev' },
    });
    expect(listed.json()).toEqual({ items: [], nextCursor: null });
    expect(
      (await t.app.inject({ url: `/api/v1/credentials/${id}`, headers: t.auth })).statusCode,
    ).toBe(200);
    await t.app.close();
  });
});
