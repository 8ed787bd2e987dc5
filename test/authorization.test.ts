import { expect, it } from 'vitest';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';

/**
 * Every /api route (enumerated from the router, so a new route cannot be forgotten) with a
 * revoked token, with another sandbox's token, and with that token pointed at this sandbox's
 * objects: 401 or 404, never this sandbox's data.
 */
describeEachDialect('authorization on every route', ({ db }) => {
  it('refuses revoked tokens and keeps sandboxes apart', { timeout: 60_000 }, async () => {
    const t = await buildTestApp(db(), { TERN_ALLOW_LOOPBACK_PROVIDER: 'true' });
    const post = async (url: string, payload: object, headers: Record<string, string> = t.auth) => {
      const res = await t.app.inject({ method: 'POST', url, headers, payload });
      expect(res.statusCode, `${url}: ${res.body}`).toBeLessThan(300);
      return res.json<{ id: string; token: string }>();
    };
    // This sandbox's data, with names that must never show up elsewhere.
    const credential = await post('/api/v1/credentials', {
      name: 'SECRET-PROD-CREDENTIAL',
      baseUrl: 'https://x1.api.infobip.com',
      apiKey: 'prod-key-000000000000',
      inboundNumber: '+14155550199',
    });
    const channel = await post('/api/v1/channel-configurations', {
      name: 'SECRET-PROD-CHANNEL',
      credentialId: credential.id,
      sender: 'PRODSENDER',
    });
    const message = await post('/api/v1/messages', {
      channelConfigurationId: channel.id,
      to: '+14155550142',
      text: 'SECRET-PROD-TEXT',
    });
    await t.app.inject({
      method: 'PUT',
      url: '/api/v1/profiles/+14155550142/consent',
      headers: t.auth,
      payload: { consent: 'subscribed' },
    });
    const secretMarks = ['SECRET-PROD', 'PRODSENDER', '14155550142', '14155550199'];

    await post('/api/v1/sandboxes', { name: 'other' });
    const other = await post('/api/v1/tokens', { name: 'other-only', sandbox: 'other' });
    const revoked = await post('/api/v1/tokens', { name: 'to-revoke' });
    expect(
      (
        await t.app.inject({
          method: 'DELETE',
          url: `/api/v1/tokens/${revoked.id}`,
          headers: t.auth,
        })
      ).statusCode,
    ).toBe(204);

    await t.app.ready();
    const routes = t.app.registeredRoutes.filter(
      (r) => r.url.startsWith('/api') && r.method !== 'HEAD' && r.url !== '/api/v1/events/stream',
    );
    expect(routes.length).toBeGreaterThan(25);
    const ids: Record<string, string> = { id: message.id, phone: '+14155550142', name: 'prod' };
    const concrete = (url: string) =>
      url.replace(/:([A-Za-z]+)/g, (_m, param: string) => {
        if (url.includes('credentials')) return credential.id;
        if (url.includes('channel-configurations')) return channel.id;
        return encodeURIComponent(ids[param] ?? 'x');
      });

    for (const route of routes) {
      const url = concrete(route.url);
      const payload = route.method === 'GET' || route.method === 'DELETE' ? undefined : {};
      const call = (headers: Record<string, string>) =>
        t.app.inject({
          method: route.method as 'GET',
          url,
          headers,
          ...(payload ? { payload } : {}),
        });
      const name = `${route.method} ${route.url}`;

      const withRevoked = await call({ authorization: `Bearer ${revoked.token}` });
      expect(withRevoked.statusCode, `${name} with a revoked token`).toBe(401);

      const otherAtProd = await call({
        authorization: `Bearer ${other.token}`,
        'x-sandbox-name': 'prod',
      });
      expect(otherAtProd.statusCode, `${name}: another sandbox's token naming prod`).toBe(404);

      // In its own sandbox, the other token reaches prod's object ids: never found, never shown.
      const otherAtOwn = await call({
        authorization: `Bearer ${other.token}`,
        'x-sandbox-name': 'other',
      });
      expect(otherAtOwn.statusCode, `${name} in its own sandbox`).toBeLessThan(500);
      if (
        route.url.includes(':') &&
        !route.url.includes('/tokens/') &&
        !route.url.includes('/sandboxes/')
      ) {
        expect(
          [400, 404],
          `${name} with prod's id from sandbox other: ${otherAtOwn.statusCode}`,
        ).toContain(otherAtOwn.statusCode);
      }
      // (A mark the caller itself put in the URL may be echoed back; anything else is a leak.)
      for (const mark of secretMarks.filter((m) => !decodeURIComponent(url).includes(m))) {
        expect(otherAtOwn.body, `${name} leaked ${mark}`).not.toContain(mark);
      }
    }
    await t.app.close();
  });
});
