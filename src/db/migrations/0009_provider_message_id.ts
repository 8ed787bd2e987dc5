import { sql, type Kysely } from 'kysely';

/**
 * `provider_message_id`: the id the provider knows a message by, so a provider that assigns its
 * own ids (rather than taking Tern's) fits without a rewrite. Infobip takes Tern's id as its
 * `messageId`, so every message Infobip accepted is backfilled with its own id. The index is
 * per credential: a report names the message by the provider's id, within one account.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('provider_message_id', 'text').execute();
  await sql`update messages set provider_message_id = id where accepted_at is not null`.execute(db);
  await db.schema
    .createIndex('messages_provider_message_id_idx')
    .on('messages')
    .columns(['credential_id', 'provider_message_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('messages_provider_message_id_idx').execute();
  await db.schema.alterTable('messages').dropColumn('provider_message_id').execute();
}
