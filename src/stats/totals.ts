import type { Db } from '../db/database.js';
import type { StatsTables } from './stats-tables.js';

/**
 * Messages by current status across every sandbox (`queued` includes those in a provider call),
 * from the daily rollups: what `/metrics` exports as queue depth, exact at any volume. Counting
 * `messages` at scrape time read the whole table (215 ms at 1M rows on SQLite, on the API's
 * event loop).
 */
export async function messageTotalsByStatus(db: Db): Promise<Map<string, number>> {
  const rows = await db.kysely
    .withTables<StatsTables>()
    .selectFrom('message_stats_daily')
    .select((eb) => ['metric', eb.fn.sum<number | string>('count').as('n')])
    .where('metric', 'like', 'status:%')
    .groupBy('metric')
    .execute();
  return new Map(rows.map((r) => [r.metric.slice('status:'.length), Number(r.n)]));
}
