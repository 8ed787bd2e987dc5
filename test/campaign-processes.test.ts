import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../src/db/database.js';
import { newId } from '../src/ids.js';
import { phoneRegion } from '../src/phone.js';
import { POSTGRES_URL } from './helpers/databases.js';
import { dropPgDatabase, freshPgDatabase } from './helpers/pg-database.js';
import { startSimulator, startTern, ternApi, type Child } from './helpers/processes.js';

/**
 * Campaigns with real processes: `tern serve` and the simulator as child processes, 10,000
 * subscribed profiles who texted OFFERS (and 1,000 who did not), a personalised template, an
 * estimate, a confirm, the send through the simulator paused and resumed, and the results; then
 * a SIGKILL in the middle of the fan-out, after which every recipient has exactly one message.
 */
const KEY = 'campaign-process-key-0000000000';
const TOKEN = 'campaign-process-admin-token-01';
const COUNT = 10_000;
const OTHERS = 1_000;

type Json = Record<string, unknown>;
const api = <T = Json>(
  base: string,
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  body?: unknown,
) => ternApi<T>(base, TOKEN, method, `/api/v1${path}`, body);

async function simState(sim: Child): Promise<{ messages: number; duplicateCount: number }> {
  return (await (await request(`${sim.url}/__sim/state`)).body.json()) as {
    messages: number;
    duplicateCount: number;
  };
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  seen?: () => Promise<unknown>,
  everyMs = 50,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await seen?.())}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** COUNT subscribed profiles who texted OFFERS, OTHERS subscribed who did not (as the inbound engine records a keyword). */
async function seedProfiles(url: string): Promise<void> {
  const db = openDatabase(url, { busyTimeoutMs: 5000 });
  try {
    const at = '2026-11-01T00:00:00.000Z';
    const rows = Array.from({ length: COUNT + OTHERS }, (_, i) => {
      const phone = `+1415${String(3_000_000 + i).padStart(7, '0')}`;
      const offers =
        i < COUNT ? { keywords: { OFFERS: { count: 1, firstAt: at, lastAt: at } } } : {};
      return {
        sandbox: 'prod',
        id: newId(),
        phone,
        consent: 'subscribed',
        consent_updated_at: at,
        attributes: JSON.stringify({ firstName: `Ann${i}`, ...offers }),
        created_at: at,
        updated_at: at,
        region: phoneRegion(phone),
      };
    });
    await db.kysely.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += 500)
        await trx
          .insertInto('profiles')
          .values(rows.slice(i, i + 500))
          .execute();
    });
  } finally {
    await db.close();
  }
}

/** Credential, marketing channel, OFFERS-and-subscribed segment, template and a draft campaign. */
async function draftCampaign(tern: Child, sim: Child, perSecond: number): Promise<string> {
  // These processes run on the system clock: at night in California the federal window would
  // hold every +1 415 recipient. This suite is about crashes and pacing; quiet hours are tested
  // on a manual clock (send-time-policy.test.ts), so the sandbox turns the federal rule off.
  await api(tern.url, 'PATCH', '/policy/rules/us-federal', { enabled: false });
  const credential = await api<{ id: string }>(tern.url, 'POST', '/credentials', {
    name: 'procs',
    baseUrl: sim.url,
    apiKey: KEY,
    sendRatePerSecond: 5_000,
  });
  const channel = await api<{ id: string }>(tern.url, 'POST', '/channel-configurations', {
    name: 'promo',
    credentialId: credential.id,
    sender: 'TERNSHOP',
    messageType: 'marketing',
    marketingFooter: 'Reply STOP to opt out',
  });
  const segment = await api<{ id: string }>(tern.url, 'POST', '/segments', {
    name: 'offers',
    rule: { all: [{ keyword: 'OFFERS' }, { consent: { in: ['subscribed'] } }] },
  });
  const template = await api<{ id: string }>(tern.url, 'POST', '/templates', {
    name: 'spring',
    body: 'Hi {{ profile.attributes.firstName | default: "there" }}, 20% off today only.',
    messageType: 'marketing',
  });
  const campaign = await api<{ id: string }>(tern.url, 'POST', '/campaigns', {
    name: 'Spring sale',
    audience: { segmentId: segment.id },
    templateId: template.id,
    channelConfigurationId: channel.id,
    pacing: { perSecond },
  });
  return campaign.id;
}

