import { expect, it } from 'vitest';
import { redactUrl } from '../src/logger.js';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';

it('redactUrl keeps the path and the query names, never a query value or a webhook secret', () => {
  expect(redactUrl('/api/v1/profiles?phone=%2B447911123456&limit=5')).toBe(
    '/api/v1/profiles?phone=[redacted]&limit=[redacted]',
  );
  expect(redactUrl('/webhooks/infobip/c1/reports/s3cret?token=x')).toBe(
    '/webhooks/infobip/c1/reports/[redacted]?token=[redacted]',
  );
  expect(redactUrl('/webhooks/infobip/c1/inbound/s3cret/')).toBe(
    '/webhooks/infobip/c1/inbound/[redacted]/',
  );
  expect(redactUrl('/healthz')).toBe('/healthz');
  expect(redactUrl('/x?flag&&=v')).toBe('/x?flag=[redacted]&=[redacted]');
  // Caller input: at most 20 names of at most 64 characters, however long the query.
  const long = redactUrl(
    `/x?${Array.from({ length: 5000 }, (_, i) => `${'n'.repeat(100)}${i}=v`).join('&')}`,
  );
  expect(long.length).toBeLessThan(20 * 80);
  expect(long.endsWith('&…')).toBe(true);
  const started = performance.now();
  redactUrl(`/webhooks/${'/'.repeat(16_000)}`);
  redactUrl(`/webhooks/${'a/'.repeat(8_000)}?${'&'.repeat(16_000)}`);
  expect(performance.now() - started).toBeLessThan(50);
});

describeEachDialect('request logs', ({ db }) => {
  it('never carry a query value: a token or phone number in the query stays out of the log', async () => {
    const t = await buildTestApp(db(), { LOG_LEVEL: 'trace' });
    await t.app.inject({
      url: `/api/v1/profiles?phone=%2B447911123456&token=${t.token}&limit=5`,
      headers: t.auth,
    });
    await t.app.inject({ url: '/healthz?access_token=query-secret-value' });
    const urls = t.logs.lines
      .map((line) => JSON.parse(line) as { req?: { url: string } })
      .flatMap((line) => (line.req ? [line.req.url] : []));
    expect(urls).toContain('/api/v1/profiles?phone=[redacted]&token=[redacted]&limit=[redacted]');
    expect(urls).toContain('/healthz?access_token=[redacted]');
    expect(t.logs.text).not.toContain(t.token);
    expect(t.logs.text).not.toContain('447911123456');
    expect(t.logs.text).not.toContain('query-secret-value');
    await t.app.close();
  });
});
