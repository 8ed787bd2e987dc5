import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * Rollups behind `GET /api/v1/stats`, kept by database triggers in the transaction of every
 * insert and status change of `messages` (and every insert into `consent_events`), so that no
 * code path can forget one and the counts are exact at any volume.
 *
 * `message_stats_hourly` and `_daily` count, per sandbox, UTC period ('YYYY-MM-DDTHH' or
 * 'YYYY-MM-DD'), channel configuration ('' for none) and metric:
 * - `status:<s>`: messages created in the period by their current status (`sending` counts as
 *   `queued`; a waiting message whose last provider call failed as `retrying`);
 * - `event:sent`: messages handed to the provider (accepted, or a report said more) in the period;
 * - `event:<final status>`: messages that became delivered / undeliverable / expired / rejected /
 *   failed in the period.
 * `consent_stats_hourly` and `_daily` count ledger entries that opted in or out, per source.
 * Every counter is a function of the current rows ({@link messageContributions}): a trigger adds
 * the new row's contributions and subtracts the old row's, so the counters equal what
 * {@link rebuildStatsSql} recomputes. Periods are cut from the row's own timestamps, written from
 * the app's clock. A counter that reaches 0 is deleted, so that "queued now" reads only the
 * periods that still hold queued messages. Deleting messages (retention, final ones only) does not
 * decrement: the counters keep what happened after the rows are pruned.
 *
 * Daily rows beside hourly ones: 30 days of hourly counters are 720 × 12 metrics × 8 shards per
 * channel configuration, and summing them took 156 ms on PostgreSQL and 29 ms on SQLite with two
 * channel configurations (143K and 18K rows); the daily ones are 24 times fewer.
 *
 * SQLite: row triggers (one writer at a time, shard always 0). PostgreSQL: statement triggers on
 * transition tables, one aggregated upsert per statement and table (the worker settles 500 rows
 * in one UPDATE), and 8 shards by connection ({@link pgShard}): single-message transactions
 * that all touch the current hour's counters would otherwise wait for each other's commit.
 *
 * Cost, µs per message without → with the triggers (2-core machine shared with other runs, so
 * ±30%): SQLite, 100,000 rows a statement: insert 16 → 25, claim 20 → 20, settle 16 → 49,
 * deliver 20 → 51; PostgreSQL, 10,000 messages through bench/stats-triggers.ts (500-row
 * statements; deliver one row a statement, 100 a transaction): insert 135 → 149, claim
 * 86 → 93, settle 82 → 84, deliver 432 → 671 (a statement trigger costs ~240 µs a statement).
 */

/** Statuses that count as handed to the provider (Dashboard "sent"). */
const HANDED = ['accepted', 'delivered', 'undeliverable'];
/** Final statuses counted when they happen (`suppressed` is final at creation: its status counts). */
const FINISHED = ['delivered', 'undeliverable', 'expired', 'rejected', 'failed'];

/**
 * `column IN (…)` as `=` tests: inside a SQLite trigger an IN list builds an ephemeral index on
 * every row (a claim cost 50 µs a row with IN lists, 19 without).
 */
function isOneOf(column: string, values: string[]): string {
  return `(${values.map((v) => `${column} = '${v}'`).join(' OR ')})`;
}

/** The two granularities: the table suffix and how many characters of an ISO time they keep. */
export const PERIODS = [
  { suffix: 'hourly', length: 13 },
  { suffix: 'daily', length: 10 },
] as const;
type Period = (typeof PERIODS)[number];

/**
 * What one message row (`r` = its alias: NEW, OLD, a transition table or `messages`) adds to
 * the counters: [metric, timestamp] pairs; a null metric adds nothing.
 */
export function messageContributions(r: string): [metric: string, at: string][] {
  return [
    [
      `'status:' || CASE WHEN ${isOneOf(`${r}.status`, ['queued', 'sending'])} THEN ` +
        `CASE WHEN ${r}.last_provider_error IS NULL THEN 'queued' ELSE 'retrying' END ` +
        `ELSE ${r}.status END`,
      `${r}.created_at`,
    ],
    [
      `CASE WHEN ${r}.accepted_at IS NOT NULL OR ${isOneOf(`${r}.status`, HANDED)} ` +
        `THEN 'event:sent' END`,
      `coalesce(${r}.accepted_at, ${r}.updated_at)`,
    ],
    [
      `CASE WHEN ${isOneOf(`${r}.status`, FINISHED)} THEN 'event:' || ${r}.status END`,
      `${r}.updated_at`,
    ],
  ];
}

