import type { InjectOptions } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../simulator/src/index.js';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';

let simulator: Simulator;
let simulatorUrl: string;
beforeAll(async () => {
  simulator = await createSimulator({ apiKeys: ['the-only-valid-simulator-key'] });
  simulatorUrl = await simulator.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => simulator.close());

/** API keys as Infobip issues them: hex and dashes, long enough to be worth stealing. */
const apiKeyArb = fc.stringMatching(/^[0-9a-f]{16,40}-[0-9a-f]{4,12}$/);

describeEachDialect('stored API keys never leave Tern', ({ db }) => {
  it('appear in no API answer and no log line, whatever is done with the credential', async () => {
    const t = await buildTestApp(db(), {
      TERN_ALLOW_LOOPBACK_PROVIDER: 'true',
      LOG_LEVEL: 'trace',
    });
    const answers: string[] = [];
    const call = async (options: InjectOptions) => {
      const res = await t.app.inject(options);
      answers.push(JSON.stringify(res.headers), res.body);
      return res;
    };
    let n = 0;
    await fc.assert(
      fc.asyncProperty(apiKeyArb, apiKeyArb, async (apiKey, newKey) => {
        answers.length = 0;
        t.logs.lines.length = 0;
        n += 1;
        const created = await call({
          method: 'POST',
          url: '/api/v1/credentials',
          headers: t.auth,
          payload: { name: `c${n}`, baseUrl: simulatorUrl, apiKey },
        });
        const id = created.json<{ id: string }>().id;
        await call({ url: `/api/v1/credentials/${id}`, headers: t.auth });
        await call({ url: '/api/v1/credentials', headers: t.auth });
        await call({ method: 'POST', url: `/api/v1/credentials/${id}/verify`, headers: t.auth });
        // Invalid input that carries a key: the error must not echo it.
        await call({
          method: 'POST',
          url: '/api/v1/credentials',
          headers: t.auth,
          payload: { name: '', baseUrl: 'https://evil.example', apiKey: `${newKey} with spaces` },
        });
        await call({
          method: 'PATCH',
          url: `/api/v1/credentials/${id}`,
          headers: { ...t.auth, 'if-match': '"99"' },
          payload: { apiKey: newKey },
        });
        await call({
          method: 'PATCH',
          url: `/api/v1/credentials/${id}`,
          headers: t.auth,
          payload: { apiKey: newKey },
        });
        await call({ method: 'POST', url: `/api/v1/credentials/${id}/verify`, headers: t.auth });
        await call({ url: `/api/v1/audit?resourceId=${id}`, headers: t.auth });
        await call({ url: '/openapi.json' });

        const everything = [...answers, ...t.logs.lines].join('\n');
        expect(t.logs.lines.length).toBeGreaterThan(0);
        for (const secret of [apiKey, newKey]) expect(everything).not.toContain(secret);
      }),
      { numRuns: 15 },
    );
    await t.app.close();
  });
});
