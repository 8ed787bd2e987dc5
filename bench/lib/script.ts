/** Helpers for bench scripts that are both runnable on their own and imported by the runner. */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { withClient } from '../../test/helpers/pg-database.js';

/** True when the module at `moduleUrl` is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return pathToFileURL(realpathSync(entry)).href === moduleUrl;
  } catch {
    return false;
  }
}

/** The PostgreSQL database benchmarks use unless told otherwise (dropped and created afresh). */
export const DEFAULT_PG_URL =
  process.env.TERN_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/tern_bench';

/**
 * The database named in `url`, which benchmarks drop and create afresh: only a name containing
 * `bench` is accepted, so that a benchmark never drops a test or production database.
 */
export function benchDatabaseName(url: string): string {
  const database = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]*$/.test(database) || !database.includes('bench'))
    throw new Error(
      `refusing to drop and recreate ${JSON.stringify(database)}: name a database with "bench" in its name`,
    );
  return database;
}

/** Drops and creates the database named in `url` (see {@link benchDatabaseName}). */
export async function freshPostgresDatabase(url: string): Promise<string> {
  const database = benchDatabaseName(url);
  const adminUrl = Object.assign(new URL(url), { pathname: '/postgres' }).toString();
  await withClient(adminUrl, async (admin) => {
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.query(`create database ${database}`);
  });
  return url;
}
