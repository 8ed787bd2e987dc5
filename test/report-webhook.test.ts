import { connect } from 'node:net';
import { request } from 'undici';
import { expect, it } from 'vitest';
import { REPORTS_BODY_LIMIT_BYTES } from '../src/http/routes/report-webhook.js';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import { fullReport, reportsWebhook } from './helpers/reports.js';
import { createInboundCredential } from './helpers/inbound.js';
import type { Db } from '../src/db/database.js';

/**
 * Sends headers announcing a 2 MB body and only its first 64 kB, over a raw socket, and resolves
 * with the status line the server answers meanwhile (or "no answer" after `waitMs`): a server
 * that reads the body before checking the secret waits for the rest and never answers.
 */
function answerBeforeBody(base: string, path: string, waitMs = 3000): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('no answer');
    }, waitMs);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const line = received.split('\r\n')[0];
      if (received.includes('\r\n') && line) {
        clearTimeout(timer);
        socket.destroy();
        resolve(line);
      }
    });
    socket.write(
      `POST ${path} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: 2000000\r\n\r\n`,
    );
    socket.write(`{"results":[${' '.repeat(64 * 1024)}`);
  });
}

/** An accepted message of `credentialId` in sandbox prod, as the worker leaves it. */
async function acceptedMessage(db: Db, credentialId: string, id: string): Promise<void> {
  const at = '2026-11-25T11:59:00.000Z';
  await db.kysely
    .insertInto('messages')
    .values({
      sandbox: 'prod',
      id,
      channel_configuration_id: null,
      credential_id: credentialId,
      channel: 'sms',
      message_type: 'text',
      sender: 'TERN',
      to_number: '+441134960000',
      text: 'hello',
      callback_data: `cb-${id}`,
      status: 'accepted',
      attempts: 1,
      valid_until: '2026-11-27T12:00:00.000Z',
      uncertain: 0,
      segments: 1,
      encoding: 'GSM7',
      origin: 'api',
      created_at: at,
      updated_at: at,
      accepted_at: at,
    })
    .execute();
}

