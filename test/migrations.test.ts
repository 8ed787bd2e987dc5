import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { MigrationError, pendingMigrations } from '../src/db/migrate.js';
import { migrations } from '../src/db/migrations/index.js';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect, migrateTestDatabase } from './helpers/databases.js';

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
