import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { isPostgresUrl } from '../config.js';
import { capabilities, type DialectCapabilities } from './dialect.js';
import { assertDatabaseLocation } from './database-location.js';
import { startCheckpointer } from './checkpointer.js';
import { createPrivateFile, securePrivateDirectory, tightenFile } from './file-modes.js';
import { WriteLockingSqliteDialect, writeLockProbe } from './sqlite-locking.js';
import { LiteralLimitPlugin } from './prepared.js';
import type { Database } from './schema.js';

/** An open database: the Kysely handle plus what its dialect can do. */
export interface Db {
  kysely: Kysely<Database>;
  capabilities: DialectCapabilities;
  /** Human-readable location for logs, without any password. */
  describe: string;
  /** PostgreSQL: the schema Tern's tables live in (so that migrations look only there). */
  schema?: string;
  /**
   * False while another connection holds SQLite's write lock (every write would fail with
   * SQLITE_BUSY): readiness reports it. Always true on PostgreSQL, which locks rows, not files.
   */
  writable(): Promise<boolean>;
  /** What opening found and fixed that an operator should know (file modes tightened). */
  warnings: string[];
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL only: the schema to use (tests give each test its own). */
  schema?: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
  /**
   * SQLite: how long one statement waits, blocking the thread, for a lock another connection
   * holds. Default {@link SERVER_BUSY_TIMEOUT_MS}; the CLI, which serves no one meanwhile, waits longer.
   */
  busyTimeoutMs?: number;
}

/**
 * better-sqlite3 is synchronous: a statement waiting for a lock held elsewhere (a CLI command,
 * `sqlite3 tern.db 'BEGIN IMMEDIATE'`) stops the whole event loop for its busy timeout. 5,000 ms
 * froze every request, /healthz included; 50 ms bounds that stall, then the write fails with
 * SQLITE_BUSY (503 unavailable with Retry-After) and the group committer and worker retry it;
 * for 250 ms after that, statements do not wait at all (sqlite-locking.ts).
 */
export const SERVER_BUSY_TIMEOUT_MS = 50;
/** The CLI's lock wait: a command may wait for a running server's commit; it blocks no one. */
export const CLI_BUSY_TIMEOUT_MS = 5000;

/** Opens SQLite (a file path or `:memory:`) or PostgreSQL (a `postgres://` URL). */
export function openDatabase(url: string, options: OpenOptions = {}): Db {
  return isPostgresUrl(url) ? openPostgres(url, options) : openSqlite(url, options);
}

/** The SQLite file a URL names (`sqlite:`, `file:` and `//` prefixes dropped). */
function sqlitePath(url: string): string {
  return url.replace(/^(sqlite|file):(\/\/)?/, '');
}

/** True for an in-memory SQLite database: another connection would open a database of its own. */
export function isMemoryDatabase(url: string): boolean {
  return !isPostgresUrl(url) && sqlitePath(url) === ':memory:';
}

function openSqlite(path: string, options: OpenOptions): Db {
  const given = sqlitePath(path);
  const onDisk = given !== ':memory:';
  // Absolute from here on: the checkpointer thread opens the file again, and a relative path
  // would be taken from whatever the working directory is by then.
  const file = onDisk ? resolve(given) : given;
  const warnings: string[] = [];
  const tighten = () => {
    for (const f of [file, `${file}-wal`, `${file}-shm`]) {
      const warning = tightenFile(f);
      if (warning) warnings.push(warning);
    }
  };
  if (onDisk) {
    let warning: string | undefined;
    try {
      warning = securePrivateDirectory(dirname(file));
    } catch (error) {
      assertDatabaseLocation(file, error);
      throw error;
    }
    assertDatabaseLocation(file);
    if (warning) warnings.push(warning);
    // SQLite gives the -wal and -shm files the database file's mode: 0600 here makes all three so.
    createPrivateFile(file);
    tighten();
  }
  const sqlite = new SQLite(file);
  // WAL lets readers run while the writer commits; NORMAL sync is durable across process
  // crashes (only an OS crash can lose the last commits), and measured ~3x the insert rate of FULL.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  const busyTimeoutMs = options.busyTimeoutMs ?? SERVER_BUSY_TIMEOUT_MS;
  sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
  // Savepoints (one per group-committed item) keep their undo pages in a temp sub-journal: in
  // memory it costs ~6 µs less per insert than a temp file.
  sqlite.pragma('temp_store = MEMORY');
  // The log is checkpointed by a worker thread (see checkpointer.ts); the automatic checkpoint
  // inside a commit stays only as a safety net, at 10,000 pages (~40 MB) instead of 1,000.
  sqlite.pragma('wal_autocheckpoint = 10000');
  if (onDisk) tighten(); // a -wal or -shm an older Tern left behind
  const checkpointer = onDisk ? startCheckpointer(file) : null;
  cachePreparedStatements(sqlite);
  const dialect = new WriteLockingSqliteDialect(sqlite, busyTimeoutMs);
  const kysely = new Kysely<Database>({
    dialect,
    plugins: [new LiteralLimitPlugin()],
  });
  return {
    kysely,
    capabilities: capabilities.sqlite,
    describe: `sqlite:${file}`,
    writable: writeLockProbe(kysely, () => dialect.lastBusyAt()),
    warnings,
    close: async () => {
      await checkpointer?.stop();
      await kysely.destroy();
    },
  };
}

/**
 * Kysely's SQLite driver prepares every statement anew; the hot paths run the same few dozen SQL
 * texts over and over, and preparing was ~11% of an inbound text's CPU. Statements are reused
 * (SQLite re-prepares them itself after a schema change); Kysely runs one query at a time on
 * the one connection, so a cached statement is never busy when it is asked for again.
 */
function cachePreparedStatements(sqlite: SQLite.Database): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, SQLite.Statement>();
  sqlite.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (!statement) {
      if (cache.size >= 2000) cache.clear(); // generated SQL (IN lists of varying length) stays bounded
      statement = prepare(source);
      cache.set(source, statement);
    }
    return statement;
  }) as typeof sqlite.prepare;
}

function openPostgres(url: string, options: OpenOptions): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5000,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // An idle client that loses its server must not crash the process: the pool replaces it.
  pool.on('error', () => {});
  // Nor one checked out (the pool drops its own listener meanwhile): losing the server between
  // two queries of a transaction emitted an unhandled 'error' and killed the process (found by
  // test/pg-restart.test.ts). Its queries fail instead, and the pool discards it on release.
  pool.on('connect', (client) => client.on('error', () => {}));
  const kysely = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    plugins: [new LiteralLimitPlugin()],
  });
  const parsed = new URL(url);
  parsed.password = '';
  return {
    kysely,
    capabilities: capabilities.postgres,
    schema: options.schema ?? 'public',
    describe: `${parsed.toString()}${options.schema ? ` (schema ${options.schema})` : ''}`,
    writable: () => Promise.resolve(true),
    warnings: [],
    close: () => kysely.destroy(),
  };
}

/** True when the database answers a trivial query. */
export async function pingDatabase(db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db.kysely);
    return true;
  } catch {
    return false;
  }
}
