import type { Kysely } from 'kysely';

/**
 * A time window of the message log (`from` / `until`) is listed by creation time, then id
 * (message.repository.ts `messagePage`), from `messages_window_idx`: a page walks the index from
 * the window's end and stops after 50 rows. Before, the page walked the id index from the
 * newest message: 2.9 s for a day 15 days back at 10M messages on SQLite. The retention job's
 * cross-sandbox age scans keep 0015's `messages_created_idx`; without the leading sandbox here,
 * SQLite (no table statistics) chose the sandbox's id index and sorted the whole sandbox.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('messages_window_idx')
    .on('messages')
    .columns(['sandbox', 'created_at', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('messages_window_idx').execute();
}
