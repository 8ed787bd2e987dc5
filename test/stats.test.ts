import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { setConsent } from '../src/profiles/consent.js';
import { rebuildStats } from '../src/stats/rebuild.js';
import type { Stats } from '../src/stats/stats.service.js';
import type { Db } from '../src/db/database.js';
import { describeEachDialect } from './helpers/databases.js';
import { moBody, moResult } from './helpers/inbound.js';
import { eventually, startSendingStack, type SendingStack } from './helpers/sending.js';

const INBOUND = '+14155550100';
const HOUR = 3_600_000;

async function stats(s: SendingStack, query = '', sandbox = 'prod'): Promise<Stats> {
  const res = await s.t.app.inject({
    url: `/api/v1/stats${query}`,
    headers: { ...s.t.auth, 'x-sandbox-name': sandbox },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Stats>();
}

/**
 * Every counter, shards summed, in both granularities. On PostgreSQL a message's +1 and its later
 * -1 may land in different shards (each connection has its own), so a counter may be a zero sum
 * of rows: that is a zero, as the rebuild (which keeps no zeros) says.
 */
async function counters(db: Db) {
  const rows = [];
  for (const table of ['message_stats_hourly', 'message_stats_daily', 'consent_stats_hourly']) {
    const result = await sql<{ key: string; period: string; count: number }>`
      select ${sql.raw(table.startsWith('consent') ? 'change' : "metric || ' ' || channel_configuration_id")} as key,
        period, sum(count) as count
      from ${sql.table(table)} group by 1, 2 having sum(count) <> 0 order by 1, 2`.execute(
      db.kysely,
    );
    rows.push(...result.rows.map((r) => ({ table, ...r, count: Number(r.count) })));
  }
  return rows;
}

describeEachDialect('statistics', ({ db }) => {
  it('counts exactly what the real paths do: accept, send, report, reject, retry, suppress, STOP', async () => {
    const s = await startSendingStack(db(), {
      sim: { reportDelayMs: 600_000 },
      credential: { inboundNumber: INBOUND },
    });
    try {
      s.clock.set('2026-12-01T10:30:00.000Z');
      const credential = (
        await s.t.app.inject({ url: `/api/v1/credentials/${s.credentialId}`, headers: s.t.auth })
      ).json<{ webhooks: { inbound: { url: string } } }>();
      const inboundPath = new URL(credential.webhooks.inbound.url).pathname;

      // 10:30 — one accepted, one rejected by the provider, one waiting after a 429.
      const delivered = await s.send({ to: '+14155550201', text: 'one' });
      await s.pump();
      s.sim.addFault({ kind: 'reject', count: 1, path: '/sms/3/messages' });
      const rejected = await s.send({ to: '+14155550202', text: 'two' });
      await s.pump();
      s.sim.addFault({
        kind: 'too-many-requests',
        count: 1,
        retryAfterSeconds: 30,
        path: '/sms/3/messages',
      });
      const retried = await s.send({ to: '+14155550203', text: 'three' });
      await s.pump();
      expect((await s.message(rejected.id)).message.status).toBe('rejected');
      expect((await s.message(retried.id)).message.status).toBe('queued');
      let now = await stats(s);
      expect(now.messages).toMatchObject({ total: 3, accepted: 1, rejected: 1, retrying: 1 });
      expect(now.queue).toEqual({ queued: 0, retrying: 1 });
      expect(now.events).toMatchObject({ sent: 1, rejected: 1, delivered: 0 });

      // 11:05 — the retry goes out; STOP from a number opts it out (its confirmation is a
      // message too), and a message to it is suppressed.
      s.clock.set('2026-12-01T11:05:00.000Z');
      await s.pump();
      const stop = await s.t.app.inject({
        method: 'POST',
        url: inboundPath,
        payload: moBody(moResult('+14155550204', 'STOP', { to: INBOUND.slice(1) })),
      });
      expect(stop.statusCode, stop.body).toBe(200);
      const suppressed = await s.send({ to: '+14155550204', text: 'promo' });
      expect(suppressed.status).toBe('suppressed');
      await s.pump(); // the opt-out confirmation
      await setConsent(db().kysely, s.clock, {
        sandbox: 'prod',
        phone: '+14155550205',
        to: 'subscribed',
        source: 'api',
      });

      // 12:10 — delivery reports for everything the provider accepted.
      s.clock.set('2026-12-01T12:10:00.000Z');
      await s.sim.flushReports();
      await eventually(async () => {
        expect((await s.message(delivered.id)).message.status).toBe('delivered');
        expect((await s.message(retried.id)).message.status).toBe('delivered');
        expect((await stats(s)).events.delivered).toBe(3);
      });

      now = await stats(s);
      expect(now.messages).toEqual({
        total: 5,
        queued: 0,
        retrying: 0,
        accepted: 0,
        delivered: 3, // two sends and the STOP confirmation
        undeliverable: 0,
        expired: 0,
        rejected: 1,
        failed: 0,
        suppressed: 1,
        paused: 0,
        cancelled: 0,
      });
      expect(now.events).toEqual({
        sent: 3,
        delivered: 3,
        undeliverable: 0,
        expired: 0,
        rejected: 1,
        failed: 0,
      });
      expect(now.queue).toEqual({ queued: 0, retrying: 0 });
      expect(now.consent).toEqual({ optIns: 1, optOuts: 1 });
      expect(now).toMatchObject({ range: '24h', bucket: 'hour', to: '2026-12-01T13:00:00.000Z' });
      expect(now.series).toHaveLength(24);
      const at = (hour: string) =>
        now.series.find((b) => b.start === `2026-12-01T${hour}:00:00.000Z`);
      expect(at('10')).toEqual({
        start: '2026-12-01T10:00:00.000Z',
        created: 3,
        sent: 1,
        delivered: 0,
        failed: 1,
        suppressed: 0,
        optIns: 0,
        optOuts: 0,
      });
      expect(at('11')).toMatchObject({ created: 2, sent: 2, suppressed: 1, optIns: 1, optOuts: 1 });
      expect(at('12')).toMatchObject({ created: 0, sent: 0, delivered: 3, failed: 0 });
      const total = (key: 'created' | 'sent' | 'delivered') =>
        now.series.reduce((n, b) => n + b[key], 0);
      expect([total('created'), total('sent'), total('delivered')]).toEqual([5, 3, 3]);

      // The channel filter: the STOP confirmation has no channel configuration.
      const channel = await stats(s, `?channelConfigurationId=${s.smsChannelId}`);
      expect(channel.messages).toMatchObject({ total: 4, delivered: 2, suppressed: 1 });
      expect(channel.channelConfigurationId).toBe(s.smsChannelId);
      expect((await stats(s, '?channelConfigurationId=nope')).messages.total).toBe(0);

      // Daily buckets; another sandbox sees nothing of this one.
      const week = await stats(s, '?range=7d');
      expect(week).toMatchObject({ bucket: 'day', from: '2026-11-25T00:00:00.000Z' });
      expect(week.series.map((b) => b.start.slice(0, 10)).at(-1)).toBe('2026-12-01');
      expect(week.series.at(-1)).toMatchObject({ created: 5, sent: 3, delivered: 3, failed: 1 });
      expect((await stats(s, '?range=30d')).series).toHaveLength(30);
      await s.t.services.sandboxes.ensure('eu');
      const other = await stats(s, '', 'eu');
      expect(other.messages.total + other.consent.optOuts).toBe(0);

      // The next day, yesterday's 10:00 has left the 24 h range; the 7 d range still has it.
      s.clock.set('2026-12-02T10:30:00.000Z');
      expect((await stats(s)).messages.total).toBe(2);
      expect((await stats(s, '?range=7d')).messages.total).toBe(5);

      // The triggers' counters equal a recomputation from the rows.
      const kept = await counters(db());
      expect(kept.length).toBeGreaterThan(0);
      await rebuildStats(db());
      expect(await counters(db())).toEqual(kept);
    } finally {
      await s.close();
    }
  });

  it('keeps counters exact when one statement settles many rows, and drops the emptied ones', async () => {
    const s = await startSendingStack(db(), { sim: { reportDelayMs: 600_000 } });
    try {
      s.clock.set('2026-12-01T08:00:00.000Z');
      const res = await s.t.app.inject({
        method: 'POST',
        url: '/api/v1/messages/batch',
        headers: s.t.auth,
        payload: {
          messages: Array.from({ length: 120 }, (_, i) => ({
            channelConfigurationId: s.smsChannelId,
            to: `+1415555${String(1000 + i)}`,
            text: `hi ${i}`,
          })),
        },
      });
      expect(res.statusCode, res.body).toBeLessThan(300);
      expect((await stats(s)).queue).toEqual({ queued: 120, retrying: 0 });
      s.clock.advance(HOUR);
      await s.pump();
      const after = await stats(s);
      expect(after.queue).toEqual({ queued: 0, retrying: 0 });
      expect(after.messages).toMatchObject({ total: 120, accepted: 120 });
      expect(after.series.find((b) => b.start === '2026-12-01T09:00:00.000Z')?.sent).toBe(120);
      // No counter row left at zero: "queued now" reads only hours that still hold some.
      for (const table of ['message_stats_hourly', 'message_stats_daily']) {
        const { rows } = await sql<{ n: number }>`
          select count(*) as n from ${sql.table(table)} where count = 0`.execute(db().kysely);
        expect(Number(rows[0]?.n)).toBe(0);
      }
      expect((await counters(db())).filter((c) => c.key.startsWith('status:queued'))).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('answers 400 naming the field and its choices for a bad query', async () => {
    const s = await startSendingStack(db());
    try {
      const res = await s.t.app.inject({ url: '/api/v1/stats?range=1y', headers: s.t.auth });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        error: {
          code: 'validation_failed',
          details: [{ path: '/querystring/range', message: 'must be one of: 24h, 7d, 30d' }],
        },
      });
      const extra = await s.t.app.inject({ url: '/api/v1/stats?sandbox=x', headers: s.t.auth });
      expect(extra.statusCode).toBe(400);
      const long = await s.t.app.inject({
        url: `/api/v1/stats?channelConfigurationId=${'a'.repeat(101)}`,
        headers: s.t.auth,
      });
      expect(long.statusCode).toBe(400);
    } finally {
      await s.close();
    }
  });
});
