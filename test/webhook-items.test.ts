/**
 * Issue 13 items 5, 6 and 9 over real sockets: one bad item of a webhook POST costs only itself
 * (kept raw, bounded), a report POST of Infobip's largest size fits, a STOP to a short code is
 * routed and applied, and an inbound MMS keeps its parts. Inbound traffic comes from the
 * simulator at its strict defaults.
 */
import { request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPORTS_BODY_LIMIT_BYTES } from '../src/http/routes/report-webhook.js';
import { REJECTS_KEPT_PER_POST } from '../src/messages/webhook-rejects.js';
import { createSimulator, type Simulator } from '../simulator/src/index.js';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import { fullReport, reportsWebhook } from './helpers/reports.js';
import {
  ALICE,
  BOB,
  createInboundCredential,
  moBody,
  moResult,
  profileOf,
} from './helpers/inbound.js';

let simulator: Simulator;

beforeAll(async () => {
  simulator = await createSimulator();
  await simulator.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => simulator.close());

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function post(url: string, body: unknown) {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

describeEachDialect('webhook items: one bad item costs only itself', ({ db }) => {
  it('a report POST of 2,000 with one bad report applies the 1,999 and keeps the bad one raw (real socket)', async () => {
    const t = await buildTestApp(db());
    const cred = await reportsWebhook(t);
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const results: unknown[] = Array.from({ length: 2000 }, (_, i) => fullReport(`m-${i}`));
      results[700] = { ...fullReport('m-700'), status: { groupId: 'DELIVERED' } };
      // Before: 400 for the whole POST, and none of the 1,999 was applied.
      const res = await post(`${base}${cred.path}`, { results });
      expect(res).toEqual({
        status: 200,
        body: {
          applied: 0,
          unchanged: 0,
          duplicates: 0,
          unknown: 1999,
          rejected: 1,
          problems: [
            { path: '/results/700/status/groupId', message: expect.any(String) as unknown },
          ],
        },
      });
      const rejects = await db().kysely.selectFrom('webhook_rejects').selectAll().execute();
      expect(rejects).toHaveLength(1);
      expect(rejects[0]).toMatchObject({
        credential_id: cred.id,
        webhook: 'reports',
        item_index: 700,
      });
      expect(JSON.parse(rejects[0]!.raw)).toEqual(results[700]);
      // Infobip retries a POST: the bad item is kept once.
      expect((await post(`${base}${cred.path}`, { results })).body).toMatchObject({
        duplicates: 1999,
        rejected: 1,
      });
      expect(await db().kysely.selectFrom('webhook_rejects').selectAll().execute()).toHaveLength(1);
    } finally {
      await t.app.close();
    }
  });

  it('a body with no usable report is a 400 naming the problems; the items are kept, at most 100 a POST', async () => {
    const t = await buildTestApp(db());
    const cred = await reportsWebhook(t);
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const results = Array.from({ length: 300 }, (_, i) => ({
        ...fullReport(`m-${i}`),
        doneAt: `day ${i}`,
      }));
      const res = await post(`${base}${cred.path}`, { results });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        error: {
          code: 'validation_failed',
          message: 'None of the 300 delivery reports is valid.',
          details: expect.arrayContaining([
            { path: '/results/0/doneAt', message: expect.any(String) as unknown },
          ]) as unknown,
        },
      });
      const kept = await db().kysely.selectFrom('webhook_rejects').select('item_index').execute();
      expect(kept).toHaveLength(REJECTS_KEPT_PER_POST);
      // The envelope itself wrong: 400, nothing kept.
      expect((await post(`${base}${cred.path}`, { results: {} })).status).toBe(400);
    } finally {
      await t.app.close();
    }
  });

  it(`takes 2,000 realistic reports in one POST under ${REPORTS_BODY_LIMIT_BYTES} bytes (real socket)`, async () => {
    const t = await buildTestApp(db());
    const cred = await reportsWebhook(t);
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    try {
      // 2,000 reports each echoing a 1,400-character callbackData: 3.97 MB, under the 4 MiB limit.
      const body = JSON.stringify({
        results: Array.from({ length: 2000 }, (_, i) => fullReport(`m-${i}`, 'c'.repeat(1400))),
      });
      expect(Buffer.byteLength(body)).toBeGreaterThan(3_900_000);
      expect(Buffer.byteLength(body)).toBeLessThan(REPORTS_BODY_LIMIT_BYTES);
      const started = performance.now();
      const res = await post(`${base}${cred.path}`, body);
      const ms = performance.now() - started;
      expect(res.body).toMatchObject({ unknown: 2000, rejected: 0 });
      console.log(`2,000 reports, ${Buffer.byteLength(body)} bytes: ${ms.toFixed(0)} ms`);
      // 2,001 items: the JSON shape guard (2,000 items an array) refuses it before parsing.
      const over = JSON.stringify({
        results: Array.from({ length: 2001 }, (_, i) => fullReport(`o-${i}`)),
      });
      const refused = await post(`${base}${cred.path}`, over);
      expect(refused.status).toBe(400);
    } finally {
      await t.app.close();
    }
  });

  it('an inbound POST with a bad text among good ones acts on the good ones (STOP applied), keeps the bad raw', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const body = moBody(
        moResult(ALICE, 'STOP'),
        moResult(BOB, 'STOP', { receivedAt: 'last tuesday' }),
        moResult(BOB, 'HELP', { messageId: 'x'.repeat(201) }),
      );
      const res = await post(`${base}${cred.webhook}`, body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ received: 1, processed: 1, rejected: 2 });
      expect((res.body.problems as { path: string }[]).map((p) => p.path)).toEqual([
        '/results/1/receivedAt',
        '/results/2/messageId',
      ]);
      expect(await profileOf(db(), ALICE)).toMatchObject({ consent: 'unsubscribed' });
      const kept = await db()
        .kysely.selectFrom('webhook_rejects')
        .selectAll()
        .orderBy('item_index')
        .execute();
      expect(kept.map((k) => [k.webhook, k.item_index])).toEqual([
        ['inbound', 1],
        ['inbound', 2],
      ]);
      const none = await post(
        `${base}${cred.webhook}`,
        moBody(moResult(BOB, 'STOP', { from: 42 })),
      );
      expect(none.status).toBe(400);
      expect(none.body).toMatchObject({ error: { details: [{ path: '/results/0/from' }] } });
    } finally {
      await t.app.close();
    }
  });
});

