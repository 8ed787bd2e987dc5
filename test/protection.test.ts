import { request } from 'undici';
import { expect, it } from 'vitest';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';

/** A credential's delivery-report webhook path (with its secret), made through the API. */
async function reportsWebhook(t: TestApp, name = 'reports'): Promise<{ id: string; path: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/credentials',
    headers: t.auth,
    payload: { name, baseUrl: 'https://ggx5k8.api.infobip.com', apiKey: 'key-0123456789abcdef' },
  });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json<{ id: string; webhooks: { deliveryReports: { url: string } } }>();
  return { id: body.id, path: new URL(body.webhooks.deliveryReports.url).pathname };
}

/** The app listening on an ephemeral loopback port: real sockets, not inject(). */
async function listening(t: TestApp): Promise<string> {
  return t.app.listen({ port: 0, host: '127.0.0.1' });
}

describeEachDialect('rate limits and load shedding', ({ db }) => {
  it('limits each token and each credential, answering 429 with Retry-After', async () => {
    const t = await buildTestApp(db(), {
      TERN_RATE_LIMIT_API_PER_MINUTE: '5',
      TERN_RATE_LIMIT_WEBHOOK_PER_MINUTE: '2',
    });
    // Two of the token's five requests this minute.
    const a = await reportsWebhook(t, 'a');
    const b = await reportsWebhook(t, 'b');
    for (let i = 0; i < 3; i++)
      expect((await t.app.inject({ url: '/api/v1/me', headers: t.auth })).statusCode).toBe(200);
    const limited = await t.app.inject({ url: '/api/v1/me', headers: t.auth });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
    // Another caller has its own budget.
    expect(
      (await t.app.inject({ url: '/api/v1/me', headers: { authorization: 'Bearer other' } }))
        .statusCode,
    ).toBe(401);

    const webhook = (path: string) =>
      t.app.inject({ method: 'POST', url: path, payload: { results: [] } });
    expect((await webhook(a.path)).statusCode).toBe(200);
    expect((await webhook(a.path)).statusCode).toBe(200);
    expect((await webhook(a.path)).statusCode).toBe(429);
    expect((await webhook(b.path)).statusCode).toBe(200);
    // Health probes are never limited.
    for (let i = 0; i < 5; i++) expect((await t.app.inject('/healthz')).statusCode).toBe(200);
    await t.app.close();
  });

  it('counts only authenticated reports per credential: a stranger cannot spend its budget (real socket)', async () => {
    const t = await buildTestApp(db(), { TERN_RATE_LIMIT_WEBHOOK_PER_MINUTE: '3' });
    const cred = await reportsWebhook(t);
    const base = await listening(t);
    const post = async (path: string) => {
      const res = await request(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ results: [] }),
      });
      await res.body.text();
      return res.statusCode;
    };
    // Before the fix, these 20 counted against the credential and its genuine reports got 429.
    const wrong = cred.path.replace(/[^/]+$/, 'not-the-secret');
    for (let i = 0; i < 20; i++) expect(await post(wrong)).toBe(401);
    expect(await post(cred.path)).toBe(200);
    expect(await post(cred.path)).toBe(200);
    expect(await post(cred.path)).toBe(200);
    expect(await post(cred.path)).toBe(429);
    await t.app.close();
  });

  it('limits failed authentications per address on webhooks and /api, before any lookup', async () => {
    const t = await buildTestApp(db(), { TERN_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3' });
    const cred = await reportsWebhook(t);
    const wrong = cred.path.replace(/[^/]+$/, 'guess');
    const webhook = (path: string) =>
      t.app.inject({ method: 'POST', url: path, payload: { results: [] } });
    for (let i = 0; i < 3; i++) expect((await webhook(wrong)).statusCode).toBe(401);
    const blocked = await webhook(wrong);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json()).toMatchObject({ error: { code: 'rate_limited' } });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // The address is held back as a whole until the minute ends, even with the right secret.
    expect((await webhook(cred.path)).statusCode).toBe(429);
    // The API scope keeps its own count: three bad tokens, then 429 for a fourth.
    for (let i = 0; i < 3; i++) {
      const res = await t.app.inject({
        url: '/api/v1/me',
        headers: { authorization: `Bearer g${i}` },
      });
      expect(res.statusCode).toBe(401);
    }
    const api = await t.app.inject({ url: '/api/v1/me', headers: { authorization: 'Bearer g9' } });
    expect(api.statusCode).toBe(429);
    // Another address is not held back (inject() can choose one).
    const other = await t.app.inject({
      url: '/api/v1/me',
      headers: t.auth,
      remoteAddress: '10.0.0.9',
    });
    expect(other.statusCode).toBe(200);
    await t.app.close();
  });

  it('keeps one bucket per token however the Authorization header is written (real socket)', async () => {
    const t = await buildTestApp(db(), { TERN_RATE_LIMIT_API_PER_MINUTE: '4' });
    const base = await listening(t);
    const me = async (authorization: string) => {
      const res = await request(`${base}/api/v1/me`, { headers: { authorization } });
      await res.body.text();
      return res.statusCode;
    };
    // Each form authenticates (auth.ts parses them the same way)...
    const forms = [
      `Bearer ${t.token}`,
      `bearer ${t.token}`,
      `BEARER ${t.token}`,
      `Bearer    ${t.token}`,
    ];
    for (const form of forms) expect(await me(form), form).toBe(200);
    // ...and all four spent the one budget: before the fix each spelling had its own 4.
    for (const form of [...forms, `bEaReR \t${t.token}  `]) expect(await me(form), form).toBe(429);
    await t.app.close();
  });

  it('sheds load with 503 + Retry-After while the event loop lags, then recovers', async () => {
    const t = await buildTestApp(db(), { TERN_MAX_EVENT_LOOP_DELAY_MS: '30' });
    await t.app.ready();
    const busyUntil = Date.now() + 400;
    while (Date.now() < busyUntil) {
      // Block the event loop, as a CPU-bound burst would.
    }
    // The lag is sampled every 50 ms: ask right after the burst, while the sample says so.
    await new Promise((r) => setTimeout(r, 5));
    const shed = await t.app.inject({ url: '/api/v1/me', headers: t.auth });
    expect(shed.statusCode).toBe(503);
    expect(shed.headers['retry-after']).toBe('5');
    expect(shed.json()).toMatchObject({ error: { code: 'unavailable' } });
    expect((await t.app.inject('/healthz')).statusCode).toBe(200);
    // Once the loop is idle again, requests are served.
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 60));
      if ((await t.app.inject({ url: '/api/v1/me', headers: t.auth })).statusCode === 200) break;
    }
    expect((await t.app.inject({ url: '/api/v1/me', headers: t.auth })).statusCode).toBe(200);
    await t.app.close();
  });
});

describeEachDialect('NUL characters', ({ db }) => {
  it('are refused with 400 in parameters, query and body, before any query runs', async () => {
    const t = await buildTestApp(db());
    const cases = [
      {
        method: 'POST' as const,
        url: '/webhooks/infobip/a%00b/reports/x',
        payload: { results: [] },
      },
      { method: 'GET' as const, url: '/api/v1/credentials?name=%00' },
      { method: 'GET' as const, url: '/api/v1/credentials/%00' },
      {
        method: 'POST' as const,
        url: '/api/v1/credentials',
        payload: { name: 'a\u0000b', baseUrl: 'https://x.api.infobip.com', apiKey: 'k' },
      },
    ];
    for (const c of cases) {
      const res = await t.app.inject({ ...c, headers: t.auth });
      expect(res.statusCode, c.url).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'validation_failed' } });
    }
    await t.app.close();
  });
});
