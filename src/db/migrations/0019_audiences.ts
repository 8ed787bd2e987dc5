import { sql, type Kysely } from 'kysely';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * Audiences (issue 15): rule segments, their live membership, and static lists.
 *
 * - `segments`: a rule (JSON) per name; `live` ones keep `segment_members` current, and
 *   `segment_cursors` holds, per sandbox, the last event the live loop has read.
 * - `lists` / `list_members`: static lists of profiles (ids only: the phone stays on the profile).
 * - `profiles.region`: the ISO region of the phone, for the country leaf. A column, not calling
 *   code prefixes: +1 is shared by the US, Canada and 23 other regions, told apart only by the
 *   numbering plan (libphonenumber's metadata), which SQL cannot read. Backfilled here, kept
 *   filled by the two places that create profiles.
 * - `profiles_consent_idx`: a count by consent reads the index alone instead of every row.
 *
 * Every key starts with the sandbox, as everywhere else.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('segments')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('live', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('segments_pk', ['sandbox', 'id'])
    .addUniqueConstraint('segments_name_unique', ['sandbox', 'name'])
    .execute();
  await db.schema
    .createIndex('segments_live_idx')
    .on('segments')
    .columns(['live', 'sandbox'])
    .execute();

  await db.schema
    .createTable('segment_members')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('segment_id', 'text', (c) => c.notNull())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('entered_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('segment_members_pk', ['sandbox', 'segment_id', 'profile_id'])
    .execute();
  await db.schema
    .createIndex('segment_members_profile_idx')
    .on('segment_members')
    .columns(['sandbox', 'profile_id'])
    .execute();

  await db.schema
    .createTable('segment_cursors')
    .addColumn('sandbox', 'text', (c) => c.primaryKey())
    .addColumn('cursor', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('lists')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('lists_pk', ['sandbox', 'id'])
    .addUniqueConstraint('lists_name_unique', ['sandbox', 'name'])
    .execute();

  await db.schema
    .createTable('list_members')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('list_id', 'text', (c) => c.notNull())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('list_members_pk', ['sandbox', 'list_id', 'profile_id'])
    .execute();
  await db.schema
    .createIndex('list_members_profile_idx')
    .on('list_members')
    .columns(['sandbox', 'profile_id'])
    .execute();

  await db.schema.alterTable('profiles').addColumn('region', 'text').execute();
  await backfillRegions(db);
  await db.schema
    .createIndex('profiles_consent_idx')
    .on('profiles')
    .columns(['sandbox', 'consent'])
    .execute();
}

/** Fills `profiles.region` a page of 1,000 at a time (an installation may hold millions). */
async function backfillRegions(db: Kysely<unknown>): Promise<void> {
  let after: { sandbox: string; id: string } | undefined;
  for (;;) {
    // Keyset over the primary key (sandbox, id): each page is an index seek, not a sort.
    const from = after
      ? sql`where sandbox > ${after.sandbox} or (sandbox = ${after.sandbox} and id > ${after.id})`
      : sql``;
    const { rows } = await sql<{ sandbox: string; id: string; phone: string }>`
      select sandbox, id, phone from profiles ${from} order by sandbox, id limit 1000`.execute(db);
    if (rows.length === 0) return;
    for (const row of rows) {
      const region = parsePhoneNumberFromString(row.phone)?.country ?? null;
      if (region === null) continue;
      await sql`update profiles set region = ${region}
        where sandbox = ${row.sandbox} and id = ${row.id}`.execute(db);
    }
    const last = rows[rows.length - 1]!;
    after = { sandbox: last.sandbox, id: last.id };
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('profiles_consent_idx').execute();
  await db.schema.alterTable('profiles').dropColumn('region').execute();
  for (const table of ['list_members', 'lists', 'segment_cursors', 'segment_members', 'segments'])
    await db.schema.dropTable(table).execute();
}
