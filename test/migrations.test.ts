import { Migrator, sql } from 'kysely';
import { expect, it } from 'vitest';
import { MigrationError, pendingMigrations } from '../src/db/migrate.js';
import { migrations } from '../src/db/migrations/index.js';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect, migrateTestDatabase, withSchemaLock } from './helpers/databases.js';

describeEachDialect(
  'migrations',
  ({ db }) => {
    it('applies every migration, then nothing on a second run', async () => {
      expect(await pendingMigrations(db())).toEqual(Object.keys(migrations));
      expect(await migrateTestDatabase(db())).toEqual(Object.keys(migrations));
      expect(await pendingMigrations(db())).toEqual([]);
      expect(await migrateTestDatabase(db())).toEqual([]);
    });

    it('keeps /readyz at 503 until every migration is applied', async () => {
      await migrateTestDatabase(db());
      await sql`delete from kysely_migration where name = '0001_admin_tokens'`.execute(db().kysely);
      const { app } = await buildTestApp(db());
      const before = await app.inject('/readyz');
      expect(before.statusCode).toBe(503);
      expect(before.json()).toMatchObject({
        checks: { migrations: 'pending' },
        pendingMigrations: ['0001_admin_tokens'],
      });
      await app.close();
    });

    it('0006 keeps inbound rows, scopes de-duplication per webhook credential, and goes back down', async () => {
      const migrator = new Migrator({
        db: db().kysely,
        provider: { getMigrations: () => Promise.resolve(migrations) },
        ...(db().schema ? { migrationTableSchema: db().schema } : {}),
      });
      const to = (name: string) =>
        withSchemaLock(async () => {
          const { error } = await migrator.migrateTo(name);
          if (error) throw error instanceof Error ? error : new Error(JSON.stringify(error));
        });
      await to('0005_lookup_indexes');
      const row = (id: string, credential: string | null) => ({
        id,
        provider_message_id: 'mo-1',
        sandbox: credential ? 'prod' : null,
        credential_id: credential,
        from_number: '+14155550123',
        to_number: '+14155550100',
        text: 'STOP',
        category: null,
        action: null,
        received_at: '2026-11-25T12:00:00.000Z',
        raw: '{}',
      });
      const table = sql.table('inbound_messages');
      const insert = (r: ReturnType<typeof row>, webhook?: string) =>
        sql`insert into ${table} (${sql.join(
          [...Object.keys(r), ...(webhook ? ['webhook_credential_id'] : [])].map((c) => sql.ref(c)),
        )}) values (${sql.join([...Object.values(r), ...(webhook ? [webhook] : [])])})`.execute(
          db().kysely,
        );
      await insert(row('a1', 'cred-a'));
      await to('0006_inbound_dedup_per_credential');
      const kept = await db().kysely.selectFrom('inbound_messages').selectAll().execute();
      expect(kept).toMatchObject([{ id: 'a1', webhook_credential_id: 'cred-a' }]);
      // The same provider id through another credential's URL is a new text; through the same, a replay.
      await insert(row('b1', 'cred-b'), 'cred-b');
      await expect(insert(row('a2', 'cred-a'), 'cred-a')).rejects.toThrow();
      await to('0005_lookup_indexes');
      const down = await db().kysely.selectFrom('inbound_messages').select('id').execute();
      expect(down.map((r) => r.id)).toEqual(['a1']);
      await migrateTestDatabase(db());
    });

    it('reports a failed migration with its name and leaves it pending', async () => {
      // A table in the way makes the first migration fail, as a hand-edited database would.
      await sql`create table admin_tokens (x integer)`.execute(db().kysely);
      const error = await migrateTestDatabase(db()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MigrationError);
      expect((error as Error).message).toMatch(/^Migration 0001_admin_tokens failed/);
      expect(await pendingMigrations(db())).toContain('0001_admin_tokens');
    });
  },
  { migrate: false },
);
