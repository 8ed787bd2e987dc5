import type { Kysely } from 'kysely';

/**
 * Event webhooks: URLs that receive a sandbox's events. Each webhook keeps its own cursor on the
 * `events` table (the id of the last event it has dealt with), so nothing is lost across
 * restarts; a lease (owner + expiry) lets one process at a time deliver for a webhook. Every
 * delivery attempt is logged.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('event_webhooks')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    // JSON array of event types, or null for every type.
    .addColumn('types', 'text')
    .addColumn('description', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('secret_encrypted', 'text', (c) => c.notNull())
    // Id of the last event dealt with ('' = none yet); events after it are pending.
    .addColumn('cursor', 'text', (c) => c.notNull())
    // Failed attempts at the pending batch; 0 after a success.
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('last_delivery_at', 'text')
    .addColumn('last_delivery_status', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('event_webhooks_pk', ['sandbox', 'id'])
    .execute();
  // The dispatcher's claim and its updates by id alone (ids are UUIDv7, unique).
  await db.schema
    .createIndex('event_webhooks_id_unique')
    .on('event_webhooks')
    .column('id')
    .unique()
    .execute();
  await db.schema
    .createIndex('event_webhooks_due_idx')
    .on('event_webhooks')
    .columns(['enabled', 'next_attempt_at'])
    .execute();

  await db.schema
    .createTable('event_webhook_deliveries')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('webhook_id', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    // `succeeded`, `failed` (will retry) or `gave_up` (attempts exhausted; the batch was skipped).
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('http_status', 'integer')
    .addColumn('error', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('event_count', 'integer', (c) => c.notNull())
    .addColumn('first_event_id', 'text')
    .addColumn('last_event_id', 'text')
    .addColumn('next_attempt_at', 'text')
    .addPrimaryKeyConstraint('event_webhook_deliveries_pk', ['sandbox', 'id'])
    .execute();
  await db.schema
    .createIndex('event_webhook_deliveries_webhook_idx')
    .on('event_webhook_deliveries')
    .columns(['sandbox', 'webhook_id', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('event_webhook_deliveries').execute();
  await db.schema.dropTable('event_webhooks').execute();
}
