/**
 * Loads a Tern database directly, fast, for the scale benchmark: messages (a history spread over
 * 30 days, then queued backlogs), profiles with their consent ledger entries, and inbound texts.
 * Rows are made by one `INSERT … SELECT` over a number series per chunk, in SQL (SQLite: a
 * recursive CTE; PostgreSQL: generate_series), so no row crosses into JavaScript: ~10× faster
 * than binding rows from JS. Every message copies the columns Tern wrote for a real one sent
 * through the API (the template), so a column Tern adds later is filled as Tern fills it.
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';

/** A message Tern stored through the API: its column values are the loaded rows' defaults. */
export type TemplateRow = Record<string, string | number | null>;

export interface Channel {
  id: string;
  sender: string;
}

/** Rows a chunk makes; the statement of one chunk is one transaction. */
const CHUNK = 100_000;
const DAY_MS = 86_400_000;

/**
 * One database, reached with its own driver: the SQL each dialect writes differently, and the
 * statements the loader runs.
 */
interface Target {
  dialect: 'sqlite' | 'postgres';
  run(sql: string, params: unknown[]): Promise<void>;
  all<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** `SELECT i FROM <series> …`: the numbers from … to-1 as column `i`. */
  series(from: number, to: number): string;
  /** An ISO-8601 UTC text (as `Date.toISOString()`) from epoch milliseconds. */
  iso(ms: string): string;
  /** The integer `expr` as `digits` lower-case hex digits, zero-padded. */
  hex(expr: string, digits: number): string;
  sha256(text: string): string;
  /** A placeholder for parameter `k` (1-based) of SQL type `type`. */
  param(k: number, type: string): string;
  close(): Promise<void>;
}

function sqliteTarget(path: string): Target {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // The loader's connection only: 1 GiB of page cache and sorts in memory for the index builds
  // (at 10M rows the default 2 MiB cache sent every B-tree page through the OS).
  db.pragma('cache_size = -1048576');
  db.pragma('temp_store = MEMORY');
  db.function('sha256', { deterministic: true }, (text: unknown) =>
    createHash('sha256').update(String(text)).digest('hex'),
  );
  return {
    dialect: 'sqlite',
    run: (sql, params) => Promise.resolve(void db.prepare(sql).run(...params)),
    all: <T>(sql: string, params: unknown[] = []) =>
      Promise.resolve(db.prepare(sql).all(...params) as T[]),
    series: (from, to) =>
      `(with recursive s(i) as (select ${from} union all select i + 1 from s where i < ${to - 1}) select i from s)`,
    iso: (ms) => `strftime('%Y-%m-%dT%H:%M:%fZ', (${ms}) / 1000.0, 'unixepoch')`,
    hex: (expr, digits) => `printf('%0${digits}x', ${expr})`,
    sha256: (text) => `sha256(${text})`,
    param: () => '?',
    close: () => Promise.resolve(void db.close()),
  };
}

