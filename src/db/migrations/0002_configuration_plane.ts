import type { Kysely } from 'kysely';

/**
 * Sandboxes, API credentials, channel configurations and the audit log. Sandboxed tables lead
 * their keys with `sandbox` (ready for sharding by sandbox); the global inbound-number lookup
 * lives in a small table of its own.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sandboxes')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('credentials')
    .addColumn('sandbox', 'text', (c) => c.notNull().references('sandboxes.name'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('base_url', 'text', (c) => c.notNull())
    .addColumn('api_key_encrypted', 'text', (c) => c.notNull())
    .addColumn('api_key_hint', 'text', (c) => c.notNull())
    .addColumn('webhook_secret_encrypted', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('inbound_number', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('credentials_pk', ['sandbox', 'id'])
    .addUniqueConstraint('credentials_name_unique', ['sandbox', 'name'])
    .execute();

  await db.schema
    .createTable('inbound_numbers')
    .addColumn('number', 'text', (c) => c.primaryKey())
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('credential_id', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('channel_configurations')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('message_type', 'text', (c) => c.notNull())
    .addColumn('credential_id', 'text', (c) => c.notNull())
    .addColumn('sender', 'text', (c) => c.notNull())
    .addColumn('marketing_footer', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('channel_configurations_pk', ['sandbox', 'id'])
    .addUniqueConstraint('channel_configurations_name_unique', ['sandbox', 'name'])
    .addForeignKeyConstraint(
      'channel_configurations_credential_fk',
      ['sandbox', 'credential_id'],
      'credentials',
      ['sandbox', 'id'],
    )
    .execute();
  await db.schema
    .createIndex('channel_configurations_credential_idx')
    .on('channel_configurations')
    .columns(['sandbox', 'credential_id'])
    .execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('fields', 'text', (c) => c.notNull())
    .addColumn('details', 'text')
    .addPrimaryKeyConstraint('audit_events_pk', ['sandbox', 'id'])
    .execute();
  await db.schema
    .createIndex('audit_events_resource_idx')
    .on('audit_events')
    .columns(['sandbox', 'resource_id', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'audit_events',
    'channel_configurations',
    'inbound_numbers',
    'credentials',
    'sandboxes',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
