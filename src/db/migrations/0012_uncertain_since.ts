import type { Kysely } from 'kysely';

/**
 * Uncertain sends are looked up on a schedule counted from the moment they became uncertain
 * (`uncertain_since`), so a resend waits out the logs' visibility lag. Messages stuck in
 * `accepted` past their validity are swept through `messages_accepted_validity_idx`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('uncertain_since', 'text').execute();
  await db.schema
    .createIndex('messages_accepted_validity_idx')
    .on('messages')
    .columns(['status', 'valid_until'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('messages_accepted_validity_idx').execute();
  await db.schema.alterTable('messages').dropColumn('uncertain_since').execute();
}
