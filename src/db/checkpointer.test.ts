import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import { openDatabase, type Db } from './database.js';

let dir: string | undefined;
let db: Db | undefined;
afterEach(async () => {
  await db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

it('copies committed pages from the WAL into the database file without the writer checkpointing', async () => {
  dir = mkdtempSync(join(tmpdir(), 'tern-checkpoint-'));
  const file = join(dir, 'tern.db');
  db = openDatabase(file);
  await sql`create table blobs (id integer primary key, body text not null)`.execute(db.kysely);
  const before = statSync(file).size;
  // ~2 MB: far below the writer's own automatic threshold (10,000 pages, ~40 MB).
  for (let i = 0; i < 500; i++) {
    await sql`insert into blobs (body) values (${'x'.repeat(4000)})`.execute(db.kysely);
  }
  await until(() => statSync(file).size > before + 1_000_000);
  const { rows } = await sql<{ n: number }>`select count(*) as n from blobs`.execute(db.kysely);
  expect(rows[0]?.n).toBe(500);
});

it('stops its thread when the database closes', async () => {
  dir = mkdtempSync(join(tmpdir(), 'tern-checkpoint-'));
  const opened = openDatabase(join(dir, 'tern.db'));
  await sql`select 1`.execute(opened.kysely);
  await expect(opened.close()).resolves.toBeUndefined();
});
