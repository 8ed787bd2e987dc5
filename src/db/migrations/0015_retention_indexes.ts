import { sql, type Kysely } from 'kysely';

/**
 * Age indexes for the retention job (src/retention/): without them each delete chunk scanned
 * its whole table for the oldest rows (1M messages: a full scan per 500-row chunk). Messages,
 * inbound texts, events and event-webhook deliveries get one on their timestamp; delivery
 * reports one only over the unmatched rows (matched reports go with their message, by its id),
 * so the report path's inserts of matched reports do not maintain it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('messages_created_idx').on('messages').column('created_at').execute();
  await db.schema
    .createIndex('inbound_messages_received_idx')
    .on('inbound_messages')
    .column('received_at')
    .execute();
  await db.schema.createIndex('events_at_idx').on('events').column('at').execute();
  await db.schema
    .createIndex('event_webhook_deliveries_at_idx')
    .on('event_webhook_deliveries')
    .column('at')
    .execute();
  await db.schema
    .createIndex('webhook_rejects_received_idx')
    .on('webhook_rejects')
    .column('received_at')
    .execute();
  await db.schema
    .createIndex('delivery_reports_unmatched_age_idx')
    .on('delivery_reports')
    .column('received_at')
    .where(sql.ref('matched'), '=', 0)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const index of [
    'delivery_reports_unmatched_age_idx',
    'webhook_rejects_received_idx',
    'event_webhook_deliveries_at_idx',
    'events_at_idx',
    'inbound_messages_received_idx',
    'messages_created_idx',
  ])
    await db.schema.dropIndex(index).execute();
}
