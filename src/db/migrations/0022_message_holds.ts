import type { Kysely } from 'kysely';

/**
 * Send-time policy on messages (issue 16): the rule that held or dropped a marketing message,
 * where the recipient's location came from, and until when a held message waits in Tern's own
 * queue (`next_attempt_at` is that plus its jitter). All null for a message no rule touched, so
 * existing rows need no backfill and no index: the worker reads them only on rows it claimed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('policy_rule', 'text').execute();
  await db.schema.alterTable('messages').addColumn('policy_source', 'text').execute();
  await db.schema.alterTable('messages').addColumn('held_until', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').dropColumn('held_until').execute();
  await db.schema.alterTable('messages').dropColumn('policy_source').execute();
  await db.schema.alterTable('messages').dropColumn('policy_rule').execute();
}
