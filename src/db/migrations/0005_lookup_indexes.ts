import type { Kysely } from 'kysely';

/**
 * Webhook URLs carry a credential id without its sandbox, and reports carry a message id
 * without one: global unique indexes make both lookups index reads (ids are UUIDv7, unique).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('credentials_id_unique')
    .on('credentials')
    .column('id')
    .unique()
    .execute();
  await db.schema.createIndex('messages_id_unique').on('messages').column('id').unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('messages_id_unique').execute();
  await db.schema.dropIndex('credentials_id_unique').execute();
}
