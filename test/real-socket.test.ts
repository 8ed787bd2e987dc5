import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from './helpers/app.js';
import { createTestDatabase, DIALECTS, migrateTestDatabase } from './helpers/databases.js';
import {
  call,
  cutOff,
  json,
  liveness,
  probeProblem,
  HEALTH_BUDGET_MS,
  rawExchange,
  serveOn,
  startProber,
  stopWithin,
  trickle,
  type Answer,
  type Served,
} from './helpers/real-http.js';
import {
  HIDDEN_ROUTES,
  inboundBody,
  makeFixtures,
  ROUTE_CASES,
  sendHappy,
  type Fixtures,
} from './helpers/route-cases.js';
import { fuzzRoutes } from './helpers/socket-fuzz.js';

/**
 * `tern serve` as a child process, driven over real HTTP (undici and raw sockets) on each
 * database: every route's happy path and fuzzed requests, each content-type parser, chunked,
 * slow, cut-off and oversized bodies, huge headers. `inject()` never builds a request stream,
 * so it cannot see what only a socket does (the consent import hung the process that way).
 * After each step the process must be alive and /healthz answer within 100 ms; at the end it
 * must exit on SIGTERM within 5 s.
 */

/** Fuzzed requests per route in CI; bench/fuzz-real-sockets.ts runs many more. */
const FUZZ_PER_ROUTE = Number(process.env.TERN_SOCKET_FUZZ_PER_ROUTE ?? 6);
const FUZZ_SEED = Number(process.env.TERN_FUZZ_SEED ?? 20261201);

async function expectAlive(served: Served, after: string): Promise<void> {
  const live = await liveness(served);
  expect(live.alive, `the process died after ${after}:\n${served.tern.output().slice(-2000)}`).toBe(
    true,
  );
  expect(live.ms, `/healthz took ${live.ms.toFixed(1)} ms after ${after}`).toBeLessThan(
    HEALTH_BUDGET_MS,
  );
}

function expectError(answer: Answer, status: number | number[], label: string): void {
  expect([status].flat(), `${label} → ${answer.status} ${answer.text.slice(0, 300)}`).toContain(
    answer.status,
  );
  expect(json(answer), `${label}: the error shape`).toHaveProperty('error.code');
}

/** `METHOD /path/:param` of an OpenAPI path (`/path/{param}`). */
const fromOpenApi = (method: string, path: string) =>
  `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`;