/** A consent event's counted change: `opt_in`, `opt_out`, or null (pending, unknown). */
export function consentChange(r: string): string {
  return (
    `CASE WHEN ${r}.from_state = ${r}.to_state THEN NULL ` +
    `WHEN ${r}.to_state = 'subscribed' THEN 'opt_in' ` +
    `WHEN ${r}.to_state = 'unsubscribed' THEN 'opt_out' END`
  );
}

/**
 * PostgreSQL's counter shard: the connection's, so that concurrent transactions (several
 * processes, and the send API's parallel group commits) update different counter rows instead
 * of waiting for each other's commit. A shard by message id put every statement of 500 rows on
 * all 8 shards, and two such statements locking them in different orders deadlocked (a batch
 * send beside the worker's settle, in the scale benchmark). `r` is unused: one statement, one
 * shard.
 */
export function pgShard(r: string): string {
  void r;
  return `pg_backend_pid() % 8`;
}

const cut = (at: string, period: Period) => `substr(${at}, 1, ${period.length})`;
const messageTable = (p: Period) => `message_stats_${p.suffix}`;
const consentTable = (p: Period) => `consent_stats_${p.suffix}`;
const upsertMessage = (p: Period) =>
  `ON CONFLICT (sandbox, period, channel_configuration_id, metric, shard) ` +
  `DO UPDATE SET count = ${messageTable(p)}.count + excluded.count`;
const upsertConsent = (p: Period) =>
  `ON CONFLICT (sandbox, period, change, source, shard) ` +
  `DO UPDATE SET count = ${consentTable(p)}.count + excluded.count`;

/** SELECT of the `(sandbox, channel, period, metric, shard, delta)` rows of a table of messages. */
function contributionRows(
  alias: string,
  from: string,
  period: Period,
  shard: string,
  delta: number,
): string {
  return messageContributions(alias)
    .map(
      ([metric, at]) =>
        `SELECT ${alias}.sandbox AS sandbox, ` +
        `coalesce(${alias}.channel_configuration_id, '') AS channel_configuration_id, ` +
        `${cut(at, period)} AS period, ${metric} AS metric, ${shard} AS shard, ` +
        `${delta} AS delta FROM ${from} ${alias}`,
    )
    .join(' UNION ALL ');
}

/** The upsert of aggregated contribution rows (`parts`: a UNION ALL of contributionRows). */
function aggregatedUpsert(period: Period, parts: string): string {
  return (
    `INSERT INTO ${messageTable(period)} ` +
    `(sandbox, channel_configuration_id, period, metric, shard, count) ` +
    `SELECT sandbox, channel_configuration_id, period, metric, shard, sum(delta) ` +
    `FROM (${parts}) c WHERE metric IS NOT NULL ` +
    `GROUP BY sandbox, channel_configuration_id, period, metric, shard ` +
    // Counter rows are locked in key order: two statements never wait for each other in a cycle.
    `HAVING sum(delta) <> 0 ORDER BY sandbox, channel_configuration_id, period, metric, shard ` +
    `${upsertMessage(period)}`
  );
}

function consentUpsert(period: Period, from: string, shard: string): string {
  return (
    `INSERT INTO ${consentTable(period)} (sandbox, period, change, source, shard, count) ` +
    `SELECT sandbox, period, change, source, shard, count(*) FROM (` +
    `SELECT e.sandbox AS sandbox, ${cut('e.at', period)} AS period, ` +
    `${consentChange('e')} AS change, e.source AS source, ${shard} AS shard FROM ${from} e) c ` +
    `WHERE change IS NOT NULL GROUP BY sandbox, period, change, source, shard ` +
    `ORDER BY sandbox, period, change, source, shard ${upsertConsent(period)}`
  );
}

/**
 * Statements that empty the counters and recompute them from `messages` and `consent_events`
 * (the backfill, a bulk load, a repair). Run them in one transaction.
 */
