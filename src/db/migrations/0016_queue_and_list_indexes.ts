import type { Kysely } from 'kysely';

/**
 * The send worker's reads at volume. With 500,000 messages queued on SQLite, finding the
 * credentials with due work (`SELECT DISTINCT … WHERE status = 'queued' …`) read every queued
 * row (337 ms a poll) and a claim sorted them all (917 ms): the drain rate fell as the backlog
 * grew. `messages_queue_idx` leads with status and credential, so the worker walks the distinct
 * credentials with queued rows one index seek each, and a claim reads its rows in due order and
 * stops at the batch size. It replaces `messages_due_idx` (status, next_attempt_at), which only
 * the old query used.
 *
 * `messages_channel_idx` serves the message log filtered by channel configuration, newest first
 * (a scan of the sandbox's rows without it: 1 s at 1M messages).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('messages_queue_idx')
    .on('messages')
    .columns(['status', 'credential_id', 'next_attempt_at'])
    .execute();
  await db.schema.dropIndex('messages_due_idx').execute();
  await db.schema
    .createIndex('messages_channel_idx')
    .on('messages')
    .columns(['sandbox', 'channel_configuration_id', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('messages_channel_idx').execute();
  await db.schema
    .createIndex('messages_due_idx')
    .on('messages')
    .columns(['status', 'next_attempt_at'])
    .execute();
  await db.schema.dropIndex('messages_queue_idx').execute();
}
