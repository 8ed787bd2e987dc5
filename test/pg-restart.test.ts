import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { startSimulator, startTern, ternApi, type Child } from './helpers/processes.js';
import { sql } from 'kysely';
import { openDatabase, pingDatabase } from '../src/db/database.js';
import { postgresBinDir, startPrivatePostgres } from './helpers/private-postgres.js';

/**
 * PostgreSQL restarted under load, with `tern serve` as a child process: while the database is
 * down Tern stays alive and says it is not ready (`/readyz` 503), acknowledges nothing it cannot
 * store, and keeps what it acknowledged before; once the database is back it is ready again by
 * itself and every acknowledged message goes out, once.
 *
 * The database is a private cluster (initdb in a temp dir, own port), stopped with `pg_ctl -m
 * immediate` (a server crash) and started again: the real server going away and coming back,
 * connection resets, "the database system is starting up" and crash recovery included, which a
 * TCP proxy in front of the shared server would only imitate. The shared server at :5432 is
 * never touched (other tests use it meanwhile).
 */
const KEY = 'pg-restart-simulator-key-00000';
const TOKEN = 'pg-restart-admin-token-0123456';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function status(url: string): Promise<number> {
  try {
    const res = await request(url, { headersTimeout: 5000, bodyTimeout: 5000 });
    await res.body.dump();
    return res.statusCode;
  } catch {
    return 0; // no answer at all
  }
}