export function rebuildStatsSql(dialect: 'sqlite' | 'postgres'): string[] {
  const shard = (r: string) => (dialect === 'postgres' ? pgShard(r) : '0');
  return PERIODS.flatMap((p) => [
    `DELETE FROM ${messageTable(p)}`,
    aggregatedUpsert(p, contributionRows('m', 'messages', p, shard('m'), 1)),
    `DELETE FROM ${consentTable(p)}`,
    consentUpsert(p, 'consent_events', shard('e')),
  ]);
}

function sqliteTriggers(): string[] {
  const key = (r: string) =>
    messageContributions(r)
      .map(([metric, at], i) =>
        i === 0 ? metric : `coalesce(${metric} || ${cut(at, PERIODS[0])}, '')`,
      )
      .join(` || '|' || `);
  // One plain upsert per contribution that moved, skipped by its WHERE otherwise: no GROUP BY
  // sort on every row (the same cost within this machine's noise, and simpler to read).
  const upsert = (p: Period, metric: string, at: string, delta: number, when: string) =>
    `INSERT INTO ${messageTable(p)} ` +
    `(sandbox, channel_configuration_id, period, metric, shard, count) ` +
    `SELECT NEW.sandbox, coalesce(NEW.channel_configuration_id, ''), ${cut(at, p)}, ` +
    `${metric}, 0, ${delta} WHERE ${when} ${upsertMessage(p)};`;
  const fresh = messageContributions('NEW');
  const stale = messageContributions('OLD');
  const inserts = PERIODS.flatMap((p) =>
    fresh.map(([metric, at]) => upsert(p, metric, at, 1, `${metric} IS NOT NULL`)),
  );
  const updates = PERIODS.flatMap((p) =>
    fresh.flatMap(([metric, at], i) => {
      const [oldMetric, oldAt] = stale[i]!;
      const moved =
        `(${oldMetric} IS NOT ${metric} OR ` +
        `(${metric} IS NOT NULL AND ${cut(oldAt, p)} IS NOT ${cut(at, p)}))`;
      return [
        upsert(p, oldMetric, oldAt, -1, `${moved} AND ${oldMetric} IS NOT NULL`),
        upsert(p, metric, at, 1, `${moved} AND ${metric} IS NOT NULL`),
      ];
    }),
  );
  return [
    `CREATE TRIGGER message_stats_insert AFTER INSERT ON messages BEGIN ${inserts.join(' ')} END`,
    // Only the columns the contributions read; sandbox, channel and created_at never change.
    `CREATE TRIGGER message_stats_update ` +
      `AFTER UPDATE OF status, last_provider_error, accepted_at, updated_at ON messages ` +
      `WHEN (${key('OLD')}) IS NOT (${key('NEW')}) BEGIN ${updates.join(' ')} END`,
    ...PERIODS.map(
      (p) =>
        `CREATE TRIGGER ${messageTable(p)}_drop_zero AFTER UPDATE OF count ON ${messageTable(p)} ` +
        `WHEN NEW.count = 0 BEGIN DELETE FROM ${messageTable(p)} WHERE sandbox = NEW.sandbox ` +
        `AND period = NEW.period AND channel_configuration_id = NEW.channel_configuration_id ` +
        `AND metric = NEW.metric AND shard = NEW.shard; END`,
    ),
    `CREATE TRIGGER consent_stats_insert AFTER INSERT ON consent_events ` +
      `WHEN (${consentChange('NEW')}) IS NOT NULL BEGIN ` +
      PERIODS.map(
        (p) =>
          `INSERT INTO ${consentTable(p)} (sandbox, period, change, source, shard, count) ` +
          `SELECT NEW.sandbox, ${cut('NEW.at', p)}, ${consentChange('NEW')}, NEW.source, 0, 1 ` +
          `WHERE true ${upsertConsent(p)};`,
      ).join(' ') +
      ` END`,
  ];
}

