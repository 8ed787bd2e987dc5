import { expect, it } from 'vitest';
import { MAX_DETAILS } from '../src/http/validation-details.js';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';

interface Details {
  error: { code: string; details: { path: string; message: string }[] };
}

describeEachDialect('schema errors name every bad field and the allowed values', ({ db }) => {
  it('reports three bad fields at once, fixed-choice ones with their choices', async () => {
    const t = await buildTestApp(db());
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/channel-configurations',
      headers: t.auth,
      payload: { channel: 'fax', messageType: 'spam', description: 'd'.repeat(2001) },
    });
    expect(res.statusCode).toBe(400);
    const { error } = res.json<Details>();
    expect(error.code).toBe('validation_failed');
    expect(error.details).toEqual(
      expect.arrayContaining([
        { path: '/channel', message: 'must be one of: sms, mms' },
        { path: '/messageType', message: 'must be one of: marketing, transactional' },
        { path: '/description', message: 'must NOT have more than 2000 characters' },
      ]),
    );
    expect(error.details).toHaveLength(3);
    expect(res.body).not.toMatch(/anyOf|equal to constant/);
    await t.app.close();
  });

  it('names each bad item of a batch, and a non-string where a choice is due', async () => {
    const t = await buildTestApp(db());
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/messages/batch',
      headers: t.auth,
      payload: {
        messages: [
          { channelConfigurationId: 'c', to: '+14155550100', messageType: 'spam' },
          { channelConfigurationId: 'c', to: '+14155550100', messageType: 7 },
          { channelConfigurationId: 'c', to: '+14155550100', messageType: 'marketing' },
        ],
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json<Details>().error.details).toEqual([
      { path: '/messages/0/messageType', message: 'must be one of: marketing, transactional' },
      { path: '/messages/1/messageType', message: 'must be one of: marketing, transactional' },
    ]);
    await t.app.close();
  });

  it('says "string or null" for a nullable field of the wrong type, and lists an enum', async () => {
    const t = await buildTestApp(db());
    const channel = await t.app.inject({
      method: 'POST',
      url: '/api/v1/channel-configurations',
      headers: t.auth,
      payload: { name: 'n', credentialId: 'c', sender: 'ACME', marketingFooter: 5, extra: 1 },
    });
    expect(channel.json<Details>().error.details).toEqual(
      expect.arrayContaining([
        { path: '/marketingFooter', message: 'must be string or null' },
        { path: '/extra', message: 'is not a known property' },
      ]),
    );
    const sandbox = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/sandboxes/prod',
      headers: t.auth,
      payload: { consentPolicy: 'everyone' },
    });
    expect(sandbox.json<Details>().error.details).toEqual([
      { path: '/consentPolicy', message: 'must be one of: not-unsubscribed, subscribed-only' },
    ]);
    await t.app.close();
  });

  it('answers a batch of 1,000 bad messages quickly (no pairwise scan of the errors)', async () => {
    const t = await buildTestApp(db());
    const bad = { channelConfigurationId: 5, to: 6, messageType: 'x', media: [{ url: 1 }] };
    await t.app.ready(); // the budget is the request's, not the app's start-up
    const started = performance.now();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/messages/batch',
      headers: t.auth,
      payload: { messages: Array.from({ length: 1000 }, () => bad) },
    });
    const ms = performance.now() - started;
    expect(res.statusCode).toBe(400);
    // The first MAX_DETAILS fields, then one entry saying there are more.
    const details = res.json<Details>().error.details;
    expect(details).toHaveLength(MAX_DETAILS + 1);
    expect(details.at(-1)?.message).toMatch(
      /^and more bad fields, not listed \(\d+ schema errors in all\)$/,
    );
    expect(ms).toBeLessThan(1000);
    await t.app.close();
  });
});
