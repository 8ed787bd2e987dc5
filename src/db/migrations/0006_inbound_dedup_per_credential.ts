import { sql, type Kysely } from 'kysely';

/**
 * Inbound de-duplication per receiving credential, not global: with `provider_message_id`
 * unique over every credential, one credential's webhook could pre-claim an id and another
 * tenant's genuine STOP with that id was dropped as a replay (issue 12 row 4). Infobip retries
 * a text to the same URL, so the credential whose URL received it is the scope.
 *
 * Neither database can drop 0003's inline unique constraint in place the same way (SQLite
 * cannot at all), so the table is rebuilt: the same statements run on both. Rows from before
 * keep their routed credential as the scope ('' for unrouted ones, which stay unique by id).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await rebuild(db, 'webhook_credential_id', sql`coalesce(credential_id, '')`);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await rebuild(db, null, sql``);
}

const COLUMNS = [
  'id',
  'provider_message_id',
  'sandbox',
  'credential_id',
  'from_number',
  'to_number',
  'text',
  'category',
  'action',
  'received_at',
  'raw',
];

async function rebuild(
  db: Kysely<unknown>,
  scope: 'webhook_credential_id' | null,
  scopeValue: ReturnType<typeof sql>,
): Promise<void> {
  // Renamed first so the new table's constraint names do not clash on PostgreSQL.
  await db.schema.alterTable('inbound_messages').renameTo('inbound_messages_old').execute();
  let table = db.schema
    .createTable('inbound_messages')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('provider_message_id', 'text', (c) => c.notNull())
    .addColumn('sandbox', 'text')
    .addColumn('credential_id', 'text')
    .addColumn('from_number', 'text', (c) => c.notNull())
    .addColumn('to_number', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('category', 'text')
    .addColumn('action', 'text')
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('raw', 'text', (c) => c.notNull());
  table = scope
    ? table
        .addColumn(scope, 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('inbound_messages_pk', ['id'])
        .addUniqueConstraint('inbound_messages_dedup_unique', [scope, 'provider_message_id'])
    : table
        .addPrimaryKeyConstraint('inbound_messages_pk0', ['id'])
        .addUniqueConstraint('inbound_messages_provider_message_id_unique', [
          'provider_message_id',
        ]);
  await table.execute();
  const columns = sql.join(COLUMNS.map((c) => sql.ref(c)));
  if (scope) {
    await sql`insert into inbound_messages (${columns}, ${sql.ref(scope)})
      select ${columns}, ${scopeValue} from inbound_messages_old`.execute(db);
  } else {
    // Back to one global id: the first text of each id is kept.
    await sql`insert into inbound_messages (${columns})
      select ${columns} from inbound_messages_old where id in
        (select min(id) from inbound_messages_old group by provider_message_id)`.execute(db);
  }
  await db.schema.dropTable('inbound_messages_old').execute();
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
}
