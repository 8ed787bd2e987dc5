/** The machine and software a benchmark run measured, read at run time. */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import Database from 'better-sqlite3';
import pg from 'pg';

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  sqlite: string;
  betterSqlite3: string;
  fastify: string;
  /** `PostgreSQL 15.20`, or null when PostgreSQL was not measured. */
  postgres: string | null;
  /** 1-minute load average when the run started. */
  loadAtStart: number;
  /** The commit measured, with `+ uncommitted changes` when src/ or simulator/ differ from it. */
  commit: string;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return '';
  }
}

/** The commit of the working tree, noting uncommitted changes to the code under test. */
export function commitMeasured(): string {
  const head = git(['log', '-1', '--format=%h %s']);
  if (!head) return 'unknown (not a git checkout)';
  const dirty = git(['status', '--porcelain', '--', 'src', 'simulator', 'package.json']) !== '';
  return dirty ? `${head} + uncommitted changes in src/ or simulator/` : head;
}

async function postgresVersion(url: string): Promise<string> {
  // The server's own database: the benchmark's may not exist yet.
  const server = Object.assign(new URL(url), { pathname: '/postgres' }).toString();
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('show server_version');
    return `PostgreSQL ${rows[0]?.server_version.split(' ')[0] ?? '?'}`;
  } finally {
    await client.end();
  }
}

/** Reads the machine; `postgresUrl` is asked its server version unless null. */
export async function readMachine(postgresUrl: string | null): Promise<Machine> {
  const sqlite = new Database(':memory:');
  const sqliteVersion = (sqlite.prepare('select sqlite_version() as v').get() as { v: string }).v;
  sqlite.close();
  const require = createRequire(import.meta.url);
  const version = (name: string) =>
    (require(`${name}/package.json`) as { version: string }).version;
  const cpus = os.cpus();
  return {
    cores: os.availableParallelism(),
    cpuModel: cpus[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown',
    memoryGiB: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.versions.node,
    sqlite: sqliteVersion,
    betterSqlite3: version('better-sqlite3'),
    fastify: version('fastify'),
    postgres: postgresUrl === null ? null : await postgresVersion(postgresUrl),
    loadAtStart: os.loadavg()[0] ?? 0,
    commit: commitMeasured(),
  };
}
