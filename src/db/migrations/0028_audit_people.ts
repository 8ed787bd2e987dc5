import type { Kysely } from 'kysely';

/**
 * Audit entries name who made the change as they were then: the actor's kind (token, user,
 * system, cli), name (users are renamed, tokens revoked) and address (the request's IP). Entries
 * before 0028 have none; the log then names a token from `admin_tokens`, as before. The index
 * serves the log filtered by person (`?actor=`), newest first.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of ['actor_kind', 'actor_name', 'actor_address'])
    await db.schema.alterTable('audit_events').addColumn(column, 'text').execute();
  await db.schema
    .createIndex('audit_events_actor_idx')
    .on('audit_events')
    .columns(['sandbox', 'actor', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_events_actor_idx').execute();
  for (const column of ['actor_kind', 'actor_name', 'actor_address'])
    await db.schema.alterTable('audit_events').dropColumn(column).execute();
}
