import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import type { Db } from '../src/db/database.js';
import { recordEvents } from '../src/events/events.js';
import { WebhookDispatcher, type DeliveryBody } from '../src/events/webhook-dispatcher.js';
import { signatureHeader, verifySignature } from '../src/events/webhook-signature.js';
import { TEST_KEYRING, buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import { ALICE, BOB, createInboundCredential, text } from './helpers/inbound.js';
import { eventually, startSendingStack } from './helpers/sending.js';
import { SYSTEM_ACTOR } from '../src/auth/principal.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: DeliveryBody;
}

/** A local receiver: records every POST and answers with the next scripted status (then 200). */
class Receiver {
  readonly received: Received[] = [];
  /** Statuses to answer with, per path, before answering 200. */
  readonly statuses = new Map<string, number[]>();
  delayMs = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        this.received.push({
          path: req.url ?? '',
          headers: req.headers,
          raw,
          body: JSON.parse(raw) as DeliveryBody,
        });
        const status = this.statuses.get(req.url ?? '')?.shift() ?? 200;
        setTimeout(
          () => res.writeHead(status).end(status >= 300 ? 'receiver says no' : ''),
          this.delayMs,
        );
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  events(path?: string) {
    return this.received
      .filter((r) => path === undefined || r.path === path)
      .flatMap((r) => r.body.events);
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** A loopback port nobody listens on (a receiver that is down). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createTcpServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const cleanups: (() => Promise<void>)[] = [];
/** Registered inside each suite, so that it runs before the suite's database is closed. */
function cleanUpAfterEach(): void {
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
}

async function receiver(): Promise<Receiver> {
  const r = await new Receiver().start();
  cleanups.push(() => r.close());
  return r;
}

function dispatcherFor(t: TestApp, db: Db, options: Record<string, unknown> = {}) {
  const d = new WebhookDispatcher(
    { db, clock: t.clock, logger: t.app.log as never, keyring: TEST_KEYRING },
    { allowLoopback: true, settleMs: 0, retryBaseMs: 1000, ...options },
  );
  cleanups.push(() => d.stop());
  return d;
}

async function appWithLoopback(db: Db): Promise<TestApp> {
  const t = await buildTestApp(db, { TERN_ALLOW_LOOPBACK_PROVIDER: 'true' });
  cleanups.push(() => t.app.close());
  return t;
}

async function register(
  t: TestApp,
  payload: Record<string, unknown>,
  sandbox = 'prod',
): Promise<{ id: string; secret: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/event-webhooks',
    headers: { ...t.auth, 'x-sandbox-name': sandbox },
    payload,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function deliveries(t: TestApp, id: string) {
  const res = await t.app.inject({
    url: `/api/v1/event-webhooks/${id}/deliveries`,
    headers: t.auth,
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{
    items: { outcome: string; httpStatus: number | null; attempt: number; eventCount: number }[];
  }>().items;
}

describeEachDialect('event webhooks: delivery', ({ db }) => {
  cleanUpAfterEach();
  it('delivers signed batches of its sandbox only; a 500 is retried with backoff; the log shows it', async () => {
    const t = await appWithLoopback(db());
    const r = await receiver();
    await t.services.sandboxes.create('dev', SYSTEM_ACTOR);
    const hook = await register(t, { url: `${r.url}/prod`, description: 'crm' });
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9_-]{32}$/);
    const devHook = await register(t, { url: `${r.url}/dev` }, 'dev');

    // The secret is shown once, and stored encrypted.
    const shown = await t.app.inject({ url: `/api/v1/event-webhooks/${hook.id}`, headers: t.auth });
    expect(shown.statusCode).toBe(200);
    expect(shown.body).not.toContain(hook.secret);
    expect(shown.json()).toMatchObject({ url: `${r.url}/prod`, types: null, enabled: true });
    const stored = await db()
      .kysely.selectFrom('event_webhooks')
      .select('secret_encrypted')
      .where('id', '=', hook.id)
      .executeTakeFirstOrThrow();
    expect(stored.secret_encrypted).not.toContain(hook.secret);
    expect(TEST_KEYRING.decrypt(stored.secret_encrypted)).toBe(hook.secret);

    const cred = await createInboundCredential(t);
    await text(t, cred, ALICE, 'STOP');
    await text(t, cred, BOB, 'OFFERS');
    await recordEvents(db().kysely, t.clock, [
      { sandbox: 'dev', type: 'consent.changed', payload: { phone: '+15550001' } },
    ]);

    r.statuses.set('/prod', [500]);
    const d = dispatcherFor(t, db());
    await d.drain();
    expect(r.received.filter((x) => x.path === '/prod')).toHaveLength(1);
    expect(await deliveries(t, hook.id)).toMatchObject([
      { outcome: 'failed', httpStatus: 500, attempt: 1 },
    ]);
    const failing = (
      await t.app.inject({ url: `/api/v1/event-webhooks/${hook.id}`, headers: t.auth })
    ).json<{ failedAttempts: number; nextAttemptAt: string }>();
    expect(failing.failedAttempts).toBe(1);
    expect(Date.parse(failing.nextAttemptAt)).toBeGreaterThan(t.clock.now().getTime());

    // Not due yet: nothing is sent until the backoff has passed.
    await d.drain();
    expect(r.received.filter((x) => x.path === '/prod')).toHaveLength(1);
    t.clock.advance(1000);
    await d.drain();
    const prod = r.received.filter((x) => x.path === '/prod');
    expect(prod).toHaveLength(2);
    // The retry carries the same events, newly signed.
    expect(prod[1]!.body.events.map((e) => e.id)).toEqual(prod[0]!.body.events.map((e) => e.id));
    expect(prod[1]!.body.events.map((e) => e.type)).toEqual([
      'consent.changed',
      'inbound.received',
      'profile.keyword',
      'inbound.received',
    ]);
    for (const delivery of prod) {
      const header = delivery.headers['x-tern-signature'] as string;
      expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      const nowSeconds = Math.floor(t.clock.now().getTime() / 1000);
      expect(verifySignature(hook.secret, header, delivery.raw, nowSeconds)).toBe(true);
      expect(verifySignature(devHook.secret, header, delivery.raw, nowSeconds)).toBe(false);
      expect(verifySignature(hook.secret, header, `${delivery.raw} `, nowSeconds)).toBe(false);
      const t0 = Number(/t=(\d+)/.exec(header)![1]);
      expect(header).toBe(signatureHeader(hook.secret, t0, delivery.raw));
      expect(delivery.headers['x-tern-webhook-id']).toBe(hook.id);
      expect(delivery.body.webhookId).toBe(hook.id);
      expect(delivery.headers['content-type']).toBe('application/json');
    }
    expect(prod.flatMap((x) => x.body.events).every((e) => e.sandbox === 'prod')).toBe(true);
    // The other sandbox's webhook got only its own event.
    expect(r.events('/dev').map((e) => [e.sandbox, e.type])).toEqual([['dev', 'consent.changed']]);

    expect(await deliveries(t, hook.id)).toMatchObject([
      { outcome: 'succeeded', httpStatus: 200, attempt: 2, eventCount: 4 },
      { outcome: 'failed', httpStatus: 500, attempt: 1, eventCount: 4 },
    ]);
    // Delivered once: nothing more to send, even much later.
    t.clock.advance(3_600_000);
    await d.drain();
    expect(r.received.filter((x) => x.path === '/prod')).toHaveLength(2);
    await text(t, cred, ALICE, 'START');
    await d.drain();
    expect(r.received.filter((x) => x.path === '/prod')).toHaveLength(3);
    expect(
      r
        .events('/prod')
        .slice(8)
        .map((e) => e.type),
    ).toEqual(['consent.changed', 'inbound.received']);
  });

  it('filters by type, starts at registration, and batches', async () => {
    const t = await appWithLoopback(db());
    const r = await receiver();
    const cred = await createInboundCredential(t);
    await text(t, cred, ALICE, 'STOP'); // before registration: never delivered
    const hook = await register(t, { url: `${r.url}/consent`, types: ['consent.changed'] });
    await register(t, { url: `${r.url}/all` });
    for (const body of ['START', 'OFFERS', 'HELP', 'STOP']) await text(t, cred, BOB, body);
    const d = dispatcherFor(t, db(), { batchSize: 3 });
    await d.drain();
    expect(r.events('/consent').map((e) => [e.type, e.payload.to])).toEqual([
      ['consent.changed', 'subscribed'],
      ['consent.changed', 'unsubscribed'],
    ]);
    expect(r.events('/consent').every((e) => e.payload.phone === BOB)).toBe(true);
    const all = r.received.filter((x) => x.path === '/all');
    expect(all.map((x) => x.body.events.length)).toEqual([3, 3, 1]); // HELP makes one event, the others two
    const ids = all.flatMap((x) => x.body.events.map((e) => e.id));
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(7);

    // Narrowing the types by PATCH applies to the events still to come.
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/event-webhooks/${hook.id}`,
      headers: t.auth,
      payload: { types: ['profile.keyword'] },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    await text(t, cred, BOB, 'START');
    await text(t, cred, BOB, 'DISCOUNT');
    await d.drain();
    expect(r.events('/consent').map((e) => e.type)).toEqual([
      'consent.changed',
      'consent.changed',
      'profile.keyword',
    ]);
  });

  it('gives up on a batch after the last attempt, retries network errors, and moves on', async () => {
    const t = await appWithLoopback(db());
    const nobody = `http://127.0.0.1:${await closedPort()}/gone`;
    const hook = await register(t, { url: nobody });
    const cred = await createInboundCredential(t);
    await text(t, cred, ALICE, 'STOP');
    const d = dispatcherFor(t, db(), { maxAttempts: 3, retryBaseMs: 10, retryMaxMs: 10 });
    for (let i = 0; i < 3; i++) {
      await d.drain();
      t.clock.advance(10);
    }
    const log = await deliveries(t, hook.id);
    expect(log.map((l) => l.outcome)).toEqual(['gave_up', 'failed', 'failed']);
    expect(log[0]).toMatchObject({ httpStatus: null, attempt: 3 });

    // Pointed at a live receiver, only the newer events go: the given-up batch stays skipped.
    const r = await receiver();
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/event-webhooks/${hook.id}`,
      headers: t.auth,
      payload: { url: `${r.url}/back` },
    });
    await text(t, cred, BOB, 'STOP');
    await d.drain();
    expect(r.events().map((e) => e.payload.phone ?? e.payload.from)).toEqual([BOB, BOB]);
    const healthy = (
      await t.app.inject({ url: `/api/v1/event-webhooks/${hook.id}`, headers: t.auth })
    ).json<unknown>();
    expect(healthy).toMatchObject({ failedAttempts: 0, lastDeliveryStatus: 'succeeded' });
  });

  it('two dispatchers side by side deliver each event once; a disabled webhook waits', async () => {
    const t = await appWithLoopback(db());
    const r = await receiver();
    r.delayMs = 30;
    const hook = await register(t, { url: `${r.url}/x` });
    const cred = await createInboundCredential(t);
    for (const who of [ALICE, BOB]) await text(t, cred, who, 'STOP');
    const a = dispatcherFor(t, db(), { batchSize: 2 });
    const b = dispatcherFor(t, db(), { batchSize: 2 });
    await Promise.all([a.drain(), b.drain(), a.drain()]);
    const ids = r.events().map((e) => e.id);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(4);

    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/event-webhooks/${hook.id}`,
      headers: t.auth,
      payload: { enabled: false },
    });
    await text(t, cred, ALICE, 'START');
    await a.drain();
    expect(r.events()).toHaveLength(4);
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/event-webhooks/${hook.id}`,
      headers: t.auth,
      payload: { enabled: true },
    });
    // The running loop picks it up by itself; stop() finishes what is in flight.
    a.start();
    await eventually(() => Promise.resolve(expect(r.events()).toHaveLength(6)));
    await a.stop();
  });

  it('emits message.status_changed from the worker and from delivery reports', async () => {
    const s = await startSendingStack(db());
    cleanups.push(() => s.close());
    const r = await receiver();
    await register(s.t, { url: `${r.url}/m`, types: ['message.status_changed'] });
    const sent = await s.send({ to: '+41793026727', text: 'hi', callbackData: 'order-7' });
    await s.pump();
    // The simulator's report timer runs on the stack's manual clock, which this test does not
    // move: the report is due 10 ms after acceptance only once flushed (as in sending.test.ts).
    await s.sim.flushReports();
    await eventually(async () =>
      expect((await s.message(sent.id)).message.status).toBe('delivered'),
    );
    const d = dispatcherFor(s.t, db());
    await d.drain();
    expect(r.events().map((e) => e.payload)).toEqual([
      {
        messageId: sent.id,
        status: 'accepted',
        reason: null,
        to: '+41793026727',
        callbackData: 'order-7',
      },
      {
        messageId: sent.id,
        status: 'delivered',
        reason: expect.any(String) as string,
        to: '+41793026727',
        callbackData: 'order-7',
      },
    ]);
  });
});

describeEachDialect('event webhooks: API rules', ({ db }) => {
  cleanUpAfterEach();
  it('validates URLs and types, hides other sandboxes, 401/404/412 as elsewhere', async () => {
    const t = await buildTestApp(db());
    cleanups.push(() => t.app.close());
    const post = (payload: unknown, headers: Record<string, string> = t.auth) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/event-webhooks',
        headers,
        payload: payload as object,
      });
    const problems = async (payload: unknown) => {
      const res = await post(payload);
      expect(res.statusCode, res.body).toBe(400);
      return res.json<{ error: { code: string; details: { path: string; message: string }[] } }>()
        .error;
    };
    expect((await problems({ url: 'http://example.com/hook' })).details[0]!.message).toMatch(
      /https/,
    );
    expect((await problems({ url: 'http://127.0.0.1:9/hook' })).details[0]!.message).toMatch(
      /TERN_ALLOW_LOOPBACK_PROVIDER/,
    );
    expect((await problems({ url: 'https://10.1.2.3/hook' })).details[0]!.message).toMatch(
      /must resolve to a public address/,
    );
    expect((await problems({ url: 'https://169.254.169.254/' })).details[0]!.message).toMatch(
      /must resolve to a public address/,
    );
    expect((await problems({ url: 'https://user:pw@example.com/' })).details[0]!.message).toMatch(
      /password/,
    );
    expect((await problems({ url: 'not a url' })).code).toBe('validation_failed');
    expect((await problems({})).code).toBe('validation_failed');
    expect((await problems({ url: 'https://example.com/', types: [] })).code).toBe(
      'validation_failed',
    );
    expect((await problems({ url: 'https://example.com/', types: ['nope'] })).code).toBe(
      'validation_failed',
    );
    expect((await problems({ url: 'https://example.com/', secret: 'mine' })).code).toBe(
      'validation_failed',
    );
    expect((await post({ url: 'https://example.com/' }, {})).statusCode).toBe(401);
    expect(
      (await post({ url: 'https://example.com/' }, { ...t.auth, 'x-sandbox-name': 'ghost' }))
        .statusCode,
    ).toBe(404);

    const created = await post({
      url: 'https://hooks.example.com/tern?k=1',
      types: ['profile.keyword'],
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.headers.etag).toBe('"1"');
    const { id } = created.json<{ id: string }>();
    expect(created.headers.location).toBe(`/api/v1/event-webhooks/${id}`);

    await t.services.sandboxes.create('dev', SYSTEM_ACTOR);
    const dev = { ...t.auth, 'x-sandbox-name': 'dev' };
    for (const [method, url] of [
      ['GET', `/api/v1/event-webhooks/${id}`],
      ['PATCH', `/api/v1/event-webhooks/${id}`],
      ['DELETE', `/api/v1/event-webhooks/${id}`],
      ['GET', `/api/v1/event-webhooks/${id}/deliveries`],
    ] as const) {
      const res = await t.app.inject({
        method,
        url,
        headers: dev,
        ...(method === 'PATCH' ? { payload: { enabled: false } } : {}),
      });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json()).toMatchObject({ error: { code: 'not_found' } });
    }
    const devList = await t.app.inject({ url: '/api/v1/event-webhooks', headers: dev });
    expect(devList.json()).toEqual({ items: [], nextCursor: null });
    const list = await t.app.inject({ url: '/api/v1/event-webhooks', headers: t.auth });
    expect(list.json<{ items: { id: string }[] }>().items.map((w) => w.id)).toEqual([id]);
    expect(list.body).not.toContain('whsec_');

    const stale = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/event-webhooks/${id}`,
      headers: { ...t.auth, 'if-match': '"7"' },
      payload: { description: 'x' },
    });
    expect(stale.statusCode).toBe(412);
    const bad = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/event-webhooks/${id}`,
      headers: t.auth,
      payload: { url: 'ftp://example.com/' },
    });
    expect(bad.statusCode).toBe(400);
    const ok = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/event-webhooks/${id}`,
      headers: { ...t.auth, 'if-match': '"1"' },
      payload: { types: null, description: 'all of it' },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ types: null, description: 'all of it', version: 2 });

    const del = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/event-webhooks/${id}`,
      headers: t.auth,
    });
    expect(del.statusCode).toBe(204);
    expect(
      (await t.app.inject({ url: `/api/v1/event-webhooks/${id}`, headers: t.auth })).statusCode,
    ).toBe(404);
    expect(
      (await t.app.inject({ url: `/api/v1/event-webhooks/${id}/deliveries`, headers: t.auth }))
        .statusCode,
    ).toBe(404);
  });
});
