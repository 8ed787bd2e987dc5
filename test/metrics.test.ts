import { expect, it } from 'vitest';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import { eventually, startSendingStack } from './helpers/sending.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const scrape = { authorization: `Bearer ${METRICS_TOKEN}` };

describeEachDialect('metrics', ({ db }) => {
  it('exposes queue depth, provider outcomes and latency, webhook counts and event-loop lag', async () => {
    const s = await startSendingStack(db(), { env: { TERN_METRICS_TOKEN: METRICS_TOKEN } });
    try {
      const { id } = await s.send({ to: '+14155550100', text: 'hi' });
      const before = (await s.t.app.inject({ url: '/metrics', headers: scrape })).body;
      expect(before).toMatch(/tern_messages\{status="queued"\} 1/);
      await s.pump();
      await s.sim.flushReports();
      await eventually(async () => expect((await s.message(id)).message.status).toBe('delivered'));
      const res = await s.t.app.inject({ url: '/metrics', headers: scrape });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/plain');
      const text = res.body;
      expect(text).toContain('tern_provider_requests_total{outcome="ok"} 1');
      expect(text).toMatch(/tern_provider_request_seconds_count 1/);
      expect(text).toMatch(/tern_messages\{status="delivered"\} 1/);
      expect(text).toMatch(/tern_webhook_requests_total\{kind="reports",status="200"\} 1/);
      expect(text).toContain('tern_nodejs_eventloop_lag_seconds');
      expect(text).toContain('tern_consent_changes');
      expect(text).toContain('tern_delivery_reports_pruned_total 0');
      // No label names a tenant: a scrape shows totals, not which credentials exist.
      expect(text).not.toContain(s.credentialId);
      expect(text).not.toMatch(/credential="/);
    } finally {
      await s.close();
    }
  });

  it('are off (404) without TERN_METRICS_TOKEN, and need exactly that token when it is set', async () => {
    const off = await buildTestApp(db());
    const res = await off.app.inject({ url: '/metrics', headers: off.auth });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'not_found' } });
    expect(res.body).toContain('TERN_METRICS_TOKEN');
    await off.app.close();

    const on = await buildTestApp(db(), { TERN_METRICS_TOKEN: METRICS_TOKEN });
    for (const headers of [
      {},
      on.auth, // an admin token is not the metrics token
      { authorization: `Bearer ${METRICS_TOKEN}x` },
      { authorization: METRICS_TOKEN },
    ]) {
      const refused = await on.app.inject({ url: '/metrics', headers });
      expect(refused.statusCode, JSON.stringify(headers)).toBe(401);
      expect(refused.json()).toMatchObject({ error: { code: 'unauthorized' } });
    }
    for (const authorization of [`Bearer ${METRICS_TOKEN}`, `bearer   ${METRICS_TOKEN}`]) {
      const ok = await on.app.inject({ url: '/metrics', headers: { authorization } });
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['cache-control']).toBe('no-store');
    }
    await on.app.close();
  });
});
