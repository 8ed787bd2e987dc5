import type { Kysely } from 'kysely';

/**
 * Reports for unknown message ids are bounded per credential (oldest pruned): this index makes
 * counting them and finding the oldest an index read, not a scan of every report stored.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('delivery_reports_unmatched_idx')
    .on('delivery_reports')
    .columns(['credential_id', 'matched', 'received_at', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('delivery_reports_unmatched_idx').execute();
}
