import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { ConfigError, parseConfig, type RetentionDays } from '../src/config.js';
import type { Db } from '../src/db/database.js';
import type { Database } from '../src/db/schema.js';
import { newId } from '../src/ids.js';
import { PRUNE_TARGETS } from '../src/retention/prune.js';
import {
  RETENTION_DEFAULTS,
  RetentionJob,
  RetentionPass,
  runRetentionPass,
  type RetentionDeps,
} from '../src/retention/retention.js';
import { seedMessages } from '../src/retention/seed.js';
import { runCli } from './helpers/cli.js';
import {
  createTestDatabase,
  describeEachDialect,
  migrateTestDatabase,
} from './helpers/databases.js';

const NOW = '2026-06-01T00:00:00.000Z';
const OLD = '2026-01-01T00:00:00.000Z'; // 151 days before NOW
const YOUNG = '2026-05-20T00:00:00.000Z'; // 12 days before NOW
const DAYS: RetentionDays = { messages: 90, inbound: 90, events: 90 };
const quiet = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

function deps(db: Db, days: RetentionDays = DAYS, clock = new ManualClock(NOW)): RetentionDeps {
  return { db, clock, logger: quiet, days };
}

async function count(db: Db, table: keyof Database): Promise<number> {
  const row = await db.kysely
    .selectFrom(table)
    .select(db.kysely.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Old and young rows of every kind retention knows, plus the consent ledger and a profile. */
async function seedEverything(db: Db) {
  const k = db.kysely;
  const oldFinal = await seedMessages(
    k,
    ['delivered', 'failed', 'expired', 'suppressed', 'undeliverable', 'rejected'].map((status) => ({
      sandbox: 'default',
      createdAt: OLD,
      status,
      extraHistory: 1,
      report: true,
    })),
  );
  const oldInFlight = await seedMessages(k, [
    { sandbox: 'default', createdAt: OLD, status: 'queued' },
    { sandbox: 'default', createdAt: OLD, status: 'sending' },
    { sandbox: 'default', createdAt: OLD, status: 'accepted', report: true },
    // Uncertain: queued again after a send that may have reached the provider.
    { sandbox: 'default', createdAt: OLD, status: 'queued', uncertain: true },
  ]);
  const young = await seedMessages(k, [
    { sandbox: 'default', createdAt: YOUNG, status: 'delivered', extraHistory: 1, report: true },
  ]);
  const other = await seedMessages(k, [
    { sandbox: 'prod', createdAt: OLD, status: 'delivered', extraHistory: 1, report: true },
  ]);
  await k
    .insertInto('profiles')
    .values({
      sandbox: 'default',
      id: newId(),
      phone: '+447911123456',
      consent: 'unsubscribed',
      consent_updated_at: OLD,
      attributes: '{}',
      created_at: OLD,
      updated_at: OLD,
    })
    .execute();
  await k
    .insertInto('consent_events')
    .values({
      sandbox: 'default',
      id: newId(),
      profile_id: null,
      phone_hash: 'h',
      from_state: 'subscribed',
      to_state: 'unsubscribed',
      source: 'keyword',
      inbound_message_id: null,
      actor: null,
      note: null,
      at: OLD,
    })
    .execute();
  for (const at of [OLD, YOUNG]) {
    await k
      .insertInto('inbound_messages')
      .values({
        id: newId(),
        provider_message_id: newId(),
        sandbox: 'default',
        credential_id: 'cred-seed',
        from_number: '+447911123456',
        to_number: '+447860099000',
        text: 'STOP',
        category: 'opt_out',
        action: null,
        received_at: at,
        raw: '{}',
        webhook_credential_id: 'cred-seed',
        channel: 'sms',
        parts: '[]',
      })
      .execute();
    await k
      .insertInto('webhook_rejects')
      .values({
        id: newId(),
        credential_id: 'cred-seed',
        sandbox: 'default',
        webhook: 'reports',
        dedup_key: newId(),
        item_index: 0,
        raw: '{}',
        problems: '[]',
        received_at: at,
      })
      .execute();
    await k
      .insertInto('delivery_reports')
      .values({
        id: newId(),
        dedup_key: newId(),
        sandbox: 'default',
        credential_id: 'cred-seed',
        message_id: 'no-such-message',
        matched: 0,
        received_at: at,
        raw: '{}',
      })
      .execute();
    await k
      .insertInto('events')
      .values({
        sandbox: 'default',
        id: newId(),
        type: 'message.status_changed',
        payload: '{}',
        at,
      })
      .execute();
    await k
      .insertInto('event_webhook_deliveries')
      .values({
        sandbox: 'default',
        id: newId(),
        webhook_id: 'wh',
        at,
        attempt: 1,
        outcome: 'delivered',
        http_status: 200,
        error: null,
        duration_ms: 3,
        event_count: 1,
        first_event_id: null,
        last_event_id: null,
        next_attempt_at: null,
      })
      .execute();
  }
  return { oldFinal, oldInFlight, young, other };
}

async function messageIds(db: Db): Promise<string[]> {
  const rows = await db.kysely.selectFrom('messages').select('id').orderBy('id').execute();
  return rows.map((r) => r.id);
}

describeEachDialect('retention', ({ db, dialect, testDb }) => {
  if (dialect === 'postgres')
    it('skips a chunk while another process holds the pruning lock, instead of waiting', async () => {
      await seedMessages(db().kysely, [{ sandbox: 'default', createdAt: OLD, status: 'failed' }]);
      await db()
        .kysely.connection()
        .execute(async (other) => {
          await sql`begin`.execute(other);
          await sql`select pg_advisory_xact_lock(7274015)`.execute(other);
          const pass = new RetentionPass(deps(db()));
          const pause = await pass.step();
          expect(pause).toBe(RETENTION_DEFAULTS.intervalMs / 60);
          expect(await count(db(), 'messages')).toBe(1);
          await sql`rollback`.execute(other);
          await pass.step();
          expect(await count(db(), 'messages')).toBe(0);
        });
    });

  it('prunes old final messages with their history and reports; keeps in-flight, young, consent and profiles', async () => {
    const seeded = await seedEverything(db());
    const summary = await runRetentionPass(deps(db()));

    expect(await messageIds(db())).toEqual([...seeded.oldInFlight, ...seeded.young].sort());
    // History: one row each for the 4 in-flight; two for the young one.
    expect(await count(db(), 'message_events')).toBe(4 + 2);
    // Reports: the accepted in-flight one's and the young one's; the young unmatched one.
    const reports = await db()
      .kysely.selectFrom('delivery_reports')
      .select(['message_id', 'received_at'])
      .execute();
    expect(reports.map((r) => r.message_id).sort()).toEqual(
      [seeded.oldInFlight[2]!, seeded.young[0]!, 'no-such-message'].sort(),
    );
    expect(reports.find((r) => r.message_id === 'no-such-message')?.received_at).toBe(YOUNG);
    for (const table of [
      'inbound_messages',
      'webhook_rejects',
      'events',
      'event_webhook_deliveries',
    ] as const)
      expect(await count(db(), table)).toBe(1); // the young one
    expect(await count(db(), 'consent_events')).toBe(1);
    expect(await count(db(), 'profiles')).toBe(1);

    expect(summary.deleted).toEqual({
      messages: 7, // 6 old final in default, 1 in prod
      message_events: 14,
      delivery_reports: 8, // 7 matched + 1 unmatched
      webhook_rejects: 1,
      inbound_messages: 1,
      events: 1,
      event_webhook_deliveries: 1,
    });
    expect(summary.cutoffs.messages).toBe('2026-03-03T00:00:00.000Z'); // NOW − 90 days

    // A second pass finds nothing more.
    const again = await runRetentionPass(deps(db()));
    expect(Object.values(again.deleted).every((n) => n === 0)).toBe(true);
  });

  it('follows the fake clock: nothing is old until the clock passes the retention', async () => {
    await seedMessages(db().kysely, [{ sandbox: 'default', createdAt: OLD, status: 'delivered' }]);
    const clock = new ManualClock('2026-03-31T00:00:00.000Z'); // 89 days after OLD
    await runRetentionPass(deps(db(), DAYS, clock));
    expect(await count(db(), 'messages')).toBe(1);
    clock.advance(2 * 86_400_000); // 91 days
    await runRetentionPass(deps(db(), DAYS, clock));
    expect(await count(db(), 'messages')).toBe(0);
  });

  it('keeps each kind by its own setting; 0 keeps it forever', async () => {
    await seedEverything(db());
    const summary = await runRetentionPass(deps(db(), { messages: 0, inbound: 90, events: 0 }));
    expect(await count(db(), 'messages')).toBe(12);
    expect(await count(db(), 'events')).toBe(2);
    expect(await count(db(), 'event_webhook_deliveries')).toBe(2);
    expect(await count(db(), 'inbound_messages')).toBe(1);
    expect(await count(db(), 'webhook_rejects')).toBe(1);
    expect(summary.cutoffs.messages).toBeNull();
    expect(summary.cutoffs.unmatched_reports).toBeNull();
  });

  it('deletes in chunks of at most maxChunkRows, pausing between them', async () => {
    const old = Array.from({ length: 95 }, () => ({
      sandbox: 'default',
      createdAt: OLD,
      status: 'delivered',
      extraHistory: 1,
      report: true,
    }));
    // In-flight rows among them at the same age are stepped over, not re-read forever.
    old.splice(40, 0, {
      sandbox: 'default',
      createdAt: OLD,
      status: 'queued',
      extraHistory: 0,
      report: false,
    });
    await seedMessages(db().kysely, old);
    const pass = new RetentionPass(deps(db()), { ...RETENTION_DEFAULTS, maxChunkRows: 10 });
    const sizes: number[] = [];
    const pauses: number[] = [];
    let before = await count(db(), 'messages');
    while (!pass.done) {
      const pause = await pass.step();
      const after = await count(db(), 'messages');
      sizes.push(before - after);
      pauses.push(pause);
      before = after;
    }
    expect(await count(db(), 'messages')).toBe(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(10);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(95);
    expect(pass.summary.chunks).toBeGreaterThanOrEqual(10);
    // Every chunk but the pass's last is followed by a pause of at least minPauseMs.
    expect(pauses.slice(0, -1).every((p) => p >= RETENTION_DEFAULTS.minPauseMs)).toBe(true);
    expect(pass.summary.maxChunkMs).toBeGreaterThan(0);
    expect(pass.summary.deleted.message_events).toBe(190);
  });

  if (dialect === 'sqlite')
    it('retries a chunk in a second while another connection holds the write lock', async () => {
      await seedMessages(db().kysely, [{ sandbox: 'default', createdAt: OLD, status: 'failed' }]);
      const other = new SQLite(testDb().url);
      other.exec('begin immediate');
      const lines: string[] = [];
      const record = (_o: unknown, msg?: string) => void lines.push(msg ?? '');
      const job = new RetentionJob({
        ...deps(db()),
        logger: { ...quiet, debug: record, info: record },
      });
      job.start();
      try {
        for (let i = 0; i < 100 && !lines.some((l) => l.includes('busy')); i++)
          await new Promise((r) => setTimeout(r, 20));
        expect(lines).toContain('retention: database busy, retrying the chunk');
        expect(await count(db(), 'messages')).toBe(1);
        other.exec('commit');
        for (let i = 0; i < 150 && !lines.includes('retention pass done'); i++)
          await new Promise((r) => setTimeout(r, 20));
        expect(await count(db(), 'messages')).toBe(0);
      } finally {
        await job.stop();
        other.close();
      }
    });

  it('runs as a background job with start and stop', async () => {
    await seedEverything(db());
    const lines: string[] = [];
    const logger = { ...quiet, info: (_o: unknown, msg?: string) => void lines.push(msg ?? '') };
    const job = new RetentionJob({ ...deps(db()), logger });
    job.start();
    for (let i = 0; i < 200 && !lines.includes('retention pass done'); i++)
      await new Promise((r) => setTimeout(r, 25));
    await job.stop();
    expect(await count(db(), 'messages')).toBe(5);
    expect(await count(db(), 'events')).toBe(1);
    expect(lines).toContain('retention pass done');
  });
});

it('every prune target is a table other than the consent ledger and profiles', () => {
  const tables = new Set<string>(PRUNE_TARGETS);
  for (const kept of ['consent_events', 'profiles', 'audit_events', 'credentials'])
    expect(tables.has(kept)).toBe(false);
});

it('configuration: defaults, off, per-kind overrides and clear errors', () => {
  expect(parseConfig({}).retentionDays).toEqual({ messages: 90, inbound: 90, events: 90 });
  expect(parseConfig({ TERN_RETENTION_DAYS: 'off' }).retentionDays).toEqual({
    messages: 0,
    inbound: 0,
    events: 0,
  });
  expect(
    parseConfig({ TERN_RETENTION_DAYS: '30', TERN_RETENTION_EVENTS_DAYS: '7' }).retentionDays,
  ).toEqual({ messages: 30, inbound: 30, events: 7 });
  try {
    parseConfig({ TERN_RETENTION_DAYS: '-1', TERN_RETENTION_INBOUND_DAYS: '99999' });
    expect.unreachable();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'TERN_RETENTION_DAYS must be a whole number of days from 0 to 36500, or "off" (got "-1")',
      'TERN_RETENTION_INBOUND_DAYS must be a whole number of days from 0 to 36500, or "off" (got "99999")',
    ]);
  }
});

it('tern prune runs one pass and prints what it deleted', async () => {
  const testDb = await createTestDatabase('sqlite');
  const db = testDb.open();
  try {
    await migrateTestDatabase(db);
    // The CLI runs on the system clock: 2020 is older than any retention of under 5 years.
    await seedMessages(db.kysely, [
      { sandbox: 'prod', createdAt: '2020-01-01T00:00:00.000Z', status: 'delivered', report: true },
      { sandbox: 'prod', createdAt: '2020-01-01T00:00:00.000Z', status: 'queued' },
      { sandbox: 'prod', createdAt: new Date().toISOString(), status: 'delivered' },
    ]);
    const env = { DATABASE_URL: testDb.url, TERN_RETENTION_EVENTS_DAYS: 'off' };
    const run = await runCli(['prune'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Pruning: messages older than 90 days');
    expect(run.stdout).toMatch(
      /Done: 3 rows deleted \(messages 1, message_events 1, delivery_reports 1\)/,
    );
    expect(run.stdout).toContain('events: kept forever');
    expect(await count(db, 'messages')).toBe(2);
    const json = await runCli(['prune', '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ deleted: {} });
    const off = await runCli(['prune'], {
      ...env,
      TERN_RETENTION_DAYS: 'off',
      TERN_RETENTION_EVENTS_DAYS: '',
    });
    expect(off.stdout).toContain('Retention is off');
  } finally {
    await db.close();
    await testDb.dispose();
  }
}, 60_000);