/** The campaign's messages and recipients, checked one to one: no duplicate, no gap. */
async function oneMessageEach(db: Db, campaignId: string) {
  const recipients = await db.kysely
    .selectFrom('campaign_recipients')
    .select(['seq', 'phone', 'state', 'message_id'])
    .where('campaign_id', '=', campaignId)
    .orderBy('seq')
    .execute();
  const messages = await db.kysely
    .selectFrom('messages')
    .select(['id', 'to_number'])
    .where('campaign_id', '=', campaignId)
    .execute();
  expect(recipients).toHaveLength(COUNT);
  expect(recipients.map((r) => Number(r.seq))).toEqual(
    Array.from({ length: COUNT }, (_, i) => i + 1),
  );
  expect(recipients.every((r) => r.state === 'queued' && r.message_id !== null)).toBe(true);
  expect(messages).toHaveLength(COUNT);
  expect(new Set(messages.map((m) => m.to_number)).size).toBe(COUNT);
  const byId = new Map(messages.map((m) => [m.id, m.to_number]));
  for (const r of recipients) expect(byId.get(r.message_id ?? '')).toBe(r.phone);
}

const databases = [
  {
    name: 'SQLite',
    make: () => Promise.resolve(join(mkdtempSync(join(tmpdir(), 'tern-camp-')), 'tern.db')),
    drop: (u: string) => Promise.resolve(rmSync(join(u, '..'), { recursive: true, force: true })),
  },
  ...(POSTGRES_URL
    ? [
        {
          name: 'PostgreSQL',
          make: () => freshPgDatabase(POSTGRES_URL ?? '', 'tern_camp'),
          drop: (u: string) => dropPgDatabase(POSTGRES_URL ?? '', u),
        },
      ]
    : []),
];

