import { sql, type Kysely } from 'kysely';

/**
 * Message templates (issue 15). `templates` is the name and the pointer to the current version;
 * `template_versions` holds every version, immutable: an edit inserts version + 1 and moves the
 * pointer, so a campaign pinned to version 3 renders version 3 whatever happens later. Keys lead
 * with `sandbox` like every sandboxed table.
 *
 * Delete is soft (`deleted_at`): the versions stay for the audit log and the campaigns that sent
 * them, and the name is free again, so the name is unique among live templates only (a partial
 * unique index, which SQLite and PostgreSQL both have).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('templates')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('current_version', 'integer', (c) => c.notNull())
    .addColumn('deleted_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('templates_pk', ['sandbox', 'id'])
    .execute();
  await db.schema
    .createIndex('templates_name_unique')
    .on('templates')
    .columns(['sandbox', 'name'])
    .unique()
    .where(sql.ref('deleted_at'), 'is', null)
    .execute();

  await db.schema
    .createTable('template_versions')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('template_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    // JSON array of {url, contentType?}; null for none.
    .addColumn('media', 'text')
    .addColumn('message_type', 'text', (c) => c.notNull())
    .addColumn('dlt_content_template_id', 'text')
    .addColumn('dlt_template_text', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('template_versions_pk', ['sandbox', 'template_id', 'version'])
    .addForeignKeyConstraint(
      'template_versions_template_fk',
      ['sandbox', 'template_id'],
      'templates',
      ['sandbox', 'id'],
    )
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('template_versions').execute();
  await db.schema.dropTable('templates').execute();
}