describe('every route has a real-socket case', () => {
  it('each route the app registers (but HEAD, which its GET covers) has a case', async () => {
    const testDb = await createTestDatabase('sqlite');
    const db = testDb.open();
    try {
      await migrateTestDatabase(db);
      const t = await buildTestApp(db, { LOG_LEVEL: 'silent' });
      await t.app.ready();
      const registered = t.app.registeredRoutes
        .filter((r) => r.method !== 'HEAD')
        .map((r) => `${r.method} ${r.url}`);
      await t.app.close();
      const cased = new Set(ROUTE_CASES.map((c) => c.route));
      expect(registered.filter((r) => !cased.has(r))).toEqual([]);
      // HEAD routes exist only beside a GET of the same URL (Fastify's exposeHeadRoutes).
      expect(registered.length).toBeGreaterThan(40);
    } finally {
      await db.close();
      await testDb.dispose();
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`real sockets [${dialect}]`, () => {
    let served: Served;
    let f: Fixtures;
    beforeAll(async () => {
      served = await serveOn(dialect);
      f = await makeFixtures(served);
    }, 60_000);
    afterAll(async () => {
      await served?.dispose();
    });

    it('the OpenAPI document it serves lists only routes with a case; the rest are hidden', async () => {
      const answer = await call(served.base, { method: 'GET', path: '/openapi.json' });
      expect(answer.status).toBe(200);
      const doc = json<{ paths: Record<string, Record<string, unknown>> }>(answer)!;
      const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops)
          .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
          .map((m) => fromOpenApi(m, path)),
      );
      const cased = new Set(ROUTE_CASES.map((c) => c.route));
      expect(documented.filter((r) => !cased.has(r))).toEqual([]);
      const hidden = new Set(HIDDEN_ROUTES);
      expect(
        ROUTE_CASES.map((c) => c.route).filter((r) => !documented.includes(r) && !hidden.has(r)),
      ).toEqual([]);
    });

    it(
      'the happy path of every route (and HEAD of every GET), the process alive after each',
      { timeout: 60_000 },
      async () => {
        const registered = await listRegistered();
        for (const c of ROUTE_CASES) {
          // `/*` exists only when the console is built (web/dist).
          if (!registered.has(c.route)) continue;
          const happy = await c.happy(f);
          const answer = await sendHappy(f, happy);
          expect(
            happy.expect,
            `${happy.method} ${happy.path} → ${answer.status} ${answer.text.slice(0, 300)}`,
          ).toContain(answer.status);
          if (happy.method === 'GET' && !happy.stream) {
            const head = await sendHappy(f, { ...happy, method: 'HEAD' });
            expect(head.status, `HEAD ${happy.path}`).toBe(answer.status);
            expect(head.text).toBe('');
          }
          await expectAlive(served, `${happy.method} ${happy.path}`);
        }
      },
    );

    it(
      'fuzzed requests to every route never answer 5xx or stall the process',
      { timeout: 90_000 },
      async () => {
        const registered = await listRegistered();
        const cases = ROUTE_CASES.filter((c) => registered.has(c.route));
        const run = await fuzzRoutes(f, cases, FUZZ_PER_ROUTE, FUZZ_SEED);
        expect(run.problems.map((p) => `${p.label}\n  → ${p.problem}`)).toEqual([]);
        expect(run.sent).toBe(cases.length * FUZZ_PER_ROUTE);
      },
    );

    it('each content-type parser: JSON, CSV, text/plain; form and multipart are refused', async () => {
      const post = (path: string, type: string, body: string, auth = true) =>
        call(served.base, {
          method: 'POST',
          path,
          headers: { ...(auth ? served.auth : {}), 'content-type': type },
          body,
        });
      const channel = { channelConfigurationId: f.channelId, to: '+14155550179', text: 'parsers' };
      // JSON, with and without charset.
      expect(
        (await post('/api/v1/messages', 'application/json', JSON.stringify(channel))).status,
      ).toBe(202);
      expect(
        (await post('/api/v1/messages', 'application/json; charset=utf-8', JSON.stringify(channel)))
          .status,
      ).toBe(202);
      expectError(await post('/api/v1/messages', 'application/json', '{"to":'), 400, 'broken JSON');
      expectError(await post('/api/v1/messages', 'application/json', ''), 400, 'empty JSON');
      // Fastify's text/plain parser gives a string, which no JSON route's schema accepts.
      expectError(
        await post('/api/v1/messages', 'text/plain', JSON.stringify(channel)),
        [400, 415],
        'text/plain to JSON',
      );
      expectError(
        await post('/api/v1/messages', 'application/x-www-form-urlencoded', 'to=1&text=x'),
        415,
        'form',
      );
      expectError(
        await post('/api/v1/messages', 'multipart/form-data; boundary=b', '--b--'),
        415,
        'multipart',
      );
      // The consent import: text/csv and text/plain stream; JSON is refused.
      for (const type of ['text/csv', 'text/csv; charset=utf-8', 'text/plain']) {
        const answer = await post(
          '/api/v1/profiles/consent.csv',
          type,
          'phone,consent\n+14155550180,subscribed\n',
        );
        expect(answer.status, `${type}: ${answer.text.slice(0, 300)}`).toBe(200);
        expect(json(answer)).toMatchObject({ rows: 1, rejected: 0 });
        await expectAlive(served, `the consent import as ${type}`);
      }
      expectError(
        await post('/api/v1/profiles/consent.csv', 'application/json', '{"phone":"+14155550180"}'),
        [400, 415],
        'JSON to the CSV import',
      );
      expectError(
        await post('/api/v1/profiles/consent.csv', 'text/csv', 'phone,consent\n', false),
        401,
        'CSV without a token',
      );
      // The webhooks take JSON only.
      expectError(
        await post(f.inboundPath, 'text/plain', JSON.stringify(inboundBody('HELP')), false),
        [400, 415],
        'text/plain inbound',
      );
      await expectAlive(served, 'the parsers');
    });

    it('chunked bodies (no content-length) for JSON, CSV and the webhooks', async () => {
      const chunked = (path: string, type: string, body: string, auth = true) =>
        call(served.base, {
          method: 'POST',
          path,
          headers: { ...(auth ? served.auth : {}), 'content-type': type },
          body: trickle(body, 5, 0),
        });
      const message = await chunked(
        '/api/v1/messages',
        'application/json',
        JSON.stringify({
          channelConfigurationId: f.channelId,
          to: '+14155550181',
          text: 'chunked',
        }),
      );
      expect(message.status, message.text).toBe(202);
      const csv = await chunked(
        '/api/v1/profiles/consent.csv',
        'text/csv',
        'phone,consent\n+14155550182,subscribed\n+14155550183,unsubscribed\n',
      );
      expect(csv.status, csv.text).toBe(200);
      expect(json(csv)).toMatchObject({ rows: 2 });
      const inbound = await chunked(
        f.inboundPath,
        'application/json',
        JSON.stringify(inboundBody('INFO')),
        false,
      );
      expect(inbound.status, inbound.text).toBe(200);
      // Chunked with a broken chunk-size line: Node's parser refuses it (400), Tern lives on.
      const status = await rawExchange(
        served.port,
        `POST /api/v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: ${served.auth.authorization}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      );
      expect(status).toMatch(/^HTTP\/1\.1 400/);
      await expectAlive(served, 'chunked bodies');
    });

    it(
      'a slow body (trickled over 3 s) is read; the process answers others meanwhile',
      { timeout: 30_000 },
      async () => {
        const prober = await startProber(served.base);
        const body = JSON.stringify({
          channelConfigurationId: f.channelId,
          to: '+14155550184',
          text: 'slow',
        });
        const csv = 'phone,consent\n+14155550185,subscribed\n+14155550186,subscribed\n';
        const [json1, csv1] = await Promise.all([
          call(served.base, {
            method: 'POST',
            path: '/api/v1/messages',
            headers: { ...served.auth, 'content-type': 'application/json' },
            body: trickle(body, 30, 100),
          }),
          call(served.base, {
            method: 'POST',
            path: '/api/v1/profiles/consent.csv',
            headers: { ...served.auth, 'content-type': 'text/csv' },
            body: trickle(csv, 30, 100),
          }),
        ]);
        const probes = await prober.stop();
        expect(json1.status, json1.text).toBe(202);
        expect(csv1.status, csv1.text).toBe(200);
        expect(json1.ms).toBeGreaterThan(2500);
        expect(probes.probes).toBeGreaterThan(20);
        expect(probeProblem(probes)).toBeUndefined();
      },
    );

    it('a body cut off mid-way leaves nothing behind and the process alive', async () => {
      const head = (path: string, type: string, length: number, auth = true) =>
        `POST ${path} HTTP/1.1\r\nHost: x\r\n${auth ? `Authorization: ${served.auth.authorization}\r\n` : ''}Content-Type: ${type}\r\nContent-Length: ${length}\r\n\r\n`;
      const body = JSON.stringify({
        channelConfigurationId: f.channelId,
        to: '+14155550187',
        text: 'cut',
      });
      await cutOff(
        served.port,
        head('/api/v1/messages', 'application/json', body.length),
        body.slice(0, 20),
      );
      await cutOff(
        served.port,
        head('/api/v1/profiles/consent.csv', 'text/csv', 10_000),
        'phone,consent\n+14155550188,subscri',
      );
      await cutOff(
        served.port,
        head(f.inboundPath, 'application/json', 5000, false),
        '{"results":[{"messageId"',
      );
      await cutOff(
        served.port,
        `POST /api/v1/profiles/consent.csv HTTP/1.1\r\nHost: x\r\nAuthorization: ${served.auth.authorization}\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n`,
        '20\r\nphone,consent\n+14155550189,',
      );
      await new Promise((r) => setTimeout(r, 200));
      await expectAlive(served, 'bodies cut off');
      // The half-sent message was never queued, the half-sent CSV row never imported.
      const messages = json<{ items: { to: string }[] }>(
        await call(served.base, {
          method: 'GET',
          path: '/api/v1/messages?to=%2B14155550187',
          headers: served.auth,
        }),
      );
      expect(messages?.items).toEqual([]);
      const profile = await call(served.base, {
        method: 'GET',
        path: `/api/v1/profiles/${encodeURIComponent('+14155550189')}`,
        headers: served.auth,
      });
      expect(json<{ profile: unknown }>(profile)?.profile ?? null).toBeNull();
    });

    it(
      'a body over the limit is refused with 413 (JSON, webhook, CSV), the process alive',
      { timeout: 30_000 },
      async () => {
        const big = Buffer.alloc(2 * 1024 * 1024 + 1, 'a');
        const overJson = await call(served.base, {
          method: 'POST',
          path: '/api/v1/messages',
          headers: { ...served.auth, 'content-type': 'application/json' },
          body: big,
        });
        expectError(overJson, 413, 'JSON over the body limit');
        const overHook = await call(served.base, {
          method: 'POST',
          path: f.inboundPath,
          headers: { 'content-type': 'application/json' },
          body: big,
        });
        expect([413, 401]).toContain(overHook.status);
        // The CSV import streams up to 50 MB; one byte more is refused (413) or a line too long (400).
        const overCsv = await call(served.base, {
          method: 'POST',
          path: '/api/v1/profiles/consent.csv',
          headers: { ...served.auth, 'content-type': 'text/csv' },
          body: Buffer.concat([
            Buffer.from('phone,consent\n'),
            Buffer.alloc(50 * 1024 * 1024 + 1, 'x'),
          ]),
        });
        expectError(overCsv, [400, 413], 'CSV over its limit');
        await expectAlive(served, 'bodies over the limit');
      },
    );

    it('huge headers: 431 from the parser, or a 4xx naming the header; the process alive', async () => {
      const huge = await rawExchange(
        served.port,
        `GET /api/v1/me HTTP/1.1\r\nHost: x\r\nX-Padding: ${'p'.repeat(70_000)}\r\n\r\n`,
      );
      expect(huge).toMatch(/^HTTP\/1\.1 431/);
      const longUrl = await rawExchange(
        served.port,
        `GET /api/v1/profiles?phone=${'1'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      );
      expect(longUrl).toMatch(/^HTTP\/1\.1 (414|431)/);
      const ifMatch = await call(served.base, {
        method: 'PATCH',
        path: `/api/v1/channel-configurations/${f.channelId}`,
        headers: { ...served.auth, 'if-match': `"${'1,'.repeat(5000)}"` },
        body: { description: 'x' },
      });
      expectError(ifMatch, [400, 412], 'a 10 kB If-Match');
      await expectAlive(served, 'huge headers');
    });

    it(
      'exits on SIGTERM within 5 s, with an event stream still open',
      { timeout: 20_000 },
      async () => {
        const stream = fetch(`${served.base}/api/v1/events/stream`, { headers: served.auth }).catch(
          () => undefined,
        );
        await new Promise((r) => setTimeout(r, 300));
        const started = Date.now();
        const code = await stopWithin(served.tern, 5000);
        expect(
          code,
          `SIGTERM was not enough:\n${served.tern.output().slice(-2000)}`,
        ).not.toBeUndefined();
        expect(code).toBe(0);
        expect(Date.now() - started).toBeLessThan(5000);
        await stream;
      },
    );

    /** The routes this app registers, as the suite's first test lists them. */
    async function listRegistered(): Promise<Set<string>> {
      const testDb = await createTestDatabase('sqlite');
      const db = testDb.open();
      try {
        await migrateTestDatabase(db);
        const t = await buildTestApp(db, { LOG_LEVEL: 'silent' });
        await t.app.ready();
        const routes = new Set(t.app.registeredRoutes.map((r) => `${r.method} ${r.url}`));
        await t.app.close();
        return routes;
      } finally {
        await db.close();
        await testDb.dispose();
      }
    }
  });
}
