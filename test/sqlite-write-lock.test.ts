import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../src/db/database.js';
import { isDatabaseUnavailable } from '../src/db/dialect.js';
import { BEGIN_RETRY_BUDGET_MS, GroupCommitter } from '../src/db/group-commit.js';
import { PROBE_REUSE_MS } from '../src/db/sqlite-locking.js';
import { startSimulator, startTern, ternApi, type Child } from './helpers/processes.js';

/**
 * Row 18 of issue 12: a SQLite write lock held by another process (`sqlite3 tern.db 'BEGIN
 * IMMEDIATE'` left open) froze Tern's event loop, /healthz included, for the 5 s busy timeout of
 * every write, while /readyz said ready. The lock is held here by a second connection, as that
 * other process would hold it.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Another connection to `file` holding the write lock until released. */
function holdWriteLock(file: string): { release(): void } {
  const holder = new SQLite(file);
  holder.exec('BEGIN IMMEDIATE');
  return {
    release: () => {
      holder.exec('ROLLBACK');
      holder.close();
    },
  };
}

describe('a SQLite write lock held elsewhere, in process', () => {
  let dir: string;
  let file: string;
  let db: Db;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tern-lock-'));
    file = join(dir, 'tern.db');
    db = openDatabase(file);
    await sql`create table items (n integer not null)`.execute(db.kysely);
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const insert = (committer: GroupCommitter, n: number) =>
    committer.run((trx) => sql`insert into items (n) values (${n})`.execute(trx));
  const count = async () =>
    (await sql<{ c: number }>`select count(*) as c from items`.execute(db.kysely)).rows[0]?.c;

  it('a group commit that meets the lock begins again and commits once it is released', async () => {
    const lock = holdWriteLock(file);
    const committer = new GroupCommitter(db);
    const started = performance.now();
    const done = Promise.all([insert(committer, 1), insert(committer, 2)]);
    setTimeout(() => lock.release(), 300);
    await done;
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(await count()).toBe(2);
  });

  it('past its budget the batch fails as unavailable, having written nothing', async () => {
    const lock = holdWriteLock(file);
    try {
      const started = performance.now();
      const error = await insert(new GroupCommitter(db), 1).catch((e: unknown) => e);
      const elapsed = performance.now() - started;
      expect(isDatabaseUnavailable(error)).toBe(true);
      expect((error as { code?: string }).code).toMatch(/^SQLITE_BUSY/);
      expect(elapsed).toBeGreaterThan(BEGIN_RETRY_BUDGET_MS / 2);
      expect(elapsed).toBeLessThan(BEGIN_RETRY_BUDGET_MS + 500);
    } finally {
      lock.release();
    }
    expect(await count()).toBe(0);
  });

  it('one statement waits for the lock 50 ms at most, and reads go on', async () => {
    const lock = holdWriteLock(file);
    try {
      const started = performance.now();
      const error = await sql`insert into items (n) values (1)`
        .execute(db.kysely)
        .catch((e: unknown) => e);
      expect((error as { code?: string }).code).toMatch(/^SQLITE_BUSY/);
      // Synchronous in better-sqlite3: this is how long the event loop stood still.
      expect(performance.now() - started).toBeLessThan(80);
      expect(await count()).toBe(0);
    } finally {
      lock.release();
    }
  });

  it('writable() says false while the lock is held, true once it is released', async () => {
    expect(await db.writable()).toBe(true);
    const lock = holdWriteLock(file);
    // Within the reuse window, but a write has met the lock since: the answer is not reused.
    await expect(sql`insert into items (n) values (1)`.execute(db.kysely)).rejects.toThrow();
    expect(await db.writable()).toBe(false);
    lock.release();
    // The answer is reused for a second (/readyz cannot become a stream of 50 ms stalls).
    expect(await db.writable()).toBe(false);
    await sleep(PROBE_REUSE_MS);
    expect(await db.writable()).toBe(true);
  });
});

const KEY = 'write-lock-simulator-key-00000';
const TOKEN = 'write-lock-admin-token-0123456';