describeEachDialect('short codes and inbound MMS, from the strict simulator', ({ db }) => {
  it('STOP texted to a short code is routed to the credential that owns it and applied', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t, { inboundNumber: '25256' });
    const tern = await t.app.listen({ port: 0, host: '127.0.0.1' });
    simulator.setInboundNumber('25256', `${tern}${cred.webhook}`);
    try {
      // Before: "25256" is not E.164, so the text was stored unrouted and the opt-out lost.
      simulator.injectInbound({ from: ALICE.slice(1), to: '25256', text: 'STOP' });
      await until('the opt-out', async () => (await profileOf(db(), ALICE)) ?? undefined);
      expect(await profileOf(db(), ALICE)).toMatchObject({ consent: 'unsubscribed' });
      const row = await db()
        .kysely.selectFrom('inbound_messages')
        .selectAll()
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({
        to_number: '25256',
        credential_id: cred.id,
        action: 'opted_out',
      });
      // The confirmation goes out from the short code.
      const reply = await db()
        .kysely.selectFrom('messages')
        .select(['sender', 'origin'])
        .executeTakeFirstOrThrow();
      expect(reply).toEqual({ sender: '25256', origin: 'opt_out_reply' });
      // An alphanumeric `to` (Infobip has no alphanumeric inbound numbers): stored unrouted.
      simulator.setInboundNumber('TernAlerts', `${tern}${cred.webhook}`);
      simulator.injectInbound({ from: BOB.slice(1), to: 'TernAlerts', text: 'STOP' });
      await until(
        'the unrouted text',
        async () =>
          (await db()
            .kysely.selectFrom('inbound_messages')
            .selectAll()
            .where('to_number', '=', 'TernAlerts')
            .executeTakeFirst()) ?? undefined,
      );
      expect(await profileOf(db(), BOB)).toBeUndefined();
    } finally {
      simulator.setInboundNumber('25256', null);
      simulator.setInboundNumber('TernAlerts', null);
      await t.app.close();
    }
  });

  it("a short code stays in its sandbox: another sandbox's webhook does not act on it", async () => {
    const t = await buildTestApp(db());
    const sandbox = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sandboxes',
      headers: t.auth,
      payload: { name: 'staging' },
    });
    expect(sandbox.statusCode, sandbox.body).toBe(201);
    await createInboundCredential(t, { inboundNumber: '25256' }, 'prod');
    const other = await createInboundCredential(t, { inboundNumber: '+14155550199' }, 'staging');
    const res = await t.app.inject({
      method: 'POST',
      url: other.webhook,
      payload: moBody(moResult(ALICE, 'STOP', { to: '25256' })),
    });
    expect(res.json()).toMatchObject({ unrouted: 1, processed: 0 });
    expect(await profileOf(db(), ALICE)).toBeUndefined();
    await t.app.close();
  });

  it('an inbound MMS keeps its parts, shown in the API and the profile; STOP in its text part is applied', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t, { inboundNumber: '25256' });
    const tern = await t.app.listen({ port: 0, host: '127.0.0.1' });
    simulator.setMmsInboundNumber('25256', `${tern}${cred.webhook}`);
    try {
      const parts = [
        { contentType: 'image/jpeg', url: 'https://media.example.com/abc123' },
        { contentType: 'text/plain', value: 'STOP' },
      ];
      // Before: stored as an empty text, the photo lost and the STOP not read.
      simulator.injectInboundMms({
        from: ALICE.slice(1),
        to: '25256',
        parts,
        group: [{ to: '25256' }, { cc: '41793026888' }],
      });
      await until('the opt-out', async () => (await profileOf(db(), ALICE)) ?? undefined);
      expect(await profileOf(db(), ALICE)).toMatchObject({ consent: 'unsubscribed' });
      const list = await t.app.inject({ url: '/api/v1/inbound', headers: t.auth });
      expect(list.statusCode, list.body).toBe(200);
      const shown = {
        channel: 'mms',
        to: '25256',
        text: 'STOP',
        parts: [
          { contentType: 'image/jpeg', url: 'https://media.example.com/abc123' },
          { contentType: 'text/plain', text: 'STOP' },
        ],
        category: 'opt_out',
        action: 'opted_out',
      };
      expect(list.json()).toMatchObject({ items: [shown] });
      const profile = await t.app.inject({
        url: `/api/v1/profiles/${encodeURIComponent(ALICE)}`,
        headers: t.auth,
      });
      expect(profile.statusCode, profile.body).toBe(200);
      expect(profile.json()).toMatchObject({ inbound: [shown] });
    } finally {
      simulator.setMmsInboundNumber('25256', null);
      await t.app.close();
    }
  });
});
