import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../simulator/src/index.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import {
  ALICE,
  BOB,
  INBOUND,
  createInboundCredential,
  messagesTo,
  profileOf,
  text,
} from './helpers/inbound.js';

const API_KEY = 'e2e-0123456789abcdef-7a1c';
let simulator: Simulator;
let simulatorUrl: string;

beforeAll(async () => {
  simulator = await createSimulator({ apiKeys: [API_KEY] });
  simulatorUrl = await simulator.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => simulator.close());

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface SseEvent {
  id: string;
  event: string;
  data: { id: string; type: string; payload: Record<string, unknown> };
}

/** Reads Server-Sent Events from a stream until `count` arrived (or the stream ends). */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  count: number,
): Promise<{ events: SseEvent[]; ended: boolean }> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const events: SseEvent[] = [];
  let buffer = '';
  try {
    while (events.length < count) {
      const { value, done } = await reader.read();
      if (done) return { events, ended: true };
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(
          block
            .split('\n')
            .filter((l) => !l.startsWith(':') && l.includes(': '))
            .map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]),
        ) as Record<string, string>;
        if (fields.id && fields.data) {
          events.push({
            id: fields.id,
            event: fields.event ?? '',
            data: JSON.parse(fields.data) as SseEvent['data'],
          });
        }
      }
    }
    return { events, ended: false };
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

describeEachDialect('inbound end to end', ({ db }) => {
  it('a text injected at the simulator reaches Tern over HTTP and is acted on once', async () => {
    const t: TestApp = await buildTestApp(db(), { TERN_ALLOW_LOOPBACK_PROVIDER: 'true' });
    const cred = await createInboundCredential(t, { baseUrl: simulatorUrl, apiKey: API_KEY });
    const tern = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const number = INBOUND.slice(1);
    simulator.setInboundNumber(number, `${tern}${cred.webhook}`);
    try {
      const record = simulator.injectInbound({ from: ALICE.slice(1), to: number, text: 'STOP' });
      await until('the opt-out', async () => (await profileOf(db(), ALICE)) ?? undefined);
      expect(await profileOf(db(), ALICE)).toMatchObject({ consent: 'unsubscribed' });
      const row = await db()
        .kysely.selectFrom('inbound_messages')
        .selectAll()
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({
        provider_message_id: record.message.messageId,
        from_number: ALICE,
        to_number: INBOUND,
        category: 'opt_out',
      });
      expect(await messagesTo(db(), ALICE)).toMatchObject([
        {
          origin: 'opt_out_reply',
          status: expect.stringMatching(/queued|sending|accepted/) as unknown,
        },
      ]);
      const post = await until('the POST to be recorded', () =>
        Promise.resolve(simulator.inboundPosts().find((p) => p.url.startsWith(tern))),
      );
      expect(post).toMatchObject({ status: 200, ok: true, attempt: 0 });
      expect(simulator.inboundPosts().filter((p) => p.url.startsWith(tern))).toHaveLength(1);
    } finally {
      simulator.setInboundNumber(number, null);
      await t.app.close();
    }
  });

  it('streams events as SSE, resumes after Last-Event-ID, and ends the stream when the app closes', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    const tern = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const headers = { ...t.auth, accept: 'text/event-stream' };

    const first = await fetch(`${tern}/api/v1/events/stream`, { headers });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toContain('text/event-stream');
    await text(t, cred, ALICE, 'STOP');
    await text(t, cred, BOB, 'OFFERS');
    const { events } = await readEvents(first.body!, 4);
    expect(events.map((e) => e.event)).toEqual([
      'consent.changed',
      'inbound.received',
      'profile.keyword',
      'inbound.received',
    ]);
    expect(events[2]!.data.payload).toMatchObject({ keyword: 'OFFERS', profile: { phone: BOB } });

    // Resume after the second event: the third and fourth come again; a filter narrows them.
    const resumed = await fetch(`${tern}/api/v1/events/stream`, {
      headers: { ...headers, 'last-event-id': events[1]!.id },
    });
    const again = await readEvents(resumed.body!, 2);
    expect(again.events.map((e) => e.id)).toEqual([events[2]!.id, events[3]!.id]);
    const filtered = await fetch(
      `${tern}/api/v1/events/stream?types=profile.keyword&lastEventId=${events[0]!.id}`,
      { headers },
    );
    expect((await readEvents(filtered.body!, 1)).events.map((e) => e.event)).toEqual([
      'profile.keyword',
    ]);

    // Another sandbox sees none of it.
    await t.services.sandboxes.ensure('eu');
    const eu = await fetch(`${tern}/api/v1/events/stream?lastEventId=${events[0]!.id}`, {
      headers: { ...headers, 'x-sandbox-name': 'eu' },
    });
    const bad = await fetch(`${tern}/api/v1/events/stream`, {
      headers: { ...headers, 'last-event-id': 'nope' },
    });
    expect(bad.status).toBe(400);

    // Closing the app ends the open streams (the reader sees the end, the close does not hang).
    const closing = readEvents(eu.body!, 1);
    await t.app.close();
    expect(await closing).toEqual({ events: [], ended: true });
  });
});
