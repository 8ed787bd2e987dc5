import type { Kysely } from 'kysely';

/**
 * Messaging: profiles and the consent ledger, outbound messages (the durable queue) with their
 * status history and delivery reports, inbound texts, and the event log. Sandboxed tables lead
 * their keys with `sandbox`; the queue's claim index is global because one worker serves all.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Null = the default policy, `not-unsubscribed`.
  await db.schema.alterTable('sandboxes').addColumn('consent_policy', 'text').execute();
  // Set when the provider refused the key (401/403) while sending; cleared by a good verify.
  await db.schema.alterTable('credentials').addColumn('provider_auth_failed_at', 'text').execute();

  await db.schema
    .createTable('profiles')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('phone', 'text', (c) => c.notNull())
    .addColumn('consent', 'text', (c) => c.notNull())
    .addColumn('consent_updated_at', 'text')
    .addColumn('attributes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('profiles_pk', ['sandbox', 'id'])
    .addUniqueConstraint('profiles_phone_unique', ['sandbox', 'phone'])
    .execute();

  // Append-only. `phone_hash` outlives an erased profile, so that an opt-out survives erasure.
  await db.schema
    .createTable('consent_events')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('profile_id', 'text')
    .addColumn('phone_hash', 'text', (c) => c.notNull())
    .addColumn('from_state', 'text', (c) => c.notNull())
    .addColumn('to_state', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('inbound_message_id', 'text')
    .addColumn('actor', 'text')
    .addColumn('note', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('consent_events_pk', ['sandbox', 'id'])
    .execute();
  await db.schema
    .createIndex('consent_events_profile_idx')
    .on('consent_events')
    .columns(['sandbox', 'profile_id', 'id'])
    .execute();
  await db.schema
    .createIndex('consent_events_phone_idx')
    .on('consent_events')
    .columns(['sandbox', 'phone_hash', 'id'])
    .execute();

  await db.schema
    .createTable('double_opt_in_requests')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('phone', 'text', (c) => c.notNull())
    .addColumn('credential_id', 'text')
    .addColumn('previous_state', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('double_opt_in_requests_pk', ['sandbox', 'phone'])
    .execute();

  await db.schema
    .createTable('messages')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('channel_configuration_id', 'text')
    .addColumn('credential_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('message_type', 'text', (c) => c.notNull())
    .addColumn('sender', 'text', (c) => c.notNull())
    .addColumn('to_number', 'text', (c) => c.notNull())
    .addColumn('text', 'text')
    .addColumn('media', 'text')
    .addColumn('callback_data', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_reason', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'text')
    .addColumn('valid_until', 'text', (c) => c.notNull())
    // 1 when a send may have reached the provider without an answer: look in its logs first.
    .addColumn('uncertain', 'integer', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('provider_status', 'text')
    .addColumn('provider_error', 'text')
    .addColumn('segments', 'integer', (c) => c.notNull())
    .addColumn('encoding', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text')
    .addColumn('request_hash', 'text')
    .addColumn('send_at', 'text')
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('inbound_message_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('accepted_at', 'text')
    .addColumn('done_at', 'text')
    .addPrimaryKeyConstraint('messages_pk', ['sandbox', 'id'])
    .addUniqueConstraint('messages_idempotency_unique', ['sandbox', 'idempotency_key'])
    .execute();
  // The worker's claim: due messages in one status, oldest first.
  await db.schema
    .createIndex('messages_due_idx')
    .on('messages')
    .columns(['status', 'next_attempt_at'])
    .execute();
  await db.schema
    .createIndex('messages_to_idx')
    .on('messages')
    .columns(['sandbox', 'to_number', 'id'])
    .execute();
  await db.schema
    .createIndex('messages_status_idx')
    .on('messages')
    .columns(['sandbox', 'status', 'id'])
    .execute();

  await db.schema
    .createTable('message_events')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('report', 'text')
    .addPrimaryKeyConstraint('message_events_pk', ['sandbox', 'id'])
    .execute();
  await db.schema
    .createIndex('message_events_message_idx')
    .on('message_events')
    .columns(['sandbox', 'message_id', 'id'])
    .execute();

  // Every delivery report received, raw; `dedup_key` makes a replayed report a no-op.
  await db.schema
    .createTable('delivery_reports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('dedup_key', 'text', (c) => c.notNull().unique())
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('credential_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('matched', 'integer', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('raw', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('delivery_reports_message_idx')
    .on('delivery_reports')
    .columns(['sandbox', 'message_id'])
    .execute();

  // Inbound texts. Unique on the provider's id: Infobip retries webhooks, Tern acts once.
  await db.schema
    .createTable('inbound_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('provider_message_id', 'text', (c) => c.notNull().unique())
    .addColumn('sandbox', 'text')
    .addColumn('credential_id', 'text')
    .addColumn('from_number', 'text', (c) => c.notNull())
    .addColumn('to_number', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('category', 'text')
    .addColumn('action', 'text')
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('raw', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('inbound_messages_sandbox_idx')
    .on('inbound_messages')
    .columns(['sandbox', 'id'])
    .execute();
  await db.schema
    .createIndex('inbound_messages_from_idx')
    .on('inbound_messages')
    .columns(['sandbox', 'from_number', 'id'])
    .execute();

  // The event log behind the SSE stream and event webhooks.
  await db.schema
    .createTable('events')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('events_pk', ['sandbox', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'events',
    'inbound_messages',
    'delivery_reports',
    'message_events',
    'messages',
    'double_opt_in_requests',
    'consent_events',
    'profiles',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
