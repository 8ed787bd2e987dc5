import type { Kysely } from 'kysely';

/**
 * People (issue 18): users who sign in to the console, their roles per sandbox, their sessions
 * and the invitations that bring them in. Admin tokens stay for machines.
 *
 * - `users.email` is stored lower-cased and unique; `password_hash` is null until a password is
 *   set (an invited user, or one who only signs in through OIDC). `(oidc_issuer, oidc_subject)`
 *   links a user to one single-sign-on identity once they have used it.
 * - `memberships` holds one row per role a user has in a sandbox (a user may hold several:
 *   compliance alone may edit compliance settings, so a one-person team holds both).
 * - `sessions.id` is the SHA-256 of the cookie's random value, like admin tokens: a copy of the
 *   table signs nobody in.
 * - `invitations.token_hash` likewise; an invitation is used once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text')
    .addColumn('password_hash', 'text')
    .addColumn('oidc_issuer', 'text')
    .addColumn('oidc_subject', 'text')
    .addColumn('instance_admin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('disabled_at', 'text')
    .execute();
  await db.schema
    .createIndex('users_oidc_identity_idx')
    .on('users')
    .columns(['oidc_issuer', 'oidc_subject'])
    .unique()
    .execute();

  await db.schema
    .createTable('memberships')
    .addColumn('sandbox', 'text', (c) => c.notNull().references('sandboxes.name'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('memberships_pk', ['sandbox', 'user_id', 'role'])
    .execute();
  // "Which sandboxes and roles has this user" (every console request asks).
  await db.schema
    .createIndex('memberships_user_idx')
    .on('memberships')
    .columns(['user_id', 'sandbox'])
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('via', 'text', (c) => c.notNull())
    .addColumn('address', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('invitations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('sandbox', 'text', (c) => c.notNull().references('sandboxes.name'))
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('accepted_at', 'text')
    .execute();
  await db.schema.createIndex('invitations_user_idx').on('invitations').column('user_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('invitations').execute();
  await db.schema.dropTable('sessions').execute();
  await db.schema.dropTable('memberships').execute();
  await db.schema.dropTable('users').execute();
}
