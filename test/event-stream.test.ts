import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { createAdminToken, revokeAdminToken } from '../src/auth/admin-tokens.js';
import type { Db } from '../src/db/database.js';
import { recordEvents } from '../src/events/events.js';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';

const cleanups: (() => Promise<void> | void)[] = [];

/** The real app listening on loopback (streams need a real socket: inject() never ends one). */
async function served(db: Db, env: Record<string, string> = {}) {
  const t = await buildTestApp(db, env);
  const serverSockets = new Set<Socket>();
  t.app.server.on('connection', (s: Socket) => serverSockets.add(s));
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (t.app.server.address() as AddressInfo).port;
  cleanups.push(() => t.app.close());
  return { t, port, serverSockets };
}

/**
 * A raw HTTP client: sends the GET and collects the answer as it comes, so a test can stop
 * reading (`pause`) like a slow client, and see the connection end.
 */
function rawStream(
  port: number,
  headers: Record<string, string>,
  path = '/api/v1/events/stream',
): {
  socket: Socket;
  text: () => string;
  received: () => number;
  ended: Promise<void>;
  status: Promise<number>;
} {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let resolveStatus: (n: number) => void = () => undefined;
  const status = new Promise<number>((resolve) => (resolveStatus = resolve));
  let resolveEnded: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
  let tail = '';
  socket.on('data', (c: Buffer) => {
    chunks.push(c);
    if (chunks.length <= 4) {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(Buffer.concat(chunks).toString('latin1'));
      if (m) resolveStatus(Number(m[1]));
    }
    // The end of a chunked answer (the server ended the stream), or the connection closing.
    tail = (tail + c.toString('latin1')).slice(-5);
    if (tail === '0\r\n\r\n') resolveEnded();
  });
  socket.on('error', () => undefined);
  socket.on('close', () => resolveEnded());
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  socket.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${lines.join('')}\r\n`);
  cleanups.push(() => {
    socket.destroy();
  });
  const text = () => {
    // Joined once per call; callers wait on `ended` or `received` rather than polling this.
    const joined = Buffer.concat(chunks);
    chunks.splice(0, chunks.length, joined);
    return joined.toString('utf8');
  };
  const received = () => chunks.reduce((n, c) => n + c.length, 0);
  return { socket, text, received, ended, status };
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

describeEachDialect('event stream: limits over a real socket', ({ db }) => {
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('a revoked token loses its open streams within seconds, whoever revoked it', async () => {
    const { t, port } = await served(db(), { TERN_EVENT_STREAM_TOKEN_CHECK_MS: '200' });
    const here = await createAdminToken(db(), t.clock, { name: 'console' });
    const elsewhere = await createAdminToken(db(), t.clock, { name: 'other process' });
    const kept = rawStream(port, auth(t.token));
    const a = rawStream(port, auth(here.token));
    const b = rawStream(port, auth(elsewhere.token));
    for (const s of [kept, a, b]) expect(await s.status).toBe(200);

    // Through this process (the API), and as another process does it: straight in the table.
    let revokedAt = performance.now();
    await revokeAdminToken(db(), t.clock, here.id);
    await a.ended;
    const tookHere = performance.now() - revokedAt;
    revokedAt = performance.now();
    await db()
      .kysely.updateTable('admin_tokens')
      .set({ revoked_at: t.clock.now().toISOString() })
      .where('id', '=', elsewhere.id)
      .execute();
    await b.ended;
    const tookElsewhere = performance.now() - revokedAt;
    // Two check periods at most (a check, and the answer another stream of the token cached).
    expect(tookHere).toBeLessThan(1000);
    expect(tookElsewhere).toBeLessThan(1000);
    for (const s of [a, b])
      expect(s.text()).toContain(
        'event: stream_closed\ndata: {"reason":"unauthorized","message":"The admin token is no longer valid."}',
      );
    // The valid token's stream is still open, and a reconnect with the revoked one is refused.
    expect(kept.socket.destroyed).toBe(false);
    expect(await rawStream(port, auth(here.token)).status).toBe(401);
  });

  it('one token holds at most TERN_EVENT_STREAMS_PER_TOKEN streams; others still get theirs', async () => {
    const { t, port } = await served(db(), { TERN_EVENT_STREAMS_PER_TOKEN: '3' });
    const mine = [0, 1, 2].map(() => rawStream(port, auth(t.token)));
    for (const s of mine) expect(await s.status).toBe(200);
    const refused = await fetch(`http://127.0.0.1:${port}/api/v1/events/stream`, {
      headers: auth(t.token),
    });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({
      error: {
        code: 'rate_limited',
        message: expect.stringContaining('already has 3 open event streams') as string,
        details: [{ path: '/headers/authorization', message: 'at most 3 open streams' }],
      },
    });
    const other = await createAdminToken(db(), t.clock, { name: 'other' });
    expect(await rawStream(port, auth(other.token)).status).toBe(200);
    // A closed stream gives its slot back.
    mine[0]!.socket.destroy();
    let again = 0;
    for (let i = 0; i < 50 && again !== 200; i++) {
      again = await rawStream(port, auth(t.token)).status;
      if (again !== 200) await new Promise((r) => setTimeout(r, 20));
    }
    expect(again).toBe(200);
  });

  it('a client resuming before many large events holds a bounded buffer, and gets them all in order', async () => {
    const { t, port, serverSockets } = await served(db(), { TERN_EVENT_STREAM_STALL_MS: '60000' });
    const [before] = await recordEvents(db().kysely, t.clock, [
      { sandbox: 'prod', type: 'consent.changed', payload: { n: -1 } },
    ]);
    // 300 events of 100 kB: 30 MB behind the client's Last-Event-ID.
    const big = 'x'.repeat(100_000);
    await recordEvents(
      db().kysely,
      t.clock,
      Array.from({ length: 300 }, (_, n) => ({
        sandbox: 'prod',
        type: 'consent.changed' as const,
        payload: { n, big },
      })),
    );
    const client = rawStream(port, { ...auth(t.token), 'last-event-id': before! });
    expect(await client.status).toBe(200);
    client.socket.pause(); // reads nothing more: the kernel buffers fill, then Tern's
    let maxBuffered = 0;
    const started = performance.now();
    while (performance.now() - started < 1500) {
      for (const s of serverSockets) maxBuffered = Math.max(maxBuffered, s.writableLength);
      await new Promise((r) => setTimeout(r, 5));
    }
    // One event (100 kB and its framing) beyond the socket's 16 kB high-water mark at most;
    // before, 200 events (20 MB) were written at once.
    const bound = 16 * 1024 + 101_000 + 1024;
    expect(maxBuffered).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThanOrEqual(bound);

    client.socket.resume();
    // 300 events of ~100.2 kB each, with their SSE framing.
    await until(() => client.received() > 300 * 100_100, 20_000, 'all events read');
    await new Promise((r) => setTimeout(r, 100));
    const ns = [
      ...client
        .text()
        .matchAll(
          /data: \{"id":"[^"]+","sandbox":"prod","type":"consent\.changed","at":"[^"]+","payload":\{"n":(\d+)/g,
        ),
    ].map((m) => Number(m[1]));
    expect(ns).toEqual(Array.from({ length: 300 }, (_, n) => n));
  });

  it('a client that stops reading is dropped after TERN_EVENT_STREAM_STALL_MS; its slot comes back', async () => {
    const { t, port } = await served(db(), {
      TERN_EVENT_STREAM_STALL_MS: '300',
      TERN_EVENT_STREAMS_PER_TOKEN: '1',
    });
    const [before] = await recordEvents(db().kysely, t.clock, [
      { sandbox: 'prod', type: 'consent.changed', payload: { n: -1 } },
    ]);
    const big = 'y'.repeat(100_000);
    await recordEvents(
      db().kysely,
      t.clock,
      Array.from({ length: 100 }, (_, n) => ({
        sandbox: 'prod',
        type: 'consent.changed' as const,
        payload: { n, big },
      })),
    );
    const stalled = rawStream(port, { ...auth(t.token), 'last-event-id': before! });
    stalled.socket.pause();
    const started = performance.now();
    // The server ends its side: the slot is free again although the client never read.
    let status = 0;
    while (performance.now() - started < 5000 && status !== 200) {
      await new Promise((r) => setTimeout(r, 100));
      const probe = rawStream(port, auth(t.token));
      status = await probe.status;
      probe.socket.destroy();
    }
    expect(status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
  });
});
