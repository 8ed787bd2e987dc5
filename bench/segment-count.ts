/**
 * How long a segment count takes over 1,000,000 profiles on SQLite (issue 15 aims at ≤ 2 s).
 * A quick script, not a timed test: `npx tsx bench/segment-count.ts [profiles]`. Loads a temp
 * database (profiles with plans, ages, OFFERS keywords, a region; 1 in 10 with an inbound text and
 * a delivered message), then times `POST /v1/segments/count`'s query for a few rules, best of 3,
 * and prints SQLite's plan for each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { audienceProfiles } from '../src/audiences/audience.js';
import type { SegmentRule } from '../src/audiences/segment-rule.js';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { newId } from '../src/ids.js';

const N = Number(process.argv[2] ?? 1_000_000);
const NOW = new Date('2026-06-01T12:00:00.000Z');
const dir = mkdtempSync(join(tmpdir(), 'tern-segcount-'));
const file = join(dir, 'tern.db');

const setup = openDatabase(file);
await migrateToLatest(setup);
await setup.close();

const raw = new SQLite(file);
raw.pragma('journal_mode = WAL');
const insertProfile = raw.prepare(
  `insert into profiles (sandbox, id, phone, consent, consent_updated_at, attributes, created_at, updated_at, region)
   values ('prod', ?, ?, ?, null, ?, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', ?)`,
);
const insertInbound = raw.prepare(
  `insert into inbound_messages (id, provider_message_id, sandbox, credential_id, from_number, to_number, text, category, action, received_at, raw, webhook_credential_id, channel, parts)
   values (?, ?, 'prod', 'c', ?, '+14155550100', 'hi', 'none', null, ?, '{}', 'c', 'sms', '[]')`,
);
const insertMessage = raw.prepare(
  `insert into messages (sandbox, id, credential_id, channel, message_type, sender, to_number, text, status, attempts, valid_until, uncertain, segments, encoding, origin, created_at, updated_at, done_at)
   values ('prod', ?, 'c', 'sms', 'marketing', '+14155550100', ?, 'offer', ?, 1, '2027-01-01T00:00:00.000Z', 0, 1, 'GSM-7', 'api', ?, ?, ?)`,
);
const CONSENTS = ['subscribed', 'subscribed', 'unsubscribed', 'unknown', 'pending'];
const PLANS = ['gold', 'silver', 'bronze', undefined];
const started = Date.now();
const load = raw.transaction((from: number, to: number) => {
  for (let i = from; i < to; i++) {
    const us = i % 3 !== 0;
    const phone = us
      ? `+1415${String(2000000 + i).padStart(7, '0')}`
      : `+336${String(10000000 + i)}`;
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
    insertProfile.run(
      newId(),
      phone,
      CONSENTS[i % 5],
      JSON.stringify(attributes),
      us ? 'US' : 'FR',
    );
    if (i % 10 === 0) {
      const id = newId();
      insertInbound.run(id, id, phone, `2026-05-${day}T09:00:00.000Z`);
      const at = `2026-05-${day}T11:00:00.000Z`;
      insertMessage.run(newId(), phone, i % 20 === 0 ? 'delivered' : 'failed', at, at, at);
    }
  }
});
for (let i = 0; i < N; i += 50_000) load(i, Math.min(N, i + 50_000));
raw.pragma('wal_checkpoint(TRUNCATE)');
raw.exec('analyze');
raw.close();
console.log(
  `loaded ${N.toLocaleString()} profiles in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);

const db = openDatabase(file);
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
  const query = await audienceProfiles(
    db.kysely,
    'prod',
    { rule },
    { now: NOW, dialect: 'sqlite' },
  );
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
  const planRows = new SQLite(file, { readonly: true });
  const details = planRows
    .prepare(`explain query plan ${compiled.sql}`)
    .all(...(compiled.parameters as unknown[]))
    .map((r) => (r as { detail: string }).detail);
  planRows.close();
  console.log(
    `${name.padEnd(52)} ${String(result).padStart(8)}  ${best.toFixed(0).padStart(6)} ms  plan: ${details.join(' | ')}`,
  );
}
await db.close();
rmSync(dir, { recursive: true, force: true });
