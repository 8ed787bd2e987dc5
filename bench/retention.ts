/**
 * Retention at volume: the database size per million messages, the plans of the prune scans,
 * and the prune rate with the longest chunk transaction (on SQLite: the write-lock hold).
 *
 *   npx tsx bench/retention.ts [--messages 1000000] [--history 3] [--events 2] [--no-pg] [--pg URL]
 *
 * Loads `--messages` delivered messages straight into the tables (each with `--history` status
 * rows, the last carrying the raw report, `--events` status events and one raw delivery report,
 * as the send and report paths store them for a delivered message: queued, accepted, delivered), 90 % of them older than the retention; measures the size; prints the
 * query plans of the candidate reads; then runs one retention pass as the job does and prints
 * rows/s, the longest chunk and the event-loop delay meanwhile (what a request would wait).
 */
import { statSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { ManualClock } from '../src/clock.js';
import { openDatabase, type Db } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { exportMessagesCsv } from '../src/messages/message-export.js';
import { RetentionPass } from '../src/retention/retention.js';
import { seedMessages } from '../src/retention/seed.js';
import { freshPostgresDatabase } from './lib/script.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000000' },
    history: { type: 'string', default: '3' },
    events: { type: 'string', default: '2' },
    pg: {
      type: 'string',
      default: 'postgres://postgres@127.0.0.1:5432/tern_retention_bench',
    },
    'no-pg': { type: 'boolean', default: false },
    'no-sqlite': { type: 'boolean', default: false },
    'prune-seconds': { type: 'string', default: '60' },
  },
});
const N = Number(values.messages);
const HISTORY = Number(values.history);
const EVENTS = Number(values.events);
const NOW = '2026-06-01T00:00:00.000Z';
const DAY = 86_400_000;
const quiet = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

async function load(db: Db): Promise<number> {
  const started = performance.now();
  const per = 5000;
  for (let i = 0; i < N; i += per) {
    const batch = Array.from({ length: Math.min(per, N - i) }, (_, j) => {
      const n = i + j;
      // 90 % older than 90 days (100-190 days old), the rest younger; spread over the days.
      const age = n < N * 0.9 ? 100 * DAY + (n % 90) * DAY : (n % 80) * DAY;
      return {
        sandbox: 'prod',
        createdAt: new Date(Date.parse(NOW) - age + n).toISOString(),
        status: 'delivered',
        extraHistory: HISTORY - 1,
        report: true,
        events: EVENTS,
      };
    });
    await db.kysely.transaction().execute((trx) => seedMessages(trx, batch));
    if ((i / per) % 20 === 0) process.stderr.write(`  loaded ${i + batch.length}\r`);
  }
  process.stderr.write('\n');
  return performance.now() - started;
}

async function size(db: Db, file: string | undefined): Promise<Record<string, number>> {
  if (file) {
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db.kysely);
    const { rows } = await sql<{
      name: string;
      bytes: number;
    }>`select name, sum(pgsize) as bytes from dbstat group by name order by bytes desc`
      .execute(db.kysely)
      .catch(() => ({ rows: [] as { name: string; bytes: number }[] }));
    const out: Record<string, number> = { total: statSync(file).size };
    for (const r of rows) out[r.name] = Number(r.bytes);
    return out;
  }
  const { rows } = await sql<{ name: string; bytes: string }>`
    select c.relname as name, pg_total_relation_size(c.oid) as bytes
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind = 'r'`.execute(db.kysely);
  const out: Record<string, number> = { total: 0 };
  for (const r of rows) {
    out[r.name] = Number(r.bytes);
    out.total! += Number(r.bytes);
  }
  return out;
}

const CANDIDATES = {
  messages: sql`select sandbox, id, created_at, status, uncertain from messages where created_at < '2026-03-03' order by created_at limit 500`,
  unmatched_reports: sql`select id from delivery_reports where matched = 0 and received_at < '2026-03-03' order by received_at limit 500`,
  events: sql`select sandbox, id, at from events where at < '2026-03-03' order by at limit 500`,
  inbound: sql`select id from inbound_messages where received_at < '2026-03-03' order by received_at limit 500`,
};

