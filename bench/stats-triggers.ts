/**
 * What the statistics triggers (migration 0014) cost the message write paths: 100,000 messages
 * inserted in 500-row statements (the batch API's chunks), claimed (queued → sending) and settled
 * (→ accepted) 500 rows a statement as the worker does, then delivered one row a statement, 100
 * a transaction, as a delivery-report POST of 100 does. Each database is measured twice in the
 * same run, with the triggers and with them dropped (the reference).
 *
 *   npx tsx bench/stats-triggers.ts [--messages 100000]
 *   TERN_TEST_DATABASE_URL=postgres://… adds PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase, type Db } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { newId } from '../src/ids.js';

const args = process.argv.slice(2);
const N = Number(args[args.indexOf('--messages') + 1] || 100_000) || 100_000;
const PG_URL = process.env.TERN_BENCH_DATABASE_URL ?? process.env.TERN_TEST_DATABASE_URL;
const HOUR_MS = 3_600_000;

type Phase = 'insert' | 'claim' | 'settle' | 'deliver';
const PHASES: Phase[] = ['insert', 'claim', 'settle', 'deliver'];

async function withDb<T>(dialect: 'sqlite' | 'postgres', work: (db: Db) => Promise<T>) {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'tern-stats-bench-'));
    const db = openDatabase(join(dir, 'tern.db'));
    try {
      return await work(db);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const db = openDatabase(PG_URL!, { schema, poolSize: 2 });
  try {
    return await work(db);
  } finally {
    await db.close();
    await admin.query(`drop schema ${schema} cascade`);
    await admin.end();
  }
}

async function dropTriggers(db: Db): Promise<void> {
  const on = db.capabilities.name === 'postgres' ? ' ON messages' : '';
  for (const t of ['message_stats_insert', 'message_stats_update'])
    await sql.raw(`DROP TRIGGER ${t}${on}`).execute(db.kysely);
}

function row(id: string, at: string) {
  return {
    sandbox: 'prod',
    id,
    channel_configuration_id: 'channel-1',
    credential_id: 'credential-1',
    channel: 'sms',
    message_type: 'text',
    sender: 'Tern',
    to_number: '+447911123456',
    text: 'Your code is 123456',
    media: null,
    callback_data: null,
    status: 'queued',
    status_reason: null,
    attempts: 0,
    next_attempt_at: at,
    valid_until: new Date(Date.parse(at) + 48 * HOUR_MS).toISOString(),
    uncertain: 0,
    uncertain_since: null,
    lease_owner: null,
    lease_expires_at: null,
    provider_status: null,
    provider_error: null,
    provider_message_id: null,
    last_provider_error: null,
    last_provider_error_at: null,
    segments: 1,
    encoding: 'GSM7',
    idempotency_key: null,
    request_hash: null,
    send_at: null,
    origin: 'api',
    inbound_message_id: null,
    dlt_content_template_id: null,
    dlt_telemarketer_id: null,
    created_at: at,
    updated_at: at,
    accepted_at: null,
    done_at: null,
  };
}

async function run(db: Db): Promise<Record<Phase, number>> {
  const k = db.kysely;
  const ids = Array.from({ length: N }, () => newId());
  const at = () => new Date().toISOString();
  const chunks = (size: number) =>
    Array.from({ length: Math.ceil(N / size) }, (_, i) => ids.slice(i * size, (i + 1) * size));
  const timed = async (work: () => Promise<void>) => {
    const start = performance.now();
    await work();
    return performance.now() - start;
  };
  const result = {} as Record<Phase, number>;
  result.insert = await timed(async () => {
    for (const chunk of chunks(500)) {
      const now = at();
      await k
        .insertInto('messages')
        .values(chunk.map((id) => row(id, now)))
        .execute();
    }
  });
  result.claim = await timed(async () => {
    for (const chunk of chunks(500))
      await k
        .updateTable('messages')
        .set({ status: 'sending', lease_owner: 'w', updated_at: at() })
        .where('sandbox', '=', 'prod')
        .where('id', 'in', chunk)
        .execute();
  });
  result.settle = await timed(async () => {
    for (const chunk of chunks(500)) {
      const now = at();
      await k
        .updateTable('messages')
        .set({ status: 'accepted', lease_owner: null, accepted_at: now, updated_at: now })
        .where('sandbox', '=', 'prod')
        .where('id', 'in', chunk)
        .execute();
    }
  });
  result.deliver = await timed(async () => {
    for (const chunk of chunks(100))
      await k.transaction().execute(async (trx) => {
        for (const id of chunk) {
          const now = at();
          await trx
            .updateTable('messages')
            .set({ status: 'delivered', done_at: now, updated_at: now })
            .where('sandbox', '=', 'prod')
            .where('id', '=', id)
            .execute();
        }
      });
  });
  return result;
}

const dialects: ('sqlite' | 'postgres')[] = PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];
console.log(`stats triggers: ${N.toLocaleString('en')} messages, ms per phase (µs/message)`);
for (const dialect of dialects) {
  const measured: Record<'without' | 'with', Record<Phase, number>> = {} as never;
  for (const mode of ['without', 'with'] as const)
    measured[mode] = await withDb(dialect, async (db) => {
      await migrateToLatest(db);
      if (mode === 'without') await dropTriggers(db);
      return run(db);
    });
  for (const phase of PHASES) {
    const w = measured.with[phase];
    const wo = measured.without[phase];
    console.log(
      `${dialect.padEnd(8)} ${phase.padEnd(8)} without ${wo.toFixed(0).padStart(6)} ms ` +
        `(${((wo * 1000) / N).toFixed(1)} µs)  with ${w.toFixed(0).padStart(6)} ms ` +
        `(${((w * 1000) / N).toFixed(1)} µs)  ×${(w / wo).toFixed(2)}`,
    );
  }
}
