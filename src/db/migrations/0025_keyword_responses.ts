import type { Kysely } from 'kysely';

/**
 * Keyword responses (issue 17): the reply and actions behind one custom inbound keyword of a
 * credential. `keyword` is stored normalised (credentials/keywords.ts), `actions` is a JSON
 * array (automation/action.ts), `template_id` names a template of the sandbox (checked by the
 * service, not a foreign key: templates are soft-deleted).
 *
 * The key leads with `sandbox` like every sandboxed table; the foreign key to the credential
 * cascades, so deleting a credential deletes its responses in the same statement (SQLite runs
 * with foreign_keys = ON).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('keyword_responses')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('credential_id', 'text', (c) => c.notNull())
    .addColumn('keyword', 'text', (c) => c.notNull())
    .addColumn('template_id', 'text')
    .addColumn('actions', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('keyword_responses_pk', ['sandbox', 'credential_id', 'keyword'])
    .addForeignKeyConstraint(
      'keyword_responses_credential_fk',
      ['sandbox', 'credential_id'],
      'credentials',
      ['sandbox', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  // "Which responses use this template" (the template's delete refuses while one does).
  await db.schema
    .createIndex('keyword_responses_template_idx')
    .on('keyword_responses')
    .columns(['sandbox', 'template_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('keyword_responses').execute();
}