describeEachDialect(
  'delivery-report webhook: secret first, bounded body, bounded store',
  ({ db }) => {
    it('answers a wrong secret with 401 before reading the body (real socket), as the inbound webhook does', async () => {
      const t = await buildTestApp(db());
      const cred = await reportsWebhook(t);
      const inbound = await createInboundCredential(t);
      const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
      const started = performance.now();
      // Before the fix the report route parsed the whole body first: no answer until 2 MB came.
      expect(await answerBeforeBody(base, cred.path.replace(/[^/]+$/, 'wrong'))).toBe(
        'HTTP/1.1 401 Unauthorized',
      );
      expect(await answerBeforeBody(base, `/webhooks/infobip/${cred.id}x/reports/x`)).toBe(
        'HTTP/1.1 401 Unauthorized',
      );
      expect(await answerBeforeBody(base, inbound.webhook.replace(inbound.secret, 'wrong'))).toBe(
        'HTTP/1.1 401 Unauthorized',
      );
      expect(performance.now() - started).toBeLessThan(2000);
      await t.app.close();
    });

    it(`takes 100 reports with Tern's longest callbackData, and refuses a body over ${REPORTS_BODY_LIMIT_BYTES} bytes with 413 (real socket)`, async () => {
      const t = await buildTestApp(db());
      const cred = await reportsWebhook(t);
      const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
      const post = async (body: string) => {
        const res = await request(`${base}${cred.path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
      };
      // 4,000 two-byte characters: 8.7 kB a report, 871 kB for 100.
      const hundred = JSON.stringify({
        results: Array.from({ length: 100 }, (_, i) => fullReport(`m-${i}`, 'é'.repeat(4000))),
      });
      expect(Buffer.byteLength(hundred)).toBeGreaterThan(850_000);
      expect(Buffer.byteLength(hundred)).toBeLessThan(REPORTS_BODY_LIMIT_BYTES);
      expect(await post(hundred)).toEqual({
        status: 200,
        body: { applied: 0, unchanged: 0, duplicates: 0, unknown: 100, rejected: 0, problems: [] },
      });
      const over = JSON.stringify({
        results: [fullReport('m-x', 'x'.repeat(REPORTS_BODY_LIMIT_BYTES))],
      });
      const refused = await post(over);
      expect(refused.status).toBe(413);
      expect(refused.body).toMatchObject({ error: { code: 'payload_too_large' } });
      await t.app.close();
    });

    it('moves a message twice in one POST to its last report (done_at, provider status, history in order); a message of another credential is unknown', async () => {
      const t = await buildTestApp(db());
      const a = await reportsWebhook(t, 'a');
      const b = await reportsWebhook(t, 'b');
      await acceptedMessage(db(), a.id, 'm1');
      await acceptedMessage(db(), a.id, 'm2');
      await acceptedMessage(db(), b.id, 'm3');
      const report = (
        id: string,
        group: [number, string],
        status: [number, string],
        done: string,
      ) => ({
        ...fullReport(id),
        doneAt: done,
        status: { groupId: group[0], groupName: group[1], id: status[0], name: status[1] },
      });
      const expired = report(
        'm1',
        [4, 'EXPIRED'],
        [15, 'EXPIRED_EXPIRED'],
        '2026-11-25T12:00:05.000+0100',
      );
      const delivered = (id: string) =>
        report(id, [3, 'DELIVERED'], [5, 'DELIVERED_TO_HANDSET'], '2026-11-25T12:00:09.000+0100');
      const res = await t.app.inject({
        method: 'POST',
        url: a.path,
        payload: {
          results: [
            expired,
            delivered('m1'), // a handset receipt after EXPIRED wins
            delivered('m2'),
            report('m2', [1, 'PENDING'], [7, 'PENDING_ENROUTE'], '2026-11-25T12:00:10.000+0100'),
            delivered('m3'), // b's message, POSTed to a's URL
          ],
        },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ applied: 3, unchanged: 1, duplicates: 0, unknown: 1 });
      const rows = await db()
        .kysely.selectFrom('messages')
        .select(['id', 'status', 'status_reason', 'provider_status', 'done_at', 'updated_at'])
        .orderBy('id')
        .execute();
      expect(rows.map((r) => [r.id, r.status, r.status_reason, r.done_at])).toEqual([
        ['m1', 'delivered', 'DELIVERED_TO_HANDSET', '2026-11-25T11:00:09.000Z'],
        ['m2', 'delivered', 'DELIVERED_TO_HANDSET', '2026-11-25T11:00:09.000Z'],
        ['m3', 'accepted', null, null],
      ]);
      expect(JSON.parse(rows[0]!.provider_status!)).toMatchObject({ name: 'DELIVERED_TO_HANDSET' });
      expect(rows[0]!.updated_at).toBe('2026-11-25T12:00:00.000Z');
      const history = await db()
        .kysely.selectFrom('message_events')
        .select(['message_id', 'status'])
        .orderBy('id')
        .execute();
      expect(history.map((h) => [h.message_id, h.status])).toEqual([
        ['m1', 'expired'],
        ['m1', 'delivered'],
        ['m2', 'delivered'],
      ]);
      const events = await db()
        .kysely.selectFrom('events')
        .select('payload')
        .where('type', '=', 'message.status_changed')
        .orderBy('id')
        .execute();
      expect(events.map((e) => JSON.parse(e.payload) as unknown)).toEqual([
        expect.objectContaining({ messageId: 'm1', status: 'expired', callbackData: 'cb-m1' }),
        expect.objectContaining({ messageId: 'm1', status: 'delivered' }),
        expect.objectContaining({ messageId: 'm2', status: 'delivered' }),
      ]);
      await t.app.close();
    });

    it('keeps at most N reports for unknown message ids per credential, oldest pruned, with a metric', async () => {
      const t = await buildTestApp(db(), {
        TERN_UNMATCHED_REPORTS_PER_CREDENTIAL: '5',
        TERN_METRICS_TOKEN: 'metrics-token-0123456789abcdef',
      });
      const a = await reportsWebhook(t, 'a');
      const b = await reportsWebhook(t, 'b');
      const post = async (path: string, ids: string[]) => {
        t.clock.advance(1000);
        const res = await t.app.inject({
          method: 'POST',
          url: path,
          payload: { results: ids.map((id) => fullReport(id)) },
        });
        expect(res.statusCode, res.body).toBe(200);
      };
      await post(a.path, ['a1', 'a2', 'a3']);
      await post(b.path, ['b1', 'b2']);
      await post(a.path, ['a4', 'a5', 'a6', 'a7']);
      const stored = async (credentialId: string) =>
        (
          await db()
            .kysely.selectFrom('delivery_reports')
            .select('message_id')
            .where('credential_id', '=', credentialId)
            .orderBy('message_id')
            .execute()
        ).map((r) => r.message_id);
      expect(await stored(a.id)).toEqual(['a3', 'a4', 'a5', 'a6', 'a7']);
      expect(await stored(b.id)).toEqual(['b1', 'b2']);
      const metrics = await t.app.inject({
        url: '/metrics',
        headers: { authorization: 'Bearer metrics-token-0123456789abcdef' },
      });
      expect(metrics.body).toContain('tern_delivery_reports_pruned_total 2');
      await t.app.close();
    });
  },
);
