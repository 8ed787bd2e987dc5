import { expect, it } from 'vitest';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';

describeEachDialect('rate limits and load shedding', ({ db }) => {
  it('limits each token and each webhook source, answering 429 with Retry-After', async () => {
    const t = await buildTestApp(db(), {
      TERN_RATE_LIMIT_API_PER_MINUTE: '3',
      TERN_RATE_LIMIT_WEBHOOK_PER_MINUTE: '2',
    });
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

    const webhook = (credentialId: string) =>
      t.app.inject({
        method: 'POST',
        url: `/webhooks/infobip/${credentialId}/reports/nope`,
        payload: { results: [] },
      });
    expect((await webhook('a')).statusCode).toBe(401);
    expect((await webhook('a')).statusCode).toBe(401);
    expect((await webhook('a')).statusCode).toBe(429);
    expect((await webhook('b')).statusCode).toBe(401);
    // Health probes are never limited.
    for (let i = 0; i < 5; i++) expect((await t.app.inject('/healthz')).statusCode).toBe(200);
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
