import type { Selectable } from 'kysely';
import type { Executor } from '../db/executor.js';
import { decodeCursor, toPage, type Page } from '../db/pagination.js';
import type { ListsTable, SegmentsTable } from '../db/schema.js';
import { nameContains } from '../db/search.js';
import type { SegmentRule } from './segment-rule.js';

/** A saved rule segment. */
export interface Segment {
  id: string;
  sandbox: string;
  name: string;
  description: string | null;
  rule: SegmentRule;
  /** Live: membership is kept and `segment.entered` / `segment.left` are emitted. */
  live: boolean;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** A static list of profiles. */
export interface List {
  id: string;
  sandbox: string;
  name: string;
  description: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

function segmentFromRow(row: Selectable<SegmentsTable>): Segment {
  return {
    id: row.id,
    sandbox: row.sandbox,
    name: row.name,
    description: row.description,
    rule: JSON.parse(row.rule) as SegmentRule,
    live: row.live === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

function segmentToRow(s: Segment): Selectable<SegmentsTable> {
  return {
    sandbox: s.sandbox,
    id: s.id,
    name: s.name,
    description: s.description,
    rule: JSON.stringify(s.rule),
    live: s.live ? 1 : 0,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    version: s.version,
  };
}

function listFromRow(row: Selectable<ListsTable>): List {
  return {
    id: row.id,
    sandbox: row.sandbox,
    name: row.name,
    description: row.description,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

export async function findSegment(
  db: Executor,
  sandbox: string,
  id: string,
): Promise<Segment | undefined> {
  const row = await db
    .selectFrom('segments')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? segmentFromRow(row) : undefined;
}

export async function listSegments(
  db: Executor,
  sandbox: string,
  query: { name?: string; cursor?: string; limit: number },
): Promise<Page<Segment>> {
  const after = decodeCursor(query.cursor);
  let select = db.selectFrom('segments').selectAll().where('sandbox', '=', sandbox);
  if (query.name) select = select.where(nameContains(query.name));
  if (after) select = select.where('id', '>', after);
  const rows = await select
    .orderBy('id')
    .limit(query.limit + 1)
    .execute();
  return toPage(rows, query.limit, segmentFromRow);
}

/** The live segments of a sandbox (all sandboxes when omitted). */
export async function liveSegments(db: Executor, sandbox?: string): Promise<Segment[]> {
  let select = db.selectFrom('segments').selectAll().where('live', '=', 1);
  if (sandbox !== undefined) select = select.where('sandbox', '=', sandbox);
  return (await select.orderBy('sandbox').orderBy('id').execute()).map(segmentFromRow);
}

export async function insertSegment(db: Executor, segment: Segment): Promise<void> {
  await db.insertInto('segments').values(segmentToRow(segment)).execute();
}

/** Writes a segment if it is still at `expectedVersion`; false when it moved on. */
export async function updateSegment(
  db: Executor,
  segment: Segment,
  expectedVersion: number,
): Promise<boolean> {
  const { sandbox, id, created_at: _created, ...rest } = segmentToRow(segment);
  const result = await db
    .updateTable('segments')
    .set(rest)
    .where('sandbox', '=', sandbox)
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteSegment(db: Executor, sandbox: string, id: string): Promise<void> {
  await db
    .deleteFrom('segment_members')
    .where('sandbox', '=', sandbox)
    .where('segment_id', '=', id)
    .execute();
  await db.deleteFrom('segments').where('sandbox', '=', sandbox).where('id', '=', id).execute();
}

export async function findList(
  db: Executor,
  sandbox: string,
  id: string,
): Promise<List | undefined> {
  const row = await db
    .selectFrom('lists')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? listFromRow(row) : undefined;
}

export async function listLists(
  db: Executor,
  sandbox: string,
  query: { name?: string; cursor?: string; limit: number },
): Promise<Page<List>> {
  const after = decodeCursor(query.cursor);
  let select = db.selectFrom('lists').selectAll().where('sandbox', '=', sandbox);
  if (query.name) select = select.where(nameContains(query.name));
  if (after) select = select.where('id', '>', after);
  const rows = await select
    .orderBy('id')
    .limit(query.limit + 1)
    .execute();
  return toPage(rows, query.limit, listFromRow);
}

export async function insertList(db: Executor, list: List): Promise<void> {
  await db
    .insertInto('lists')
    .values({
      sandbox: list.sandbox,
      id: list.id,
      name: list.name,
      description: list.description,
      created_at: list.createdAt,
      updated_at: list.updatedAt,
      version: list.version,
    })
    .execute();
}

export async function updateList(
  db: Executor,
  list: List,
  expectedVersion: number,
): Promise<boolean> {
  const result = await db
    .updateTable('lists')
    .set({
      name: list.name,
      description: list.description,
      updated_at: list.updatedAt,
      version: list.version,
    })
    .where('sandbox', '=', list.sandbox)
    .where('id', '=', list.id)
    .where('version', '=', expectedVersion)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteList(db: Executor, sandbox: string, id: string): Promise<void> {
  await db
    .deleteFrom('list_members')
    .where('sandbox', '=', sandbox)
    .where('list_id', '=', id)
    .execute();
  await db.deleteFrom('lists').where('sandbox', '=', sandbox).where('id', '=', id).execute();
}
