import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe } from 'vitest';
import { openDatabase, type Db } from '../../src/db/database.js';
import type { DialectName } from '../../src/db/dialect.js';
import { migrateToLatest } from '../../src/db/migrate.js';

/** PostgreSQL tests run only when this points at a server (CI sets it). */
export const POSTGRES_URL = process.env.TERN_TEST_DATABASE_URL;

/** A fresh, isolated database: a temp SQLite file, or a PostgreSQL schema of its own. */
export interface TestDatabase {
  dialect: DialectName;
  /** A URL/path that opens the same database (PostgreSQL: with `schema`). */
  url: string;
  schema: string | undefined;
  open(): Db;
  dispose(): Promise<void>;
}

export async function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'tern-test-'));
    const url = join(dir, 'tern.db');
    return {
      dialect,
      url,
      schema: undefined,
      open: () => openDatabase(url),
      dispose: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    };
  }
  if (!POSTGRES_URL) throw new Error('TERN_TEST_DATABASE_URL is not set');
  const schema = `test_${randomBytes(6).toString('hex')}`;
  await withPgClient((c) => c.query(`create schema ${schema}`));
  return {
    dialect,
    url: POSTGRES_URL,
    schema,
    open: () => openDatabase(POSTGRES_URL, { schema, poolSize: 4 }),
    dispose: () =>
      withSchemaLock(() =>
        withPgClient((c) => c.query(`drop schema if exists ${schema} cascade`)),
      ).then(() => undefined),
  };
}

/**
 * Kysely's migrator introspects every schema of the database; a schema dropped by a parallel
 * test in the middle of that makes it fail ("schema … does not exist"). Migrations and drops
 * of test schemas therefore take turns under one advisory lock. Production has no such drops.
 */
export async function withSchemaLock<T>(work: () => Promise<T>): Promise<T> {
  if (!POSTGRES_URL) return work();
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock(727274)');
    return await work();
  } finally {
    await client.query('select pg_advisory_unlock(727274)').catch(() => undefined);
    await client.end();
  }
}

/** `migrateToLatest` for tests: safe beside parallel tests that drop their schemas. */
export function migrateTestDatabase(db: Db): Promise<string[]> {
  return withSchemaLock(() => migrateToLatest(db));
}

async function withPgClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The dialects this run covers: SQLite always, PostgreSQL when TERN_TEST_DATABASE_URL is set. */
export const DIALECTS: DialectName[] = POSTGRES_URL ? ['sqlite', 'postgres'] : ['sqlite'];

/**
 * Declares a suite once per dialect. Each test gets its own migrated database, opened in
 * `beforeEach` and destroyed in `afterEach`; read it through the returned getter.
 */
export function describeEachDialect(
  name: string,
  body: (ctx: { db: () => Db; testDb: () => TestDatabase; dialect: DialectName }) => void,
  options: { migrate?: boolean } = {},
): void {
  for (const dialect of DIALECTS) {
    describe(`${name} [${dialect}]`, () => {
      let testDb: TestDatabase | undefined;
      let db: Db | undefined;
      beforeEach(async () => {
        testDb = await createTestDatabase(dialect);
        db = testDb.open();
        if (options.migrate !== false) await migrateTestDatabase(db);
      });
      afterEach(async () => {
        await db?.close();
        await testDb?.dispose();
        db = undefined;
        testDb = undefined;
      });
      body({
        dialect,
        db: () => {
          if (!db) throw new Error('database used outside a test');
          return db;
        },
        testDb: () => {
          if (!testDb) throw new Error('database used outside a test');
          return testDb;
        },
      });
    });
  }
}
