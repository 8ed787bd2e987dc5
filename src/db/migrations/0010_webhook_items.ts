import type { Kysely } from 'kysely';

/**
 * Webhook items Tern could not use, and inbound MMS parts (issue 13 items 5 and 9).
 *
 * `webhook_rejects`: one unusable item of a report or inbound POST (the rest of the POST is
 * applied), its raw JSON cut to 10,000 characters and its problems; unique per credential on a
 * hash of the raw item, so Infobip's retries store it once; bounded per credential (oldest
 * pruned) with the index below.
 *
 * `inbound_messages.channel` (`sms` | `mms`) and `parts` (JSON of an MMS's parts, `[]` for a
 * text): an MO_MMS_2 was stored as an empty text, its media lost.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhook_rejects')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('credential_id', 'text', (c) => c.notNull())
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('webhook', 'text', (c) => c.notNull()) // 'reports' | 'inbound'
    .addColumn('dedup_key', 'text', (c) => c.notNull())
    .addColumn('item_index', 'integer', (c) => c.notNull())
    .addColumn('raw', 'text', (c) => c.notNull())
    .addColumn('problems', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('webhook_rejects_dedup_unique', ['credential_id', 'dedup_key'])
    .execute();
  await db.schema
    .createIndex('webhook_rejects_age_idx')
    .on('webhook_rejects')
    .columns(['credential_id', 'received_at', 'id'])
    .execute();
  await db.schema
    .alterTable('inbound_messages')
    .addColumn('channel', 'text', (c) => c.notNull().defaultTo('sms'))
    .execute();
  await db.schema
    .alterTable('inbound_messages')
    .addColumn('parts', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('inbound_messages').dropColumn('parts').execute();
  await db.schema.alterTable('inbound_messages').dropColumn('channel').execute();
  await db.schema.dropTable('webhook_rejects').execute();
}
