import { expect, it } from 'vitest';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';

/** Creates one of each versioned resource; returns the URL of each If-Match route. */
async function versionedResources(t: TestApp) {
  const post = async (url: string, payload: object) => {
    const res = await t.app.inject({ method: 'POST', url, headers: t.auth, payload });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string }>().id;
  };
  const credentialId = await post('/api/v1/credentials', {
    name: 'etag-credential',
    baseUrl: 'https://ggx5k8.api.infobip.com',
    apiKey: 'key-0123456789abcdef',
  });
  const channelId = await post('/api/v1/channel-configurations', {
    name: 'etag-channel',
    credentialId,
    sender: 'ACME',
  });
  const webhookId = await post('/api/v1/event-webhooks', { url: 'https://hooks.example.com/t' });
  return [
    {
      url: `/api/v1/credentials/${credentialId}`,
      change: (n: number) => ({ validityPeriodHours: 10 + n }),
    },
    {
      url: `/api/v1/channel-configurations/${channelId}`,
      change: (n: number) => ({ description: `x${n}` }),
    },
    {
      url: `/api/v1/event-webhooks/${webhookId}`,
      change: (n: number) => ({ description: `x${n}` }),
    },
  ];
}

/**
 * RFC 9110 §13.1.1: an If-Match that names no current entity-tag (stale, another server's,
 * weak of another value, not a list of tags at all) is 412, never 400; the current tag, one
 * in a list, or `*` passes.
 */
describeEachDialect('If-Match on every versioned route', ({ db }) => {
  it('answers 412 for any tag that does not match, and applies a matching one', async () => {
    const t = await buildTestApp(db());
    for (const route of await versionedResources(t)) {
      let n = 0;
      const patch = (ifMatch: string) =>
        t.app.inject({
          method: 'PATCH',
          url: route.url,
          headers: { ...t.auth, 'if-match': ifMatch },
          payload: route.change(++n),
        });
      for (const foreign of [
        '"0"',
        '"2"',
        '"abc"',
        '"33a7-5f3e1b2c"',
        'W/"abc"',
        '"1x"',
        'not-a-tag',
        '"unterminated',
        '"2", "3"',
        '"1234567890123"',
      ]) {
        const res = await patch(foreign);
        expect(res.statusCode, `${route.url} If-Match ${foreign}: ${res.body}`).toBe(412);
        expect(res.json()).toMatchObject({
          error: {
            code: 'precondition_failed',
            details: [{ path: '/headers/if-match', message: 'current version is 1' }],
          },
        });
      }
      const tooLong = await patch(`"${'1'.repeat(2000)}"`);
      expect(tooLong.statusCode).toBe(400);
      expect(tooLong.json()).toMatchObject({ error: { details: [{ path: '/headers/if-match' }] } });

      const inList = await patch('"abc", "1"');
      expect(inList.statusCode, inList.body).toBe(200);
      expect(inList.headers.etag).toBe('"2"');
      expect((await patch('*')).statusCode).toBe(200);
      expect((await patch(' "3" ')).statusCode).toBe(200);
    }
    await t.app.close();
  });
});
