import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, expect, it } from 'vitest';
import { Keyring, secretKey } from '../src/crypto/secret-box.js';
import type { Db } from '../src/db/database.js';
import { recordEvents } from '../src/events/events.js';
import { WebhookDispatcher, type WebhookDispatcherDeps } from '../src/events/webhook-dispatcher.js';
import { eventWebhookMetrics } from '../src/events/webhook-metrics.js';
import { REFUSED_ADDRESS_MESSAGE } from '../src/events/webhook-url.js';
import { TEST_KEYRING, buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import { SYSTEM_ACTOR } from '../src/auth/principal.js';

const cleanups: (() => Promise<void> | void)[] = [];

/**
 * A receiver on loopback that trickles its answer, one byte a second, for ever: `head` starts
 * at the status line (headers never complete), `body` after complete 200 or 500 headers.
 */
async function trickler(mode: 'head' | 'body-200' | 'body-500'): Promise<{
  url: string;
  requests: number;
}> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const state = { url: '', requests: 0 };
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => {
      state.requests++;
      if (mode === 'head') socket.write('HTTP/1.1 200 OK\r\n');
      else
        socket.write(
          `HTTP/1.1 ${mode === 'body-200' ? '200 OK' : '500 Internal Server Error'}\r\ncontent-length: 100000\r\n\r\n`,
        );
      const timer = setInterval(() => socket.write(mode === 'head' ? 'x' : 'a'), 1000);
      timers.add(timer);
      socket.on('close', () => clearInterval(timer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearInterval(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return state;
}

/** A prompt receiver that records the event ids it got. */
async function fastReceiver(): Promise<{ url: string; eventIds: string[]; posts: number[] }> {
  const state = { url: '', eventIds: [] as string[], posts: [] as number[] };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(raw) as { events: { id: string }[] };
      state.eventIds.push(...body.events.map((e) => e.id));
      state.posts.push(body.events.length);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fast`;
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return state;
}

async function appWithLoopback(db: Db): Promise<TestApp> {
  const t = await buildTestApp(db, { TERN_ALLOW_LOOPBACK_PROVIDER: 'true' });
  cleanups.push(() => t.app.close());
  return t;
}

function dispatcher(
  t: TestApp,
  db: Db,
  options: Record<string, unknown> = {},
  deps: Partial<WebhookDispatcherDeps> = {},
): WebhookDispatcher {
  const d = new WebhookDispatcher(
    { db, clock: t.clock, logger: t.app.log as never, keyring: TEST_KEYRING, ...deps },
    { allowLoopback: true, settleMs: 0, pollMs: 20, ...options },
  );
  cleanups.push(() => d.stop());
  return d;
}

async function register(t: TestApp, url: string, sandbox = 'prod'): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/event-webhooks',
    headers: { ...t.auth, 'x-sandbox-name': sandbox },
    payload: { url },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string }>().id;
}

async function emit(t: TestApp, db: Db, sandbox = 'prod'): Promise<string> {
  const [id] = await recordEvents(db.kysely, t.clock, [
    { sandbox, type: 'consent.changed', payload: { phone: '+15550001' } },
  ]);
  return id!;
}

interface LoggedDelivery {
  outcome: string;
  httpStatus: number | null;
  error: string | null;
  durationMs: number;
}

async function log(t: TestApp, id: string, sandbox = 'prod') {
  const res = await t.app.inject({
    url: `/api/v1/event-webhooks/${id}/deliveries`,
    headers: { ...t.auth, 'x-sandbox-name': sandbox },
  });
  expect(res.statusCode, res.body).toBe(200);
  return { items: res.json<{ items: LoggedDelivery[] }>().items, body: res.body };
}

async function until(check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describeEachDialect('event webhooks: slow and hostile receivers', ({ db }) => {
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('a 2xx whose body trickles a byte a second is a success at once: its body is never read', async () => {
    const t = await appWithLoopback(db());
    const slow = await trickler('body-200');
    const id = await register(t, slow.url);
    await emit(t, db());
    const started = performance.now();
    await dispatcher(t, db(), { timeoutMs: 3000 }).drain();
    const took = performance.now() - started;
    expect(slow.requests).toBe(1);
    expect((await log(t, id)).items).toMatchObject([{ outcome: 'succeeded', httpStatus: 200 }]);
    // Before: the first 500 bytes were read, 500 s at this pace.
    expect(took).toBeLessThan(1500);
  });

  it('headers or a refusal trickling a byte a second end at the total deadline', async () => {
    const t = await appWithLoopback(db());
    const head = await trickler('head');
    const refusal = await trickler('body-500');
    const headId = await register(t, head.url);
    await t.services.sandboxes.create('dev', SYSTEM_ACTOR);
    const refusalId = await register(t, refusal.url, 'dev');
    await emit(t, db());
    await emit(t, db(), 'dev');
    const started = performance.now();
    await dispatcher(t, db(), { timeoutMs: 2500 }).drain(1);
    const took = performance.now() - started;
    // Bytes kept coming each second, so no per-chunk timeout fired: the total deadline did.
    expect(took).toBeGreaterThanOrEqual(2400);
    expect(took).toBeLessThan(4500);
    const [headAttempt] = (await log(t, headId)).items;
    expect(headAttempt).toMatchObject({ outcome: 'failed', httpStatus: null });
    expect(headAttempt!.error).toBe('timeout: no complete answer within 2500 ms');
    const [refused] = (await log(t, refusalId, 'dev')).items;
    expect(refused).toMatchObject({ outcome: 'failed', httpStatus: 500 });
    expect(refused!.error).toMatch(/^HTTP 500: a{1,4}$/);
  });

  it('a receiver that never answers holds back only its own webhook', async () => {
    const t = await appWithLoopback(db());
    const slow = await trickler('head');
    const fast = await fastReceiver();
    await t.services.sandboxes.create('dev', SYSTEM_ACTOR);
    await register(t, slow.url, 'dev');
    await register(t, fast.url);
    await emit(t, db(), 'dev');
    const first = await emit(t, db());
    const d = dispatcher(t, db(), { timeoutMs: 4000 });
    d.start();
    await until(() => fast.eventIds.includes(first), 2000);
    // The slow delivery is still in flight; new events for the other webhook go at once.
    for (let i = 0; i < 3; i++) {
      const next = await emit(t, db());
      const sent = performance.now();
      await until(() => fast.eventIds.includes(next), 2000);
      expect(performance.now() - sent).toBeLessThan(1000);
    }
    expect(slow.requests).toBe(1);
  });
});

describeEachDialect('event webhooks: bounded deliveries', ({ db }) => {
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('a delivery carries at most 1 MiB of events; a larger event goes alone', async () => {
    const t = await appWithLoopback(db());
    const fast = await fastReceiver();
    await register(t, fast.url);
    const sizes = [400_000, 400_000, 400_000, 1_500_000, 10, 10];
    await recordEvents(
      db().kysely,
      t.clock,
      sizes.map((n) => ({
        sandbox: 'prod',
        type: 'consent.changed',
        payload: { x: 'z'.repeat(n) },
      })),
    );
    await dispatcher(t, db()).drain();
    expect(fast.posts).toEqual([2, 1, 1, 2]);
  });
});

describeEachDialect('event webhooks: failures shown as failures', ({ db }) => {
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('a secret that no longer decrypts is a failed delivery with a clear error and a metric, never a success', async () => {
    const t = await appWithLoopback(db());
    const fast = await fastReceiver();
    const id = await register(t, fast.url);
    await emit(t, db());
    await dispatcher(t, db()).drain();
    expect(fast.eventIds).toHaveLength(1);

    // A keyring that lost the key the secret is under (a rotation that skipped it).
    const other = new Keyring(secretKey(Buffer.alloc(32, 0x07)));
    const registry = new Registry();
    const d = dispatcher(
      t,
      db(),
      { maxAttempts: 2, retryBaseMs: 10, retryMaxMs: 10 },
      { keyring: other, metrics: eventWebhookMetrics(registry) },
    );
    await emit(t, db());
    for (let i = 0; i < 3; i++) {
      await d.drain(1);
      t.clock.advance(10);
    }
    expect(fast.eventIds).toHaveLength(1); // nothing unsigned was sent
    const { items, body } = await log(t, id);
    // Never given up (the batch waits for the key), never a success.
    expect(items.map((i) => i.outcome)).toEqual(['failed', 'failed', 'failed', 'succeeded']);
    expect(items[0]!.httpStatus).toBeNull();
    expect(items[0]!.error).toMatch(
      new RegExp(
        `^not sent: the signing secret cannot be decrypted \\(it was encrypted with key ${TEST_KEYRING.current.id}, `,
      ),
    );
    const shown = await t.app.inject({ url: `/api/v1/event-webhooks/${id}`, headers: t.auth });
    expect(shown.json()).toMatchObject({ lastDeliveryStatus: 'failed', failedAttempts: 3 });
    const stored = await db()
      .kysely.selectFrom('event_webhooks')
      .select('secret_encrypted')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const secret = TEST_KEYRING.decrypt(stored.secret_encrypted);
    for (const text of [body, t.logs.text]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(stored.secret_encrypted);
    }
    expect(t.logs.text).toContain('the signing secret does not decrypt');
    expect(await registry.metrics()).toContain(
      'tern_event_webhook_deliveries_total{outcome="failed",cause="signing"} 3',
    );
  });

  it('a name that resolves to an internal address is refused without saying what it resolves to', async () => {
    const t = await buildTestApp(db());
    cleanups.push(() => t.app.close());
    // Names of the operator's network, as its resolver answers them.
    const answers: Record<string, string> = {
      'intranet.example.test': '10.20.30.40',
      'metadata.example.test': '169.254.169.254',
      'mixed.example.test': '192.168.7.9',
    };
    const ids: string[] = [];
    // A name with no address at all reads the same, so names cannot be probed for existence.
    for (const host of [...Object.keys(answers), 'nothing.example.test']) {
      ids.push(await register(t, `https://${host}/hook`));
    }
    await emit(t, db());
    await dispatcher(
      t,
      db(),
      { allowLoopback: false },
      {
        resolve: (hostname, _family, callback) => {
          const address = answers[hostname];
          if (hostname === 'nothing.example.test') {
            return callback(
              Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }),
              [],
            );
          }
          callback(null, [
            ...(hostname === 'mixed.example.test' ? [{ address: '93.184.215.14', family: 4 }] : []),
            ...(address ? [{ address, family: 4 }] : []),
          ]);
        },
      },
    ).drain(1);
    for (const id of ids) {
      const { items, body } = await log(t, id);
      expect(items[0]).toMatchObject({ outcome: 'failed', error: REFUSED_ADDRESS_MESSAGE });
      for (const address of Object.values(answers)) expect(body).not.toContain(address);
      expect(body).not.toMatch(/private|link-local|metadata service/);
    }

    // An internal address given as such gets the same words, whatever its kind.
    for (const url of ['https://10.1.2.3/hook', 'https://169.254.169.254/', 'https://[fd00::1]/']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/event-webhooks',
        headers: t.auth,
        payload: { url },
      });
      expect(res.statusCode, url).toBe(400);
      expect(res.json()).toMatchObject({
        error: {
          code: 'validation_failed',
          details: [{ path: '/body/url', message: REFUSED_ADDRESS_MESSAGE }],
        },
      });
    }
  });
});
