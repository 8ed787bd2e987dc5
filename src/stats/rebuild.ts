import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { rebuildStatsSql } from '../db/migrations/0014_message_stats.js';

/**
 * Empties the statistics counters and recomputes them from `messages` and `consent_events`, in
 * one transaction, with the SQL migration 0014's triggers apply to each row. For a repair, or a
 * bulk load that went around the triggers. Messages already pruned by retention are no longer
 * counted after it (the triggers keep them). 1M messages: see bench/stats-triggers.ts.
 */
export async function rebuildStats(db: Db): Promise<void> {
  await db.kysely.transaction().execute(async (trx) => {
    for (const statement of rebuildStatsSql(db.capabilities.name))
      await sql.raw(statement).execute(trx);
  });
}