function postgresTriggers(): string[] {
  const fn = (name: string, body: string[]) =>
    `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ` +
    `${body.join('; ')}; RETURN NULL; END $$`;
  const added = (p: Period) => contributionRows('n', 'message_stats_new', p, pgShard('n'), 1);
  const removed = (p: Period) => contributionRows('o', 'message_stats_old', p, pgShard('o'), -1);
  return [
    fn(
      'message_stats_insert',
      PERIODS.map((p) => aggregatedUpsert(p, added(p))),
    ),
    fn(
      'message_stats_update',
      PERIODS.map((p) => aggregatedUpsert(p, `${removed(p)} UNION ALL ${added(p)}`)),
    ),
    `CREATE TRIGGER message_stats_insert AFTER INSERT ON messages ` +
      `REFERENCING NEW TABLE AS message_stats_new ` +
      `FOR EACH STATEMENT EXECUTE FUNCTION message_stats_insert()`,
    // A transition-table trigger may not name columns: every UPDATE runs it, and contributions
    // that did not change cancel out in the aggregate (a claim's 500 rows upsert nothing).
    `CREATE TRIGGER message_stats_update AFTER UPDATE ON messages ` +
      `REFERENCING OLD TABLE AS message_stats_old NEW TABLE AS message_stats_new ` +
      `FOR EACH STATEMENT EXECUTE FUNCTION message_stats_update()`,
    ...PERIODS.flatMap((p) => [
      fn(`${messageTable(p)}_drop_zero`, [
        `DELETE FROM ${messageTable(p)} WHERE sandbox = NEW.sandbox AND period = NEW.period ` +
          `AND channel_configuration_id = NEW.channel_configuration_id ` +
          `AND metric = NEW.metric AND shard = NEW.shard`,
      ]),
      `CREATE TRIGGER ${messageTable(p)}_drop_zero AFTER UPDATE ON ${messageTable(p)} ` +
        `FOR EACH ROW WHEN (NEW.count = 0) EXECUTE FUNCTION ${messageTable(p)}_drop_zero()`,
    ]),
    fn(
      'consent_stats_insert',
      PERIODS.map((p) => consentUpsert(p, 'consent_stats_new', pgShard('e'))),
    ),
    `CREATE TRIGGER consent_stats_insert AFTER INSERT ON consent_events ` +
      `REFERENCING NEW TABLE AS consent_stats_new ` +
      `FOR EACH STATEMENT EXECUTE FUNCTION consent_stats_insert()`,
  ];
}

function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const p of PERIODS) {
    const messages = messageTable(p);
    await db.schema
      .createTable(messages)
      .addColumn('sandbox', 'text', (c) => c.notNull())
      .addColumn('period', 'text', (c) => c.notNull())
      .addColumn('channel_configuration_id', 'text', (c) => c.notNull())
      .addColumn('metric', 'text', (c) => c.notNull())
      .addColumn('shard', 'integer', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${messages}_pk`, [
        'sandbox',
        'period',
        'channel_configuration_id',
        'metric',
        'shard',
      ])
      .execute();
    // One channel configuration's range; "queued now" (two metrics, every period).
    await db.schema
      .createIndex(`${messages}_channel_idx`)
      .on(messages)
      .columns(['sandbox', 'channel_configuration_id', 'period'])
      .execute();
    await db.schema
      .createIndex(`${messages}_metric_idx`)
      .on(messages)
      .columns(['sandbox', 'metric', 'channel_configuration_id'])
      .execute();
    const consent = consentTable(p);
    await db.schema
      .createTable(consent)
      .addColumn('sandbox', 'text', (c) => c.notNull())
      .addColumn('period', 'text', (c) => c.notNull())
      .addColumn('change', 'text', (c) => c.notNull()) // opt_in | opt_out
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('shard', 'integer', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${consent}_pk`, ['sandbox', 'period', 'change', 'source', 'shard'])
      .execute();
  }

  const postgres = isPostgres(db);
  for (const statement of postgres ? postgresTriggers() : sqliteTriggers())
    await sql.raw(statement).execute(db);
  for (const statement of rebuildStatsSql(postgres ? 'postgres' : 'sqlite'))
    await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const postgres = isPostgres(db);
  const on = (table: string) => (postgres ? ` ON ${table}` : '');
  for (const trigger of ['message_stats_insert', 'message_stats_update'])
    await sql.raw(`DROP TRIGGER ${trigger}${on('messages')}`).execute(db);
  await sql.raw(`DROP TRIGGER consent_stats_insert${on('consent_events')}`).execute(db);
  for (const p of PERIODS) {
    await db.schema.dropTable(consentTable(p)).execute(); // its triggers go with it
    await db.schema.dropTable(messageTable(p)).execute();
  }
  if (postgres)
    for (const fn of [
      'message_stats_insert',
      'message_stats_update',
      'consent_stats_insert',
      ...PERIODS.map((p) => `${messageTable(p)}_drop_zero`),
    ])
      await sql.raw(`DROP FUNCTION ${fn}()`).execute(db);
}
