import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { loadKeyring } from '../crypto/key-file.js';
import { openDatabase, type Db } from './database.js';

/** Row 20 of issue 12: the database, its WAL and the data directory were world-readable. */
let root: string;
let db: Db | undefined;
let umask: number;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tern-modes-'));
  // The usual umask, whatever the test runner has: files would be 0644 and directories 0755.
  umask = process.umask(0o022);
});
afterEach(async () => {
  await db?.close();
  db = undefined;
  process.umask(umask);
  rmSync(root, { recursive: true, force: true });
});

const mode = (path: string) => statSync(path).mode & 0o777;

it('creates the data directory 0700 and the database, -wal and -shm files 0600', async () => {
  const dir = join(root, 'data');
  const file = join(dir, 'tern.db');
  db = openDatabase(file);
  await sql`create table t (x text)`.execute(db.kysely);
  await sql`insert into t values ('a')`.execute(db.kysely);
  expect(mode(dir)).toBe(0o700);
  expect(mode(file)).toBe(0o600);
  expect(mode(`${file}-wal`)).toBe(0o600);
  expect(mode(`${file}-shm`)).toBe(0o600);
  expect(db.warnings).toEqual([]);
});

it('tightens a directory and files an older version left readable, with a warning for each', async () => {
  const dir = join(root, 'data');
  const file = join(dir, 'tern.db');
  mkdirSync(dir, { mode: 0o755 });
  const old = openDatabase(file);
  await sql`create table t (x text)`.execute(old.kysely);
  await old.close();
  for (const f of [file, `${file}-wal`]) {
    writeFileSync(f, '', { flag: 'a' });
    chmodSync(f, 0o644);
  }
  chmodSync(dir, 0o755);
  db = openDatabase(file);
  expect([mode(dir), mode(file), mode(`${file}-wal`)]).toEqual([0o700, 0o600, 0o600]);
  expect(db.warnings).toEqual([
    `${dir} was open to others (mode 0755); set to 0700`,
    `${file} was readable by others (mode 0644); set to 0600`,
    `${file}-wal was readable by others (mode 0644); set to 0600`,
  ]);
  // Still the same database.
  await sql`insert into t values ('b')`.execute(db.kysely);
});

it('leaves a shared directory (the working directory) as it is, but not the files in it', () => {
  const cwd = process.cwd();
  chmodSync(root, 0o755);
  process.chdir(root);
  try {
    db = openDatabase('tern.db');
    expect(mode(root)).toBe(0o755);
    expect(mode(join(root, 'tern.db'))).toBe(0o600);
  } finally {
    process.chdir(cwd);
  }
});

it('writes the key file 0600 in a 0700 directory and tightens an old readable one', () => {
  const dir = join(root, 'keys');
  const config = parseConfig({ DATABASE_URL: join(dir, 'tern.db') });
  const first = loadKeyring(config);
  expect(mode(dir)).toBe(0o700);
  expect(mode(join(dir, 'tern.key'))).toBe(0o600);
  expect(first.warnings).toEqual([]);

  chmodSync(join(dir, 'tern.key'), 0o644);
  const again = loadKeyring(config);
  expect(mode(join(dir, 'tern.key'))).toBe(0o600);
  expect(again.keyring.current.id).toBe(first.keyring.current.id);
  expect(again.warnings).toEqual([
    `${join(dir, 'tern.key')} was readable by others (mode 0644); set to 0600`,
  ]);
});