describe('tern serve while another process holds the SQLite write lock', () => {
  it(
    'stays responsive and not ready, refuses writes with 503, recovers with nothing lost',
    { timeout: 120_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tern-lock-serve-'));
      const file = join(dir, 'tern.db');
      const sim = await startSimulator(KEY, ['--dlr-delay-ms', '100', '--time-factor', '0.01']);
      let tern: Child | undefined;
      try {
        tern = await startTern({
          DATABASE_URL: file,
          TERN_ADMIN_TOKEN: TOKEN,
          TERN_ALLOW_LOOPBACK_PROVIDER: 'true',
          TERN_SECRET_KEY: 'cd'.repeat(32),
          // A batch whose settling met the lock is taken over after 3 s.
          TERN_SEND_LEASE_MS: '3000',
          TERN_RETRY_BASE_MS: '500',
          LOG_LEVEL: 'fatal',
        });
        const base = tern.url;
        const api = <T>(method: 'GET' | 'POST', path: string, body?: unknown) =>
          ternApi<T>(base, TOKEN, method, path, body);
        const credential = await api<{ id: string }>('POST', '/api/v1/credentials', {
          name: 'write-lock',
          baseUrl: sim.url,
          apiKey: KEY,
          sendRatePerSecond: 10_000,
        });
        const channel = await api<{ id: string }>('POST', '/api/v1/channel-configurations', {
          name: 'write-lock',
          credentialId: credential.id,
          sender: 'TERN',
        });

        // The load: /healthz every 20 ms (timed), a batch of 5 messages every 100 ms.
        let loading = true;
        const health: { at: number; ms: number; status: number }[] = [];
        const acknowledged = new Set<string>();
        const refused: { status: number; retryAfter: unknown }[] = [];
        let sequence = 0;
        const healthLoop = (async () => {
          while (loading) {
            const at = performance.now();
            const res = await request(`${base}/healthz`, { headersTimeout: 10_000 });
            await res.body.dump();
            health.push({ at, ms: performance.now() - at, status: res.statusCode });
            await sleep(20);
          }
        })();
        const sendLoop = (async () => {
          while (loading) {
            const messages = Array.from({ length: 5 }, () => ({
              channelConfigurationId: channel.id,
              to: `+1415700${String(++sequence).padStart(4, '0')}`,
              text: `write lock ${sequence}`,
            }));
            const res = await request(`${base}/api/v1/messages/batch`, {
              method: 'POST',
              headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
              body: JSON.stringify({ messages }),
              headersTimeout: 10_000,
            });
            const text = await res.body.text();
            if (res.statusCode < 300) {
              for (const r of (JSON.parse(text) as { results: { message?: { id: string } }[] })
                .results)
                if (r.message) acknowledged.add(r.message.id);
            } else refused.push({ status: res.statusCode, retryAfter: res.headers['retry-after'] });
            await sleep(100);
          }
        })();
        const readiness = async () => {
          const res = await request(`${base}/readyz`, { headersTimeout: 10_000 });
          return {
            status: res.statusCode,
            body: (await res.body.json()) as Record<string, unknown>,
          };
        };

        await sleep(1000);
        const ackedBefore = acknowledged.size;
        expect((await readiness()).status).toBe(200);
        const lockedAt = performance.now();
        const lock = holdWriteLock(file);
        let whileLocked = await readiness();
        while (whileLocked.status === 200 && performance.now() - lockedAt < 1500) {
          await sleep(50);
          whileLocked = await readiness();
        }
        const notReadyMs = performance.now() - lockedAt;
        await sleep(Math.max(0, 2000 - notReadyMs));
        const ackedWhileLocked = acknowledged.size;
        lock.release();
        const releasedAt = performance.now();
        let readyAgainMs: number | undefined;
        while (readyAgainMs === undefined && performance.now() - releasedAt < 5000) {
          if ((await readiness()).status === 200) readyAgainMs = performance.now() - releasedAt;
          else await sleep(50);
        }
        await sleep(1000);
        loading = false;
        await Promise.all([healthLoop, sendLoop]);

        const during = health.filter((h) => h.at >= lockedAt && h.at <= releasedAt);
        const worst = Math.max(...during.map((h) => h.ms));
        console.log(
          `write lock held ${((releasedAt - lockedAt) / 1000).toFixed(1)} s: ${during.length} /healthz, worst ${worst.toFixed(1)} ms; ` +
            `/readyz 503 after ${notReadyMs.toFixed(0)} ms, 200 again ${readyAgainMs?.toFixed(0)} ms after release; acknowledged ${ackedBefore} before, ` +
            `${acknowledged.size - ackedWhileLocked} after, refused ${refused.length} (${[...new Set(refused.map((r) => r.status))].join(', ')})`,
        );
        expect(during.length).toBeGreaterThan(20);
        expect(during.every((h) => h.status === 200)).toBe(true);
        expect(worst).toBeLessThan(100);
        expect(whileLocked.status).toBe(503);
        expect(whileLocked.body).toMatchObject({
          status: 'not_ready',
          checks: { database: 'write_locked' },
        });
        expect(whileLocked.body.reason).toMatch(/write lock/);
        expect(readyAgainMs).toBeDefined();
        // Writes met the lock: refused as unavailable with Retry-After, never as a failure.
        expect(refused.length).toBeGreaterThan(0);
        expect(refused.filter((r) => r.status !== 503 || r.retryAfter === undefined)).toEqual([]);
        expect(acknowledged.size).toBeGreaterThan(ackedWhileLocked); // takes work again

        // Every acknowledged message is stored and delivered, once.
        const reader = new SQLite(file, { readonly: true });
        try {
          const deadline = Date.now() + 30_000;
          let open: { id: string; status: string }[] = [];
          for (;;) {
            const rows = reader.prepare('select id, status from messages').all() as {
              id: string;
              status: string;
            }[];
            const stored = new Set(rows.map((r) => r.id));
            expect([...acknowledged].filter((id) => !stored.has(id))).toEqual([]);
            open = rows.filter((r) => acknowledged.has(r.id) && r.status !== 'delivered');
            if (open.length === 0 || Date.now() > deadline) break;
            await sleep(250);
          }
          expect(open.map((m) => m.status)).toEqual([]);
        } finally {
          reader.close();
        }
        const state = (await (await request(`${sim.url}/__sim/state`)).body.json()) as {
          duplicateCount: number;
        };
        expect(state.duplicateCount).toBe(0);
        expect(tern.process.exitCode).toBeNull();
      } finally {
        if (tern && (tern.process.exitCode !== null || tern.process.signalCode !== null))
          console.log(`Tern died (${tern.process.exitCode}):\n${tern.output().slice(-4000)}`);
        await tern?.stop();
        await sim.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
