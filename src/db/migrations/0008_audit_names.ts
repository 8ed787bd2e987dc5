import type { Kysely } from 'kysely';

/**
 * Audit entries name what they changed (a credential's name, a webhook's URL host), so the log
 * still reads after the resource is gone; older entries have none and show their ids.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_events').addColumn('resource_name', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_events').dropColumn('resource_name').execute();
}
