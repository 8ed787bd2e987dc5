import { expect, it } from 'vitest';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import { SYSTEM_ACTOR } from '../src/auth/principal.js';

async function credential(t: TestApp, sandbox = 'prod'): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/credentials',
    headers: { ...t.auth, 'x-sandbox-name': sandbox },
    payload: {
      name: `cred-${sandbox}`,
      baseUrl: 'https://ggx5k8.api.infobip.com',
      apiKey: 'key-0123456789abcdef',
    },
  });
  expect(res.statusCode).toBe(201);
  return res.json<{ id: string }>().id;
}

function post(t: TestApp, payload: object, sandbox = 'prod') {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/channel-configurations',
    headers: { ...t.auth, 'x-sandbox-name': sandbox },
    payload,
  });
}

describeEachDialect('channel configurations', ({ db }) => {
  it('creates SMS and MMS configurations and normalises the sender', async () => {
    const t = await buildTestApp(db());
    const credentialId = await credential(t);
    const sms = await post(t, {
      name: 'sms.marketing-1',
      channel: 'sms',
      messageType: 'marketing',
      credentialId,
      sender: 'ACME',
      marketingFooter: 'Reply STOP to opt out',
    });
    expect(sms.statusCode).toBe(201);
    expect(sms.json()).toMatchObject({
      name: 'sms.marketing-1',
      channel: 'sms',
      sender: 'ACME',
      marketingFooter: 'Reply STOP to opt out',
      version: 1,
    });
    const mms = await post(t, {
      name: 'mms',
      channel: 'mms',
      credentialId,
      sender: '+1 (415) 555-0100',
    });
    expect(mms.json()).toMatchObject({ sender: '+14155550100', messageType: 'transactional' });
    const shortCode = await post(t, { name: 'short', credentialId, sender: '12345' });
    expect(shortCode.json()).toMatchObject({ sender: '12345' });
    await t.app.close();
  });

  it('lists every problem by field', async () => {
    const t = await buildTestApp(db());
    const res = await post(t, {
      name: '1bad name',
      channel: 'mms',
      credentialId: 'nope',
      sender: 'ACME',
      description: 'd'.repeat(501),
    });
    expect(res.statusCode).toBe(400);
    const details = res.json<{ error: { details: { path: string; message: string }[] } }>().error
      .details;
    expect(details.map((d) => d.path).sort()).toEqual([
      '/credentialId',
      '/description',
      '/name',
      '/sender',
    ]);
    expect(details.find((d) => d.path === '/sender')?.message).toContain('MMS');
    const badSender = await post(t, { name: 'x', credentialId: await credential(t), sender: 'AB' });
    expect(badSender.json()).toMatchObject({ error: { details: [{ path: '/sender' }] } });
    await t.app.close();
  });

  it('refuses a credential of another sandbox', async () => {
    const t = await buildTestApp(db());
    await t.services.sandboxes.create('dev', SYSTEM_ACTOR);
    const devCredential = await credential(t, 'dev');
    const res = await post(t, { name: 'x', credentialId: devCredential, sender: 'ACME' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { details: [{ path: '/credentialId' }] } });
    await t.app.close();
  });

  it('updates with If-Match and refuses a stale version; names are unique', async () => {
    const t = await buildTestApp(db());
    const credentialId = await credential(t);
    const { id } = (await post(t, { name: 'first', credentialId, sender: 'ACME' })).json<{
      id: string;
    }>();
    await post(t, { name: 'second', credentialId, sender: 'ACME' });
    const patch = (payload: object, ifMatch: string) =>
      t.app.inject({
        method: 'PATCH',
        url: `/api/v1/channel-configurations/${id}`,
        headers: { ...t.auth, 'if-match': ifMatch },
        payload,
      });
    const ok = await patch({ messageType: 'marketing' }, '"1"');
    expect(ok.statusCode).toBe(200);
    expect(ok.headers.etag).toBe('"2"');
    expect((await patch({ sender: 'OTHER' }, '"1"')).statusCode).toBe(412);
    expect((await patch({ name: 'second' }, '"2"')).statusCode).toBe(409);
    // A tag Tern never issued matches no version: 412 (RFC 9110 §13.1.1), not 400.
    expect((await patch({ name: 'x' }, 'garbage')).statusCode).toBe(412);
    await t.app.close();
  });

  it('deletes, and another sandbox gets 404', async () => {
    const t = await buildTestApp(db());
    await t.services.sandboxes.create('dev', SYSTEM_ACTOR);
    const credentialId = await credential(t);
    const { id } = (await post(t, { name: 'c', credentialId, sender: 'ACME' })).json<{
      id: string;
    }>();
    const other = { ...t.auth, 'x-sandbox-name': 'dev' };
    expect(
      (await t.app.inject({ url: `/api/v1/channel-configurations/${id}`, headers: other }))
        .statusCode,
    ).toBe(404);
    expect(
      (
        await t.app.inject({
          method: 'DELETE',
          url: `/api/v1/channel-configurations/${id}`,
          headers: other,
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (
        await t.app.inject({
          method: 'DELETE',
          url: `/api/v1/channel-configurations/${id}`,
          headers: t.auth,
        })
      ).statusCode,
    ).toBe(204);
    expect(
      (await t.app.inject({ url: `/api/v1/channel-configurations/${id}`, headers: t.auth }))
        .statusCode,
    ).toBe(404);
    await t.app.close();
  });
});

describeEachDialect('sandboxes and tokens', ({ db }) => {
  it('creates sandboxes and tokens limited to one; revoked tokens stop working', async () => {
    const t = await buildTestApp(db());
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sandboxes',
      headers: t.auth,
      payload: { name: 'staging' },
    });
    expect(created.statusCode).toBe(201);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/sandboxes',
          headers: t.auth,
          payload: { name: 'staging' },
        })
      ).statusCode,
    ).toBe(409);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/sandboxes',
          headers: t.auth,
          payload: { name: 'Bad_Name' },
        })
      ).statusCode,
    ).toBe(400);
    const sandboxes = await t.app.inject({ url: '/api/v1/sandboxes', headers: t.auth });
    expect(sandboxes.json<{ items: { name: string }[] }>().items.map((s) => s.name)).toEqual([
      'prod',
      'staging',
    ]);

    const tokenRes = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: t.auth,
      payload: { name: 'ci', sandbox: 'staging' },
    });
    expect(tokenRes.statusCode).toBe(201);
    const { id, token } = tokenRes.json<{ id: string; token: string }>();
    const limited = { authorization: `Bearer ${token}`, 'x-sandbox-name': 'staging' };
    expect((await t.app.inject({ url: '/api/v1/me', headers: limited })).statusCode).toBe(200);
    // A limited token sees only its sandbox and cannot administer others.
    expect(
      (await t.app.inject({ url: '/api/v1/sandboxes', headers: limited })).json(),
    ).toMatchObject({ items: [{ name: 'staging' }] });
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/sandboxes',
          headers: limited,
          payload: { name: 'x' },
        })
      ).statusCode,
    ).toBe(403);
    const listed = await t.app.inject({ url: '/api/v1/tokens', headers: t.auth });
    expect(listed.body).not.toContain(token);

    expect(
      (await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${id}`, headers: t.auth }))
        .statusCode,
    ).toBe(204);
    expect((await t.app.inject({ url: '/api/v1/me', headers: limited })).statusCode).toBe(401);
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${id}`, headers: t.auth }))
        .statusCode,
    ).toBe(404);
    await t.app.close();
  });

  it('answers 404 for a sandbox that does not exist', async () => {
    const t = await buildTestApp(db());
    const res = await t.app.inject({
      url: '/api/v1/credentials',
      headers: { ...t.auth, 'x-sandbox-name': 'ghost' },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'not_found' } });
    await t.app.close();
  });
});
