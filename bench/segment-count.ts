/**
 * How long a segment count takes over 1,000,000 profiles (issue 15 aims at ≤ 2 s on SQLite).
 * A quick script, not a timed test: `npx tsx bench/segment-count.ts [profiles]`. Loads a temp
 * database (profiles with plans, ages, OFFERS keywords, a region; 1 in 10 with an inbound text and
 * a message), then times `POST /v1/segments/count`'s query for a few rules, best of 3, and prints
 * the plan of each. With TERN_BENCH_DATABASE_URL=postgres://…, the same on PostgreSQL (in a
 * schema of its own, dropped after).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import { audienceProfiles } from '../src/audiences/audience.js';
import type { SegmentRule } from '../src/audiences/segment-rule.js';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { newId } from '../src/ids.js';

const N = Number(process.argv[2] ?? 1_000_000);
const PG_URL = process.env.TERN_BENCH_DATABASE_URL;
const NOW = new Date('2026-06-01T12:00:00.000Z');
const dir = mkdtempSync(join(tmpdir(), 'tern-segcount-'));
const file = join(dir, 'tern.db');
const schema = `bench_segments_${Date.now().toString(36)}`;

const CONSENTS = ['subscribed', 'subscribed', 'unsubscribed', 'unknown', 'pending'];
const PLANS = ['gold', 'silver', 'bronze', undefined];
/** Profile i, with an inbound text and a message for 1 in 10. */
function person(i: number) {
  const us = i % 3 !== 0;
  const phone = us ? `+1415${String(2000000 + i).padStart(7, '0')}` : `+336${String(10000000 + i)}`;
  const day = String(1 + (i % 28)).padStart(2, '0');
  const attributes: Record<string, unknown> = { age: 18 + (i % 60) };
  const plan = PLANS[i % 4];
  if (plan) attributes.plan = plan;
  if (i % 5 === 0)
    attributes.keywords = {
      OFFERS: {
        count: 1 + (i % 3),
        firstAt: '2026-01-01T00:00:00.000Z',
        lastAt: `2026-05-${day}T10:00:00.000Z`,
      },
    };
  const profile = {
    sandbox: 'prod',
    id: newId(),
    phone,
    consent: CONSENTS[i % 5]!,
    consent_updated_at: null,
    attributes: JSON.stringify(attributes),
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    region: us ? 'US' : 'FR',
  };
  if (i % 10 !== 0) return { profile };
  const id = newId();
  const at = `2026-05-${day}T11:00:00.000Z`;
  return {
    profile,
    inbound: {
      id,
      provider_message_id: id,
      sandbox: 'prod',
      credential_id: 'c',
      from_number: phone,
      to_number: '+14155550100',
      text: 'hi',
      category: 'none',
      action: null,
      received_at: `2026-05-${day}T09:00:00.000Z`,
      raw: '{}',
      webhook_credential_id: 'c',
      channel: 'sms',
      parts: '[]',
    },
    message: {
      sandbox: 'prod',
      id: newId(),
      credential_id: 'c',
      channel: 'sms',
      message_type: 'marketing',
      sender: '+14155550100',
      to_number: phone,
      text: 'offer',
      status: i % 20 === 0 ? 'delivered' : 'failed',
      attempts: 1,
      valid_until: '2027-01-01T00:00:00.000Z',
      uncertain: 0,
      segments: 1,
      encoding: 'GSM-7',
      origin: 'api',
      created_at: at,
      updated_at: at,
      done_at: at,
    },
  };
}

async function pgAdmin(query: string) {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(query);
  await admin.end();
}

