import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import {
  dropPgDatabase as dropDatabase,
  freshPgDatabase as freshDatabase,
} from './helpers/pg-database.js';
import { startSimulator, startTern, ternApi, type Child } from './helpers/processes.js';
import { openDatabase, type Db } from '../src/db/database.js';
import { POSTGRES_URL } from './helpers/databases.js';

/**
 * Real processes: Tern and its workers as child processes against the simulator, 10,000
 * messages, with a second worker process on PostgreSQL and a kill -9 in the middle.
 */
const KEY = 'process-test-key-000000000000';
const TOKEN = 'process-test-admin-token-0123';
const COUNT = 10_000;

const api = <T>(base: string, method: 'GET' | 'POST', path: string, body?: unknown) =>
  ternApi<T>(base, TOKEN, method, path, body);

async function simState(sim: Child): Promise<{ messages: number; duplicateCount: number }> {
  return (await (await request(`${sim.url}/__sim/state`)).body.json()) as {
    messages: number;
    duplicateCount: number;
  };
}

/**
 * Creates the credential and channel, then sends COUNT messages through the batch API; the ids
 * the API acknowledged (202) are pushed to `ids` as they come, so a kill leaves the list true.
 */
async function sendAll(tern: Child, sim: Child, ids: string[] = []): Promise<string[]> {
  const credential = await api<{ id: string }>(tern.url, 'POST', '/api/v1/credentials', {
    name: 'procs',
    baseUrl: sim.url,
    apiKey: KEY,
    sendRatePerSecond: 10_000,
  });
  const channel = await api<{ id: string }>(tern.url, 'POST', '/api/v1/channel-configurations', {
    name: 'procs',
    credentialId: credential.id,
    sender: 'TERN',
  });
  for (let from = 0; from < COUNT; from += 1000) {
    const messages = Array.from({ length: 1000 }, (_, k) => ({
      channelConfigurationId: channel.id,
      to: `+1415${String(5_000_000 + from + k).padStart(7, '0')}`,
      text: `Message ${from + k}`,
    }));
    const res = await api<{ results: { message?: { id: string } }[] }>(
      tern.url,
      'POST',
      '/api/v1/messages/batch',
      { messages },
    );
    for (const r of res.results) if (r.message) ids.push(r.message.id);
  }
  return ids;
}

/** Waits until every message is in a final state the send path can reach (reports held back: accepted). */
async function waitAllSent(db: Db, timeoutMs = 120_000): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await db.kysely
      .selectFrom('messages')
      .select(['status', db.kysely.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    const counts = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    if ((counts.queued ?? 0) + (counts.sending ?? 0) === 0) return counts;
    if (Date.now() > deadline) throw new Error(`not all sent: ${JSON.stringify(counts)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function freshPgDatabase(): Promise<string> {
  if (!POSTGRES_URL) throw new Error('TERN_TEST_DATABASE_URL is not set');
  return freshDatabase(POSTGRES_URL);
}

function dropPgDatabase(url: string): Promise<void> {
  return dropDatabase(POSTGRES_URL ?? '', url);
}

describe.runIf(POSTGRES_URL || process.env.CI)('two worker processes on one PostgreSQL', () => {
  it(
    'send 10,000 messages: all reach the provider exactly once',
    { timeout: 300_000 },
    async () => {
      const url = await freshPgDatabase();
      const sim = await startSimulator(KEY, ['--dlr-delay-ms', '3600000']);
      const children: Child[] = [];
      try {
        const api = await startTern({
          DATABASE_URL: url,
          TERN_ADMIN_TOKEN: TOKEN,
          TERN_ALLOW_LOOPBACK_PROVIDER: 'true',
          TERN_WORKER: 'false',
        });
        children.push(api);
        const ids = await sendAll(api, sim);
        expect(ids).toHaveLength(COUNT);
        // Two worker processes start on the same queue at the same time.
        const env = {
          DATABASE_URL: url,
          TERN_ALLOW_LOOPBACK_PROVIDER: 'true',
          TERN_SEND_BATCH_SIZE: '200',
        };
        children.push(...(await Promise.all([startTern(env, 'worker'), startTern(env, 'worker')])));
        const db = openDatabase(url);
        try {
          const counts = await waitAllSent(db);
          expect(counts).toEqual({ accepted: COUNT });
        } finally {
          await db.close();
        }
        const state = await simState(sim);
        expect(state.messages).toBe(COUNT);
        expect(state.duplicateCount).toBe(0);
      } finally {
        for (const child of children) await child.stop();
        await sim.stop();
        await dropPgDatabase(url);
      }
    },
  );
});

describe('kill -9 in the middle of 10,000 sends', () => {
  const databases = [
    {
      name: 'SQLite',
      make: () => Promise.resolve(join(mkdtempSync(join(tmpdir(), 'tern-kill-')), 'tern.db')),
      drop: (u: string) => Promise.resolve(rmSync(join(u, '..'), { recursive: true, force: true })),
    },
    ...(POSTGRES_URL ? [{ name: 'PostgreSQL', make: freshPgDatabase, drop: dropPgDatabase }] : []),
  ];
  for (const database of databases) {
    it(
      `${database.name}: every message reaches a final state after a restart`,
      { timeout: 300_000 },
      async () => {
        const url = await database.make();
        const sim = await startSimulator(KEY, [
          '--dlr-delay-ms',
          '3600000',
          '--latency-ms',
          '0',
        ]).catch(() => startSimulator(KEY, ['--dlr-delay-ms', '3600000']));
        const env = {
          DATABASE_URL: url,
          TERN_ADMIN_TOKEN: TOKEN,
          TERN_ALLOW_LOOPBACK_PROVIDER: 'true',
          TERN_SEND_BATCH_SIZE: '100',
          TERN_SEND_LEASE_MS: '2000',
          TERN_SECRET_KEY: 'ab'.repeat(32),
        };
        let tern = await startTern(env);
        try {
          const acknowledged: string[] = [];
          const sending = sendAll(tern, sim, acknowledged).catch(() => null);
          // Kill Tern without warning once the provider has some of the messages.
          for (;;) {
            if ((await simState(sim)).messages >= 1500) break;
            await new Promise((r) => setTimeout(r, 10));
          }
          await tern.stop('SIGKILL');
          const accepted = await sending.catch(() => null);
          tern = await startTern(env);
          // The batches the API answered 202 for before the kill are durable; send the rest now.
          const db = openDatabase(url);
          try {
            const stored = await db.kysely
              .selectFrom('messages')
              .select(db.kysely.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow();
            if (accepted) expect(Number(stored.n)).toBe(COUNT);
            // On a timeout, what the restarted Tern logged (warnings and errors) says why.
            const counts = await waitAllSent(db).catch((error: unknown) => {
              throw new Error(`${String(error)}; Tern logged:\n${tern.output().slice(-4000)}`);
            });
            expect(Object.keys(counts)).toEqual(['accepted']);
            const state = await simState(sim);
            expect(state.messages).toBe(Number(stored.n));
            // Reconciliation through the provider logs leaves no duplicate behind the kill.
            console.log(
              `${database.name}: ${stored.n} stored, provider accepted ${state.messages}, duplicates ${state.duplicateCount}`,
            );
            expect(state.duplicateCount).toBe(0);
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
