import type { Kysely } from 'kysely';

/**
 * India DLT content template (and telemarketer) ids per channel configuration and per message:
 * operators block a text whose template does not match it, and one template per credential
 * fitted one kind of text only. Null means "the next level's": message > channel > credential.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['channel_configurations', 'messages']) {
    await db.schema.alterTable(table).addColumn('dlt_content_template_id', 'text').execute();
    await db.schema.alterTable(table).addColumn('dlt_telemarketer_id', 'text').execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['channel_configurations', 'messages']) {
    await db.schema.alterTable(table).dropColumn('dlt_telemarketer_id').execute();
    await db.schema.alterTable(table).dropColumn('dlt_content_template_id').execute();
  }
}
