/**
 * Throwaway PostgreSQL databases for process tests and fault runs: each run gets a database of
 * its own on the server `adminUrl` points at, dropped (forcing its connections out) afterwards.
 */
import pg from 'pg';

export async function withClient<T>(
  adminUrl: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database beside `adminUrl`'s and returns its URL. */
export async function freshPgDatabase(adminUrl: string, prefix = 'tern_procs'): Promise<string> {
  const name = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
  await withClient(adminUrl, (c) => c.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops a database made by {@link freshPgDatabase}, even with clients still connected. */
export async function dropPgDatabase(adminUrl: string, url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  await withClient(adminUrl, (c) => c.query(`drop database if exists ${name} with (force)`));
}
