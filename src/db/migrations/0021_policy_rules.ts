import { sql, type Kysely } from 'kysely';

/**
 * Send-time policy (issue 16). `policy_rules` holds a sandbox's own rules and its overrides of
 * shipped ones (`overrides` = the shipped id, which is also the row's id, so a sandbox has at
 * most one override per shipped rule); shipped rules live in code (src/policy/shipped-rules.ts),
 * never here. `definition` is the rule as JSON (src/policy/rule.ts).
 *
 * `messages_policy_cap_idx` serves the cap counts (`count(*) … WHERE sandbox = ? AND to_number IN
 * (…) AND created_at >= ?` for marketing messages, one query per cap): messages_to_idx is
 * (sandbox, to_number, id) and would read every message ever sent to the number; this one reads
 * only the window's rows. Partial on marketing messages, so transactional sends and replies do
 * not maintain it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('policy_rules')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('overrides', 'text')
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('policy_rules_pk', ['sandbox', 'id'])
    .execute();
  await db.schema
    .createIndex('messages_policy_cap_idx')
    .on('messages')
    .columns(['sandbox', 'to_number', 'created_at'])
    .where(sql.ref('message_type'), '=', sql.lit('marketing'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('messages_policy_cap_idx').execute();
  await db.schema.dropTable('policy_rules').execute();
}