function postgresTarget(url: string): Target {
  const client = new pg.Client({ connectionString: url });
  // This session only: index builds sort in 1 GiB, and a chunk's commit does not wait for the
  // WAL flush (a crashed load is started again anyway).
  const connected = client
    .connect()
    .then(() => client.query(`set maintenance_work_mem = '1GB'; set synchronous_commit = off`));
  return {
    dialect: 'postgres',
    run: async (sql, params) => {
      await connected;
      await client.query(sql, params);
    },
    all: async <T>(sql: string, params: unknown[] = []) => {
      await connected;
      return (await client.query(sql, params)).rows as T[];
    },
    series: (from, to) => `(select generate_series(${from}::bigint, ${to - 1}::bigint) as i)`,
    iso: (ms) =>
      `to_char(to_timestamp((${ms}) / 1000.0) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
    hex: (expr, digits) => `lpad(to_hex((${expr})::bigint), ${digits}, '0')`,
    sha256: (text) => `encode(sha256(convert_to(${text}, 'UTF8')), 'hex')`,
    param: (k, type) => `$${k}::${type}`,
    close: async () => {
      await connected;
      await client.end();
    },
  };
}

/** Opens the loader on a SQLite path or a postgres:// URL. */
export function openTarget(database: string): Target {
  return database.startsWith('postgres') ? postgresTarget(database) : sqliteTarget(database);
}

export type { Target };

/**
 * A UUIDv7 whose timestamp is `ms` (as Tern's ids: time-ordered, so id order is time order).
 * Its "random" bits are odd multiples of `n` modulo a power of two (bijections), not random(): the
 * same row's id is computed again for `provider_message_id`, and ids of one load never collide.
 */
export function uuid7(t: Target, ms: string, n: string): string {
  const h = t.hex(ms, 12);
  return (
    `substr(${h}, 1, 8) || '-' || substr(${h}, 9, 4) || '-7' || ${t.hex(`((${n}) * 2731) % 4096`, 3)} || '-' || ` +
    `${t.hex(`8 + (${n}) % 4`, 1)} || ${t.hex(`((${n}) * 1063) % 4096`, 3)} || '-' || ` +
    `${t.hex(`((${n}) * 2654435761 + 12345) % 281474976710656`, 12)}`
  );
}

/** The phone of profile `k` (`k` an SQL expression): +1 201 200 0000 onwards. */
export function phone(k: string): string {
  return `'+1' || (2012000000 + (${k}))`;
}

/** The columns of `table` and their SQL types. */
async function columns(t: Target, table: string): Promise<Map<string, string>> {
  const rows =
    t.dialect === 'sqlite'
      ? await t.all<{ name: string; type: string }>(`select name, type from pragma_table_info(?)`, [
          table,
        ])
      : await t.all<{ name: string; type: string }>(
          `select column_name as name, data_type as type from information_schema.columns where table_name = $1 and table_schema = current_schema()`,
          [table],
        );
  return new Map(rows.map((r) => [r.name, r.type]));
}

/** One chunk of rows for {@link insertSeries}. */
interface SeriesInsert {
  table: string;
  from: number;
  to: number;
  /** Per-row aliases (SQL of `i`), computed once and read by the columns. */
  lets: Record<string, string>;
  /** Columns as SQL of `i` and the aliases; the others take the template's value, or null. */
  computed: Record<string, string>;
  template: TemplateRow;
  /** Only the rows this SQL condition (of `i` and the aliases) holds for. */
  where?: string;
}

/** `INSERT INTO table (…) SELECT … FROM series` for rows from … to-1. */
export async function insertSeries(t: Target, chunk: SeriesInsert): Promise<void> {
  const types = await columns(t, chunk.table);
  const names = [...types.keys()];
  const params: unknown[] = [];
  const values = names.map((name) => {
    const expr = chunk.computed[name];
    if (expr !== undefined) return expr;
    if (!(name in chunk.template)) return 'null';
    params.push(chunk.template[name]);
    return t.param(params.length, types.get(name) ?? 'text');
  });
  const inner = `select i${Object.entries(chunk.lets)
    .map(([alias, expr]) => `, ${expr} as ${alias}`)
    .join('')} from ${t.series(chunk.from, chunk.to)} as series`;
  await t.run(
    `insert into ${chunk.table} (${names.join(', ')}) select ${values.join(', ')} from (${inner}) as r` +
      (chunk.where ? ` where ${chunk.where}` : ''),
    params,
  );
}

/** Runs `chunk(from, to)` over 0 … total-1 in chunks, reporting rows done. */
export async function chunked(
  total: number,
  chunk: (from: number, to: number) => Promise<void>,
  onProgress: (done: number) => void,
): Promise<void> {
  for (let from = 0; from < total; from += CHUNK) {
    const to = Math.min(total, from + CHUNK);
    await chunk(from, to);
    onProgress(to);
  }
}

/** The secondary indexes of `table` (not those behind a primary key or unique constraint). */
async function droppableIndexes(
  t: Target,
  table: string,
): Promise<{ name: string; sql: string }[]> {
  if (t.dialect === 'sqlite')
    return t.all(
      `select name, sql from sqlite_master where type = 'index' and tbl_name = ? and sql is not null`,
      [table],
    );
  return t.all(
    `select indexname as name, indexdef as sql from pg_indexes where tablename = $1 and schemaname = current_schema()
       and indexname not in (select conname from pg_constraint)`,
    [table],
  );
}

/**
 * Drops `table`'s secondary indexes around `load` and builds them again after it: one sort per
 * index instead of ~10 random B-tree inserts per row (a 10M-row load ~2× faster on both).
 */
export async function withoutIndexes(
  t: Target,
  table: string,
  load: () => Promise<void>,
  onIndexing: () => void,
): Promise<void> {
  const indexes = await droppableIndexes(t, table);
  for (const index of indexes) await t.run(`drop index ${index.name}`, []);
  try {
    await load();
  } finally {
    onIndexing();
    for (const index of indexes) await t.run(index.sql, []);
  }
}

/** SQLite triggers on `tables` (the statistics rollups of migration 0014), as their SQL. */
async function sqliteTriggers(
  t: Target,
  tables: string[],
): Promise<{ name: string; sql: string }[]> {
  if (t.dialect !== 'sqlite') return [];
  return t.all(
    `select name, sql from sqlite_master where type = 'trigger' and tbl_name in (${tables.map(() => '?').join(', ')})`,
    tables,
  );
}

/** The statistics migration's rebuild SQL, from the build `tern serve` runs; null before it. */
async function statsRebuildSql(t: Target): Promise<string[] | null> {
  // By a computed path, so that the loader also works on a tree without the migration.
  const path = '../../dist/src/db/migrations/0014_message_stats.js';
  const stats = (await import(path).catch(() => null)) as {
    rebuildStatsSql?: (dialect: 'sqlite' | 'postgres') => string[];
  } | null;
  return stats?.rebuildStatsSql?.(t.dialect) ?? null;
}

/** The statistics rebuild of migration 0014, when that migration exists. */
async function rebuildStatistics(t: Target): Promise<boolean> {
  const statements = await statsRebuildSql(t);
  if (!statements) return false;
  await t.run('begin', []);
  for (const statement of statements) await t.run(statement, []);
  await t.run('commit', []);
  return true;
}

const STATS_TABLES = [
  'message_stats_hourly',
  'message_stats_daily',
  'consent_stats_hourly',
  'consent_stats_daily',
];

/** Every counter of the statistics tables, shards summed, as `table key → count`. */
async function statsCounters(t: Target): Promise<Map<string, number>> {
  const counters = new Map<string, number>();
  for (const table of STATS_TABLES) {
    const keys = [...(await columns(t, table)).keys()].filter(
      (c) => c !== 'count' && c !== 'shard',
    );
    const rows = await t.all<Record<string, unknown>>(
      `select ${keys.join(', ')}, sum(count) as total from ${table} group by ${keys.join(', ')}`,
    );
    for (const row of rows) {
      const key = `${table} ${keys.map((k) => String(row[k])).join(' ')}`;
      if (Number(row.total) !== 0) counters.set(key, Number(row.total));
    }
  }
  return counters;
}

/**
 * Whether the statistics the triggers kept through the run equal a recount from `messages` and
 * the consent ledger: the rebuild inside a transaction that is rolled back. The differing
 * counters (at most `limit`), none when exact; null when the database has no statistics.
 */
export async function statsDrift(
  t: Target,
  limit = 10,
): Promise<{ counters: number; differences: string[] } | null> {
  const statements = await statsRebuildSql(t);
  if (!statements) return null;
  await t.run('begin', []);
  try {
    const kept = await statsCounters(t);
    for (const statement of statements) await t.run(statement, []);
    const recounted = await statsCounters(t);
    const differences: string[] = [];
    for (const key of new Set([...kept.keys(), ...recounted.keys()])) {
      const a = kept.get(key) ?? 0;
      const b = recounted.get(key) ?? 0;
      if (a !== b && differences.length < limit)
        differences.push(`${key}: kept ${a}, recount ${b}`);
    }
    return { counters: recounted.size, differences };
  } finally {
    await t.run('rollback', []);
  }
}

/**
 * Runs `load` with SQLite's row triggers on `tables` dropped, then creates them again and
 * recomputes the statistics rollups they keep (one aggregate instead of an upsert per row: 3×
 * faster at 1M rows). PostgreSQL keeps its triggers: they run once per statement, on the whole
 * chunk. Throws when triggers exist but there is no rebuild to recompute what they keep.
 */
async function withoutRowTriggers(
  t: Target,
  tables: string[],
  load: () => Promise<void>,
  onRebuild: () => void,
): Promise<void> {
  const triggers = await sqliteTriggers(t, tables);
  for (const trigger of triggers) await t.run(`drop trigger ${trigger.name}`, []);
  try {
    await load();
  } finally {
    for (const trigger of triggers) await t.run(trigger.sql, []);
  }
  if (triggers.length === 0) return;
  onRebuild();
  if (!(await rebuildStatistics(t)))
    throw new Error(
      `triggers ${triggers.map((x) => x.name).join(', ')} were skipped but no rebuildStatsSql recomputes what they keep`,
    );
}

export interface HistoryPlan {
  /** Messages in final or accepted statuses, created over the 30 days before `now` − 1 h. */
  messages: number;
  profiles: number;
  /** Inbound texts, over the same 30 days. */
  inbound: number;
  channels: Channel[];
  credentialId: string;
  inboundNumber: string;
  now: number;
}

/**
 * The status of history row `r`, by a draw 0…99 (`pick`): 80 % delivered, 4 % failed,
 * 3 % undeliverable, 2 % rejected, 2 % expired, 3 % suppressed, 6 % accepted (awaiting its
 * report, so only in the last day: an older one would have been swept as expired).
 */
function historyStatus(recent: string): string {
  return `case
    when pick < 6 and ${recent} then 'accepted'
    when pick < 86 then 'delivered'
    when pick < 90 then 'failed'
    when pick < 93 then 'undeliverable'
    when pick < 95 then 'rejected'
    when pick < 97 then 'expired'
    else 'suppressed' end`;
}

/** `case (expr) % n when 0 then a[0] … end` over a list of SQL literals. */
function choose(expr: string, literals: string[]): string {
  return `case (${expr}) % ${literals.length} ${literals
    .map((l, k) => `when ${k} then ${l}`)
    .join(' ')} end`;
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Columns shared by history and queued messages; `ms` is the row's creation time, `n` its seed. */
function messageColumns(t: Target, channels: Channel[], profiles: number): Record<string, string> {
  return {
    id: uuid7(t, 'ms', 'n'),
    channel_configuration_id: choose(
      'i',
      channels.map((c) => quote(c.id)),
    ),
    sender: choose(
      'i',
      channels.map((c) => quote(c.sender)),
    ),
    // Numbers drawn over the profiles so that a number has many messages, as in real traffic.
    to_number: phone(`(i * 7919) % ${Math.max(1, profiles)}`),
    text: `'Your code is ' || (100000 + (i * 7919) % 900000)`,
    created_at: t.iso('ms'),
    idempotency_key: 'null',
    request_hash: 'null',
    origin: `case when i % 10 < 7 then 'batch' else 'api' end`,
  };
}

/** Seeds of the ids: each load's rows get their own range, so ids never collide across loads. */
let seed = 0;
function seeds(count: number): number {
  const first = seed;
  seed += count;
  return first;
}

/** Loads the history: messages, profiles with their ledger entries, inbound texts. */
export async function loadHistory(
  t: Target,
  template: TemplateRow,
  plan: HistoryPlan,
  onProgress: (what: string, done: number, total: number) => void,
): Promise<void> {
  await withoutRowTriggers(
    t,
    ['messages', 'consent_events'],
    () => loadHistoryRows(t, template, plan, onProgress),
    () => onProgress('statistics rollups: recomputing', 0, 1),
  );
  if (t.dialect === 'postgres')
    // What autovacuum would have done by the time the tables had grown this big.
    for (const table of ['messages', 'profiles', 'consent_events', 'inbound_messages'])
      await t.run(`analyze ${table}`, []);
}

async function loadHistoryRows(
  t: Target,
  template: TemplateRow,
  plan: HistoryPlan,
  onProgress: (what: string, done: number, total: number) => void,
): Promise<void> {
  const end = plan.now - 3_600_000;
  const start = end - 30 * DAY_MS;
  const span = end - start;
  const sandbox = quote(String(template.sandbox));
  const at = (n: number) => `${start} + (i * ${span}) / ${Math.max(1, n)}`;
  const recent = `ms > ${end - DAY_MS}`;
  // Accepted by the provider: accepted, delivered, undeliverable, expired.
  const reachedProvider = `(pick < 86 or (pick >= 90 and pick < 93) or (pick >= 95 and pick < 97))`;
  const messageSeed = seeds(plan.messages);
  // The provider's last word, as Tern keeps it (JSON); accepted ones keep the template's.
  const status = (groupId: number, groupName: string, id: number, name: string) =>
    quote(JSON.stringify({ groupId, groupName, id, name, description: name.toLowerCase() }));
  const accepted =
    template.provider_status === null ? 'null' : quote(String(template.provider_status));
  const providerStatus = `case when pick < 6 and ${recent} then ${accepted}
    when pick < 86 then ${status(3, 'DELIVERED', 5, 'DELIVERED_TO_HANDSET')}
    when pick >= 90 and pick < 93 then ${status(2, 'UNDELIVERABLE', 4, 'UNDELIVERABLE_NOT_DELIVERED')}
    when pick >= 93 and pick < 95 then ${status(5, 'REJECTED', 6, 'REJECTED_NETWORK')}
    when pick >= 95 and pick < 97 then ${status(4, 'EXPIRED', 15, 'EXPIRED_EXPIRED')}
    else null end`;
  await withoutIndexes(
    t,
    'messages',
    () =>
      chunked(
        plan.messages,
        (from, to) =>
          insertSeries(t, {
            table: 'messages',
            from,
            to,
            lets: { ms: at(plan.messages), pick: '(i * 7907) % 100', n: `i + ${messageSeed}` },
            computed: {
              ...messageColumns(t, plan.channels, plan.profiles),
              status: historyStatus(recent),
              status_reason: `case when pick >= 86 and pick < 97 then 'provider: ' || ${historyStatus(recent)} else null end`,
              attempts: `case when pick >= 97 then 0 else 1 end`,
              next_attempt_at: 'null',
              valid_until: t.iso(`ms + ${2 * DAY_MS}`),
              provider_status: providerStatus,
              // Infobip takes Tern's id as its messageId (migration 0009).
              provider_message_id: `case when ${reachedProvider} then ${uuid7(t, 'ms', 'n')} else null end`,
              updated_at: t.iso('ms + 4000'),
              accepted_at: `case when ${reachedProvider} then ${t.iso('ms + 1000')} else null end`,
              done_at: `case when pick < 6 and ${recent} then null else ${t.iso('ms + 4000')} end`,
            },
            template,
          }),
        (n) => onProgress('messages', n, plan.messages),
      ),
    () => onProgress('messages: building the indexes', plan.messages, plan.messages),
  );

  const consent = `case when pick < 70 then 'subscribed' when pick < 80 then 'unsubscribed' when pick < 82 then 'pending' else 'unknown' end`;
  const profileSeed = seeds(plan.profiles);
  const profileLets = { ms: at(plan.profiles), pick: '(i * 7907) % 100', n: `i + ${profileSeed}` };
  await chunked(
    plan.profiles,
    (from, to) =>
      insertSeries(t, {
        table: 'profiles',
        from,
        to,
        lets: profileLets,
        computed: {
          sandbox,
          id: uuid7(t, 'ms', 'n'),
          phone: phone('i'),
          consent,
          consent_updated_at: `case when pick < 82 then ${t.iso('ms')} else null end`,
          attributes: `case when i % 20 = 0 then '{"keywords":{"OFFERS":"' || ${t.iso('ms')} || '"}}' else '{}' end`,
          created_at: t.iso('ms'),
          updated_at: t.iso('ms'),
        },
        template: {},
      }),
    (n) => onProgress('profiles', n, plan.profiles),
  );
  // One ledger entry per profile whose consent was ever set (unknown → its state, imported).
  const ledgerSeed = seeds(plan.profiles);
  await chunked(
    plan.profiles,
    (from, to) =>
      insertSeries(t, {
        table: 'consent_events',
        from,
        to,
        lets: { ...profileLets, n: `i + ${ledgerSeed}` },
        computed: {
          sandbox,
          id: uuid7(t, 'ms', 'n'),
          profile_id: uuid7(t, 'ms', `i + ${profileSeed}`),
          phone_hash: t.sha256(`'tern:phone:' || ${phone('i')}`),
          from_state: `'unknown'`,
          to_state: consent,
          source: `'import'`,
          at: t.iso('ms'),
        },
        template: {},
        where: 'pick < 82',
      }),
    (n) => onProgress('consent ledger', n, plan.profiles),
  );

  const category = `case when pick < 5 then 'opt_out' when pick < 8 then 'opt_in' when pick < 10 then 'help' else 'none' end`;
  const inboundSeed = seeds(plan.inbound);
  await chunked(
    plan.inbound,
    (from, to) =>
      insertSeries(t, {
        table: 'inbound_messages',
        from,
        to,
        lets: { ms: at(plan.inbound), pick: '(i * 7907) % 100', n: `i + ${inboundSeed}` },
        computed: {
          id: uuid7(t, 'ms', 'n'),
          provider_message_id: `'bench-mo-' || n`,
          sandbox,
          credential_id: quote(plan.credentialId),
          webhook_credential_id: quote(plan.credentialId),
          channel: `'sms'`,
          parts: `'[]'`,
          from_number: phone(`(i * 7919) % ${Math.max(1, plan.profiles)}`),
          to_number: quote(plan.inboundNumber),
          text: `case when pick < 5 then 'STOP' when pick < 8 then 'START' when pick < 10 then 'HELP' else 'thanks' end`,
          category,
          action: `case when pick < 10 then ${category} else null end`,
          received_at: t.iso('ms'),
          raw: `'{}'`,
        },
        template: {},
      }),
    (n) => onProgress('inbound texts', n, plan.inbound),
  );
}

/**
 * Adds `count` queued messages, due now, created over the 10 minutes before `now` (ids in that
 * order), to numbers after the `profiles` profiles'.
 */
export async function loadQueued(
  t: Target,
  template: TemplateRow,
  plan: { count: number; profiles: number; channels: Channel[]; now: number },
  onProgress: (done: number) => void,
): Promise<void> {
  const start = plan.now - 600_000;
  const first = seeds(plan.count);
  await chunked(
    plan.count,
    (from, to) =>
      insertSeries(t, {
        table: 'messages',
        from,
        to,
        lets: { ms: `${start} + (i * 600000) / ${Math.max(1, plan.count)}`, n: `i + ${first}` },
        computed: {
          ...messageColumns(t, plan.channels, plan.profiles),
          // New recipients (no profile: consent unknown, sent under the default policy), so that
          // every queued message reaches the provider and the drain is counted there.
          to_number: phone(`${plan.profiles} + (i * 7919) % ${Math.max(1, plan.count)}`),
          text: `'Bench queued message ' || n`,
          status: `'queued'`,
          status_reason: 'null',
          attempts: '0',
          next_attempt_at: t.iso('ms'),
          valid_until: t.iso(`ms + ${2 * DAY_MS}`),
          updated_at: t.iso('ms'),
          provider_status: 'null',
          provider_message_id: 'null',
          accepted_at: 'null',
          done_at: 'null',
        },
        template,
      }),
    onProgress,
  );
  if (t.dialect === 'postgres') await t.run('analyze messages', []);
}