describe('campaigns through real processes', () => {
  for (const database of databases) {
    it(
      `${database.name}: 10,000 recipients through the simulator, paused and resumed, results`,
      { timeout: 120_000 },
      async () => {
        const url = await database.make();
        const sim = await startSimulator(KEY, ['--dlr-delay-ms', '20']);
        const env = {
          DATABASE_URL: url,
          TERN_ADMIN_TOKEN: TOKEN,
          TERN_ALLOW_LOOPBACK_PROVIDER: 'true',
          TERN_SECRET_KEY: 'cd'.repeat(32),
        };
        const tern = await startTern(env);
        try {
          await seedProfiles(url);
          const id = await draftCampaign(tern, sim, 2_000);
          const estimate = await api<Json>(tern.url, 'POST', `/campaigns/${id}/estimate`, {});
          expect(estimate).toMatchObject({
            recipients: COUNT,
            eligible: COUNT,
            excluded: { total: 0 },
            rendering: { method: 'sampled', rendered: 5000, failures: { recipients: 0 } },
            heldByQuietHours: { held: 0, dropped: 0, byRule: [] },
          });
          const confirmedAt = Date.now();
          await api(tern.url, 'POST', `/campaigns/${id}/confirm`, {});
          const confirmMs = Date.now() - confirmedAt;
          await until('the first message at the provider', async () =>
            (await simState(sim)).messages > 0 ? true : undefined,
          );
          const firstMs = Date.now() - confirmedAt;
          expect(firstMs).toBeLessThan(2_000);

          // Pause a third of the way: nothing more reaches the provider once the calls in flight end.
          await until('3,000 sent', async () =>
            (await simState(sim)).messages >= 3_000 ? true : undefined,
          );
          await api(tern.url, 'POST', `/campaigns/${id}/pause`, {});
          await new Promise((r) => setTimeout(r, 500));
          const atPause = (await simState(sim)).messages;
          await new Promise((r) => setTimeout(r, 1_500));
          expect((await simState(sim)).messages).toBe(atPause);
          expect(atPause).toBeLessThan(COUNT);
          const paused = await api<{ messages: { paused: number } }>(
            tern.url,
            'GET',
            `/campaigns/${id}/results`,
          );
          expect(paused.messages.paused).toBeGreaterThan(0);

          const resumedAt = Date.now();
          await api(tern.url, 'POST', `/campaigns/${id}/resume`, {});
          const results = await until(
            'every message delivered',
            async () => {
              const r = await api<{ messages: Record<string, number> }>(
                tern.url,
                'GET',
                `/campaigns/${id}/results`,
              );
              return r.messages.delivered === COUNT ? r : undefined;
            },
            60_000,
            async () => [
              await api(tern.url, 'GET', `/campaigns/${id}/results`),
              await api(tern.url, 'GET', `/campaigns/${id}`),
              await simState(sim),
            ],
          );
          const resumedMs = Date.now() - resumedAt;
          expect(results).toMatchObject({
            recipients: COUNT,
            excluded: 0,
            renderFailed: 0,
            messages: { total: COUNT, sent: COUNT, delivered: COUNT, queued: 0, paused: 0 },
          });
          const state = await simState(sim);
          expect(state).toMatchObject({ messages: COUNT, duplicateCount: 0 });
          const done = await until('completed', async () => {
            const c = await api<{ status: string }>(tern.url, 'GET', `/campaigns/${id}`);
            return c.status === 'completed' ? c : undefined;
          });
          expect(done.status).toBe('completed');
          console.log(
            `${database.name}: confirm answered in ${confirmMs} ms, first message at the provider ${firstMs} ms after confirm; ${COUNT - atPause} after resume in ${resumedMs} ms (paced at 2,000/s)`,
          );
        } finally {
          await tern.stop();
          await sim.stop();
          await database.drop(url);
        }
      },
    );

    it(
      `${database.name}: a SIGKILL during the fan-out; after a restart every recipient has exactly one message`,
      { timeout: 120_000 },
      async () => {
        const url = await database.make();
        const sim = await startSimulator(KEY, ['--dlr-delay-ms', '3600000']);
        const env = {
          DATABASE_URL: url,
          TERN_ADMIN_TOKEN: TOKEN,
          TERN_ALLOW_LOOPBACK_PROVIDER: 'true',
          TERN_SECRET_KEY: 'cd'.repeat(32),
          TERN_SEND_LEASE_MS: '2000',
          // A send cut by the kill is looked up at the provider, then resent after 15 s (not 5 min).
          TERN_UNCERTAIN_LOOKUP_SCHEDULE_MS: '2000,5000,15000',
        };
        let tern = await startTern(env);
        try {
          await seedProfiles(url);
          const id = await draftCampaign(tern, sim, 5_000);
          // Confirm queues the first chunk; the runner goes on with the rest at once. Kill it
          // once the runner is a chunk or more in (most likely inside a chunk's transaction).
          const db = openDatabase(url, { busyTimeoutMs: 5000 });
          try {
            await api(tern.url, 'POST', `/campaigns/${id}/confirm`, {});
            await until(
              'the runner a chunk in',
              async () => {
                const row = await db.kysely
                  .selectFrom('campaigns')
                  .select('fanout_seq')
                  .where('id', '=', id)
                  .executeTakeFirstOrThrow();
                return Number(row.fanout_seq) >= 1_100 ? true : undefined;
              },
              30_000,
              undefined,
              2,
            );
            await tern.stop('SIGKILL');
            const atKill = await db.kysely
              .selectFrom('campaigns')
              .select(['fanout_seq', 'recipients'])
              .where('id', '=', id)
              .executeTakeFirstOrThrow();
            console.log(
              `${database.name}: killed with ${atKill.fanout_seq} of ${atKill.recipients} recipients fanned out`,
            );
            // The kill landed mid-way (else this test would prove nothing).
            expect(Number(atKill.fanout_seq)).toBeLessThan(COUNT);
            tern = await startTern(env);
            await until('the fan-out to finish', async () => {
              const c = await api<{ progress: { fannedOut: number } }>(
                tern.url,
                'GET',
                `/campaigns/${id}`,
              );
              return c.progress.fannedOut === COUNT ? true : undefined;
            });
            await oneMessageEach(db, id);
            await until(
              'every message sent',
              async () => {
                const r = await api<{ messages: { sent: number } }>(
                  tern.url,
                  'GET',
                  `/campaigns/${id}/results`,
                );
                return r.messages.sent === COUNT ? true : undefined;
              },
              60_000,
            );
            expect(await simState(sim)).toMatchObject({ messages: COUNT, duplicateCount: 0 });
          } finally {
            await db.close();
          }
        } finally {
          await tern.stop();
          await sim.stop();
          await database.drop(url);
        }
      },
    );
  }
});
