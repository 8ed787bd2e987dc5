import { expect, it } from 'vitest';
import { describeEachDialect } from './helpers/databases.js';
import { eventually, startSendingStack } from './helpers/sending.js';

describeEachDialect('metrics', ({ db }) => {
  it('exposes queue depth, provider outcomes and latency, webhook counts and event-loop lag', async () => {
    const s = await startSendingStack(db());
    try {
      const { id } = await s.send({ to: '+14155550100', text: 'hi' });
      const before = (await s.t.app.inject('/metrics')).body;
      expect(before).toMatch(/tern_messages\{status="queued"\} 1/);
      await s.pump();
      await s.sim.flushReports();
      await eventually(async () => expect((await s.message(id)).message.status).toBe('delivered'));
      const res = await s.t.app.inject('/metrics');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/plain');
      const text = res.body;
      expect(text).toContain(
        `tern_provider_requests_total{credential="${s.credentialId}",outcome="ok"} 1`,
      );
      expect(text).toMatch(
        new RegExp(`tern_provider_request_seconds_count\\{credential="${s.credentialId}"\\} 1`),
      );
      expect(text).toMatch(/tern_messages\{status="delivered"\} 1/);
      expect(text).toMatch(/tern_webhook_requests_total\{kind="reports",status="200"\} 1/);
      expect(text).toContain('tern_nodejs_eventloop_lag_seconds');
      expect(text).toContain('tern_consent_changes');
    } finally {
      await s.close();
    }
  });
});