describe.runIf(postgresBinDir())('PostgreSQL restarted under load', () => {
  it('a transaction whose server goes away fails; the process lives on', async () => {
    const pg = await startPrivatePostgres();
    const db = openDatabase(pg.url);
    try {
      const transaction = db.kysely.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        // The server dies while this connection is checked out, between two queries.
        await pg.stop('immediate');
        await sleep(300);
        await sql`select 1`.execute(trx);
      });
      await expect(transaction).rejects.toThrow();
      expect(await pingDatabase(db)).toBe(false);
      await pg.start();
      expect(await pingDatabase(db)).toBe(true);
    } finally {
      await db.close();
      await pg.destroy();
    }
  });

  it(
    'not ready while the database is down, loses nothing acknowledged, recovers by itself',
    { timeout: 180_000 },
    async () => {
      const pg = await startPrivatePostgres();
      const sim = await startSimulator(KEY, ['--dlr-delay-ms', '200', '--time-factor', '0.01']);
      let tern: Child | undefined;
      try {
        tern = await startTern({
          DATABASE_URL: pg.url,
          TERN_ADMIN_TOKEN: TOKEN,
          TERN_ALLOW_LOOPBACK_PROVIDER: 'true',
          TERN_SECRET_KEY: 'ef'.repeat(32),
          // A batch whose settling failed with the database is taken over after 3 s.
          TERN_SEND_LEASE_MS: '3000',
          TERN_RETRY_BASE_MS: '500',
          LOG_LEVEL: 'fatal',
        });
        const base = tern.url;
        const api = <T>(method: 'GET' | 'POST', path: string, body?: unknown) =>
          ternApi<T>(base, TOKEN, method, path, body);
        const credential = await api<{ id: string }>('POST', '/api/v1/credentials', {
          name: 'pg-restart',
          baseUrl: sim.url,
          apiKey: KEY,
          sendRatePerSecond: 10_000,
        });
        const channel = await api<{ id: string }>('POST', '/api/v1/channel-configurations', {
          name: 'pg-restart',
          credentialId: credential.id,
          sender: 'TERN',
        });

        // The load: a batch of 20 every 100 ms; readiness probed every 100 ms.
        const acknowledged = new Set<string>();
        const refusedStatuses = new Map<number, number>();
        const readiness: { at: number; status: number }[] = [];
        let loading = true;
        let sequence = 0;
        const sendLoop = (async () => {
          while (loading) {
            const messages = Array.from({ length: 20 }, () => ({
              channelConfigurationId: channel.id,
              to: `+1415800${String(++sequence % 10_000).padStart(4, '0')}`,
              text: `pg restart ${sequence}`,
            }));
            try {
              const res = await request(`${base}/api/v1/messages/batch`, {
                method: 'POST',
                headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
                body: JSON.stringify({ messages }),
                headersTimeout: 15_000,
              });
              const text = await res.body.text();
              if (res.statusCode < 300) {
                for (const r of (JSON.parse(text) as { results: { message?: { id: string } }[] })
                  .results)
                  if (r.message) acknowledged.add(r.message.id);
              } else {
                refusedStatuses.set(res.statusCode, (refusedStatuses.get(res.statusCode) ?? 0) + 1);
              }
            } catch {
              refusedStatuses.set(0, (refusedStatuses.get(0) ?? 0) + 1);
            }
            await sleep(100);
          }
        })();
        const probeLoop = (async () => {
          while (loading) {
            readiness.push({ at: Date.now(), status: await status(`${base}/readyz`) });
            await sleep(100);
          }
        })();
        const readyAfter = async (from: number, want: number, timeoutMs: number) => {
          const deadline = Date.now() + timeoutMs;
          while (Date.now() < deadline) {
            const seen = readiness.find((r) => r.at >= from && r.status === want);
            if (seen) return seen.at;
            await sleep(50);
          }
          throw new Error(`/readyz never answered ${want}: ${JSON.stringify(readiness.slice(-5))}`);
        };

        await sleep(2000);
        const ackedBeforeStop = acknowledged.size;
        expect(ackedBeforeStop).toBeGreaterThan(0);
        const stoppedAt = Date.now();
        await pg.stop('immediate');
        const notReadyAt = await readyAfter(stoppedAt, 503, 15_000);
        // Down for 8 s: still alive (healthz), not ready, acknowledging nothing.
        await sleep(8000);
        const ackedWhileDown = acknowledged.size;
        expect(tern.process.exitCode).toBeNull();
        expect(await status(`${base}/healthz`)).toBe(200);
        expect(await status(`${base}/readyz`)).toBe(503);
        const restartedAt = Date.now();
        await pg.start();
        const readyAgainAt = await readyAfter(restartedAt, 200, 30_000);
        await sleep(2000);
        loading = false;
        await Promise.all([sendLoop, probeLoop]);
        console.log(
          `PostgreSQL down ${((restartedAt - stoppedAt) / 1000).toFixed(1)} s: /readyz 503 after ${notReadyAt - stoppedAt} ms, 200 again ${readyAgainAt - restartedAt} ms after the restart; ` +
            `acknowledged ${ackedBeforeStop} before, ${acknowledged.size - ackedWhileDown} after, ${ackedWhileDown - ackedBeforeStop} around the stop; refused ${JSON.stringify(Object.fromEntries(refusedStatuses))}`,
        );
        expect(acknowledged.size).toBeGreaterThan(ackedWhileDown); // takes work again
        expect(refusedStatuses.size).toBeGreaterThan(0); // and refused it while down
        // ...as unavailable, with Retry-After: never as if Tern itself had failed.
        expect([...refusedStatuses.keys()].filter((s) => s !== 503 && s !== 0)).toEqual([]);

        // Every acknowledged message is stored and goes out exactly once.
        const db = openDatabase(pg.url);
        try {
          const deadline = Date.now() + 60_000;
          let open: { id: string; status: string }[] = [];
          for (;;) {
            const rows = await db.kysely.selectFrom('messages').select(['id', 'status']).execute();
            const stored = new Set(rows.map((r) => r.id));
            expect([...acknowledged].filter((id) => !stored.has(id))).toEqual([]);
            open = rows.filter((r) => r.status !== 'delivered');
            if (open.length === 0 || Date.now() > deadline) break;
            await sleep(500);
          }
          expect(open).toEqual([]);
        } finally {
          await db.close();
        }
        const state = (await (await request(`${sim.url}/__sim/state`)).body.json()) as {
          messages: number;
          duplicateCount: number;
        };
        expect(state.duplicateCount).toBe(0);
        expect(state.messages).toBeGreaterThanOrEqual(acknowledged.size);
        expect(tern.process.exitCode).toBeNull(); // never crashed
      } finally {
        if (tern && (tern.process.exitCode !== null || tern.process.signalCode !== null))
          console.log(`Tern died (${tern.process.exitCode}):\n${tern.output().slice(-4000)}`);
        await tern?.stop();
        await sim.stop();
        await pg.destroy();
      }
    },
  );
});