async function plans(db: Db, sqlite: boolean): Promise<void> {
  for (const [name, query] of Object.entries(CANDIDATES)) {
    const explain = sqlite ? sql`explain query plan ${query}` : sql`explain ${query}`;
    const { rows } = await explain.execute(db.kysely);
    const text = rows
      .map((r) => (r as Record<string, unknown>)[sqlite ? 'detail' : 'QUERY PLAN'])
      .join(' | ');
    console.log(`  plan ${name}: ${text}`);
  }
}

async function run(label: string, db: Db, file?: string): Promise<void> {
  await migrateToLatest(db);
  console.log(
    `\n${label}: ${N.toLocaleString()} messages, ${HISTORY} history rows, ${EVENTS} events and a raw report each`,
  );
  const loadMs = await load(db);
  console.log(`  loaded in ${(loadMs / 1000).toFixed(0)} s`);
  if (!file) await sql`analyze`.execute(db.kysely);
  const before = await size(db, file);
  const perMillion = (before.total! * 1e6) / N;
  console.log(`  size: ${mb(before.total!)} → ${mb(perMillion)} per million messages`);
  for (const [name, bytes] of Object.entries(before)
    .sort((a, b) => b[1] - a[1])
    .slice(1, 12))
    console.log(`    ${name.padEnd(36)} ${mb(bytes)}`);
  await plans(db, file !== undefined);
  // The CSV export's pages, newest first, as GET /api/v1/messages/export reads them.
  const exportStarted = performance.now();
  let pages = 0;
  let csvBytes = 0;
  for await (const text of exportMessagesCsv(db.kysely, 'prod', {})) {
    csvBytes += text.length;
    if (++pages > 20) break;
  }
  console.log(
    `  export: ${((performance.now() - exportStarted) / 20).toFixed(1)} ms a 1,000-row page (${(csvBytes / 20 / 1000).toFixed(0)} kB each)`,
  );

  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  // The pass as the job runs it, for at most --prune-seconds: the rate is the same after.
  const pass = new RetentionPass({
    db,
    clock: new ManualClock(NOW),
    logger: quiet,
    days: { messages: 90, inbound: 90, events: 90 },
  });
  const stopAt = performance.now() + Number(values['prune-seconds']) * 1000;
  while (!pass.done && performance.now() < stopAt) {
    const pause = await pass.step();
    if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
  }
  const { summary } = pass;
  delay.disable();
  const rows = Object.values(summary.deleted).reduce((a, b) => a + b, 0);
  console.log(
    `  prune: ${rows.toLocaleString()} rows (${JSON.stringify(summary.deleted)}) in ${(summary.elapsedMs / 1000).toFixed(1)} s: ${Math.round((rows * 1000) / summary.elapsedMs).toLocaleString()} rows/s, ${Math.round((summary.deleted.messages! * 1000) / summary.elapsedMs).toLocaleString()} messages/s; ${summary.chunks} chunks, p50 ${pass.chunkPercentile(50).toFixed(1)} ms, p99 ${pass.chunkPercentile(99).toFixed(1)} ms, longest ${summary.maxChunkMs.toFixed(1)} ms; event-loop delay p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms`,
  );
  const after = await size(db, file);
  console.log(
    `  size after: ${mb(after.total!)} (${file ? 'SQLite reuses the freed pages; VACUUM returns them' : 'PostgreSQL reuses the space after VACUUM'})`,
  );
}

if (!values['no-sqlite']) {
  const dir = mkdtempSync(join(tmpdir(), 'tern-retention-'));
  const file = join(dir, 'tern.db');
  const db = openDatabase(file);
  try {
    await run('SQLite', db, file);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
if (!values['no-pg']) {
  const url = await freshPostgresDatabase(values.pg);
  const db = openDatabase(url);
  try {
    await run('PostgreSQL', db);
  } finally {
    await db.close();
  }
}