const started = Date.now();
if (PG_URL) {
  await pgAdmin(`create schema ${schema}`);
  const setup = openDatabase(PG_URL, { schema });
  await migrateToLatest(setup);
  for (let i = 0; i < N; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, N - i) }, (_, k) => person(i + k));
    await setup.kysely.transaction().execute(async (trx) => {
      await trx
        .insertInto('profiles')
        .values(batch.map((b) => b.profile))
        .execute();
      const inbound = batch.flatMap((b) => (b.inbound ? [b.inbound] : []));
      if (inbound.length > 0) await trx.insertInto('inbound_messages').values(inbound).execute();
      const messages = batch.flatMap((b) => (b.message ? [b.message] : []));
      if (messages.length > 0) await trx.insertInto('messages').values(messages).execute();
    });
  }
  await sql`analyze`.execute(setup.kysely);
  await setup.close();
} else {
  const setup = openDatabase(file);
  await migrateToLatest(setup);
  await setup.close();
  const raw = new SQLite(file);
  raw.pragma('journal_mode = WAL');
  const insert = (table: string, row: Record<string, unknown>) =>
    raw.prepare(
      `insert into ${table} (${Object.keys(row).join(', ')}) values (${Object.keys(row)
        .map((k) => `@${k}`)
        .join(', ')})`,
    );
  const sample = person(0);
  const insertProfile = insert('profiles', sample.profile);
  const insertInbound = insert('inbound_messages', sample.inbound!);
  const insertMessage = insert('messages', sample.message!);
  const load = raw.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const p = person(i);
      insertProfile.run(p.profile);
      if (p.inbound) insertInbound.run(p.inbound);
      if (p.message) insertMessage.run(p.message);
    }
  });
  for (let i = 0; i < N; i += 50_000) load(i, Math.min(N, i + 50_000));
  raw.pragma('wal_checkpoint(TRUNCATE)');
  raw.exec('analyze');
  raw.close();
}
const loadedS = ((Date.now() - started) / 1000).toFixed(1);
console.log(
  `loaded ${N.toLocaleString()} profiles on ${PG_URL ? 'PostgreSQL' : 'SQLite'} in ${loadedS} s`,
);

const db = PG_URL ? openDatabase(PG_URL, { schema }) : openDatabase(file);
const RULES: [string, SegmentRule][] = [
  ['consent', { consent: { in: ['subscribed'] } }],
  ['OFFERS and subscribed', { all: [{ keyword: 'OFFERS' }, { consent: { in: ['subscribed'] } }] }],
  ['OFFERS within 7d, 2+ times', { keyword: 'OFFERS', since: '7d', atLeast: 2 }],
  ['attribute eq', { attribute: 'plan', eq: 'gold' }],
  [
    'attribute numeric range',
    {
      all: [
        { attribute: 'age', gte: 30 },
        { attribute: 'age', lt: 40 },
      ],
    },
  ],
  ['country', { country: { in: ['FR'] } }],
  ['last inbound within 7d', { lastInbound: { within: '7d' } }],
  [
    'delivered within 7d and not failed',
    { all: [{ lastDelivered: { within: '7d' } }, { not: { lastFailed: {} } }] },
  ],
  [
    'the issue example (OFFERS, subscribed, US, not gold)',
    {
      all: [
        { keyword: 'OFFERS' },
        { consent: { in: ['subscribed'] } },
        { country: { in: ['US'] } },
        { not: { attribute: 'plan', eq: 'gold' } },
      ],
    },
  ],
];
for (const [name, rule] of RULES) {
  const query = await audienceProfiles(db.kysely, 'prod', { rule }, { now: NOW });
  const count = db.kysely
    .selectFrom(query.as('a'))
    .select((eb) => eb.fn.countAll<number>().as('count'));
  let best = Infinity;
  let result = 0;
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    result = Number((await count.executeTakeFirstOrThrow()).count);
    best = Math.min(best, performance.now() - t0);
  }
  const compiled = count.compile();
  let details: string[];
  if (PG_URL) {
    // EXPLAIN takes no parameters: the bench's own constants, quoted, in their place.
    const literal = (v: unknown): string =>
      typeof v === 'number'
        ? String(v)
        : Array.isArray(v)
          ? `'{${v.map((x) => `"${String(x)}"`).join(',')}}'`
          : `'${String(v).replace(/'/g, "''")}'`;
    const text = compiled.sql.replace(/\$(\d+)/g, (_, n: string) =>
      literal(compiled.parameters[Number(n) - 1]),
    );
    const { rows } = await sql<{ 'QUERY PLAN': string }>`explain ${sql.raw(text)}`.execute(
      db.kysely,
    );
    details = rows
      .map((r) => r['QUERY PLAN'].trim())
      .filter((l) => /Scan|SubPlan/.test(l))
      .slice(0, 3);
  } else {
    const plans = new SQLite(file, { readonly: true });
    details = plans
      .prepare(`explain query plan ${compiled.sql}`)
      .all(...(compiled.parameters as unknown[]))
      .map((r) => (r as { detail: string }).detail);
    plans.close();
  }
  console.log(
    `${name.padEnd(52)} ${String(result).padStart(8)}  ${best.toFixed(0).padStart(6)} ms  plan: ${details.join(' | ')}`,
  );
}
await db.close();
rmSync(dir, { recursive: true, force: true });
if (PG_URL) await pgAdmin(`drop schema ${schema} cascade`);
