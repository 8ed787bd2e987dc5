import { sql, type Selectable } from 'kysely';
import type { DialectCapabilities } from '../db/dialect.js';
import type { Executor } from '../db/executor.js';
import type { Page } from '../db/pagination.js';
import type { FlowRunsTable, FlowsTable } from '../db/schema.js';
import { nameContains } from '../db/search.js';
import { newId } from '../ids.js';
import type { FlowDefinition, TimelineNote } from './definition.js';
import {
  flowFromRow,
  runFromRow,
  timelineFromRow,
  type Flow,
  type FlowRun,
  type FlowStatus,
  type FlowVersion,
  type TimelineEntry,
} from './flow.js';

export type FlowRow = Selectable<FlowsTable>;
export type RunRow = Selectable<FlowRunsTable>;

/** Cursors of the flows list are the base64url of the last name (names are unique per sandbox). */
function encodeName(name: string): string {
  return Buffer.from(name, 'utf8').toString('base64url');
}
function decodeName(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  return Buffer.from(cursor, 'base64url').toString('utf8');
}

export async function findFlowRow(
  db: Executor,
  sandbox: string,
  id: string,
): Promise<FlowRow | undefined> {
  return db
    .selectFrom('flows')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Active runs per flow (one grouped count for a page of flows). */
export async function activeRunCounts(
  db: Executor,
  sandbox: string,
  flowIds: string[],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (flowIds.length === 0) return counts;
  const rows = await db
    .selectFrom('flow_runs')
    .select(['flow_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('sandbox', '=', sandbox)
    .where('flow_id', 'in', flowIds)
    .where('status', '=', 'active')
    .groupBy('flow_id')
    .execute();
  for (const r of rows) counts.set(r.flow_id, Number(r.n));
  return counts;
}

export async function findFlow(
  db: Executor,
  sandbox: string,
  id: string,
): Promise<Flow | undefined> {
  const row = await findFlowRow(db, sandbox, id);
  if (!row) return undefined;
  const counts = await activeRunCounts(db, sandbox, [id]);
  return flowFromRow(row, counts.get(id) ?? 0);
}

/** Flows by name (keyset on the name), optionally of one status or containing a text. */
export async function listFlows(
  db: Executor,
  sandbox: string,
  query: { status?: FlowStatus; name?: string; cursor?: string; limit: number },
): Promise<Page<Flow>> {
  let select = db.selectFrom('flows').selectAll().where('sandbox', '=', sandbox);
  if (query.status) select = select.where('status', '=', query.status);
  if (query.name) select = select.where(nameContains(query.name));
  const after = decodeName(query.cursor);
  if (after !== undefined) select = select.where('name', '>', after);
  const rows = await select
    .orderBy('name')
    .limit(query.limit + 1)
    .execute();
  const more = rows.length > query.limit;
  const kept = more ? rows.slice(0, query.limit) : rows;
  const counts = await activeRunCounts(
    db,
    sandbox,
    kept.map((r) => r.id),
  );
  const last = kept[kept.length - 1];
  return {
    items: kept.map((r) => flowFromRow(r, counts.get(r.id) ?? 0)),
    nextCursor: more && last ? encodeName(last.name) : null,
  };
}

export async function insertFlow(db: Executor, row: FlowRow): Promise<void> {
  await db.insertInto('flows').values(row).execute();
}

export async function insertFlowVersion(
  db: Executor,
  v: {
    sandbox: string;
    flowId: string;
    version: number;
    definition: FlowDefinition;
    at: string;
    actor: string;
  },
): Promise<void> {
  await db
    .insertInto('flow_versions')
    .values({
      sandbox: v.sandbox,
      flow_id: v.flowId,
      version: v.version,
      definition: JSON.stringify(v.definition),
      created_at: v.at,
      created_by: v.actor,
    })
    .execute();
}

/** Writes a flow at `fromVersion`; false when it moved meanwhile (a concurrent edit). */
export async function advanceFlow(
  db: Executor,
  row: FlowRow,
  fromVersion: number,
): Promise<boolean> {
  const result = await db
    .updateTable('flows')
    .set({
      name: row.name,
      status: row.status,
      version: row.version,
      definition: row.definition,
      trigger_type: row.trigger_type,
      trigger_key: row.trigger_key,
      updated_at: row.updated_at,
    })
    .where('sandbox', '=', row.sandbox)
    .where('id', '=', row.id)
    .where('version', '=', fromVersion)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteFlowRows(db: Executor, sandbox: string, id: string): Promise<boolean> {
  await db
    .deleteFrom('flow_versions')
    .where('sandbox', '=', sandbox)
    .where('flow_id', '=', id)
    .execute();
  const result = await db
    .deleteFrom('flows')
    .where('sandbox', '=', sandbox)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** A flow's versions, newest first; the cursor is a version number. */
export async function listFlowVersions(
  db: Executor,
  sandbox: string,
  flowId: string,
  query: { beforeVersion?: number; limit: number },
): Promise<Page<FlowVersion>> {
  let select = db
    .selectFrom('flow_versions')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('flow_id', '=', flowId);
  if (query.beforeVersion !== undefined) select = select.where('version', '<', query.beforeVersion);
  const rows = await select
    .orderBy('version', 'desc')
    .limit(query.limit + 1)
    .execute();
  const more = rows.length > query.limit;
  const kept = more ? rows.slice(0, query.limit) : rows;
  const last = kept[kept.length - 1];
  return {
    items: kept.map((r) => ({
      flowId: r.flow_id,
      version: Number(r.version),
      definition: JSON.parse(r.definition) as FlowDefinition,
      createdAt: r.created_at,
    })),
    nextCursor: more && last ? String(last.version) : null,
  };
}

export async function findFlowDefinition(
  db: Executor,
  sandbox: string,
  flowId: string,
  version: number,
): Promise<FlowDefinition | undefined> {
  const row = await db
    .selectFrom('flow_versions')
    .select('definition')
    .where('sandbox', '=', sandbox)
    .where('flow_id', '=', flowId)
    .where('version', '=', version)
    .executeTakeFirst();
  return row ? (JSON.parse(row.definition) as FlowDefinition) : undefined;
}

/**
 * The flows whose current version sends the template, with those steps (for the template's
 * delete). Read by a LIKE on the stored JSON, confirmed by parsing: a sandbox has few flows.
 */
export async function flowsSendingTemplate(
  db: Executor,
  sandbox: string,
  templateId: string,
): Promise<{ flowId: string; name: string; stepIds: string[] }[]> {
  const rows = await db
    .selectFrom('flows')
    .select(['id', 'name', 'definition'])
    .where('sandbox', '=', sandbox)
    .where('definition', 'like', `%${templateId}%`)
    .orderBy('name')
    .execute();
  const found = [];
  for (const row of rows) {
    const { steps } = JSON.parse(row.definition) as FlowDefinition;
    const stepIds = steps
      .filter((s) => s.type === 'send' && s.templateId === templateId)
      .map((s) => s.id);
    if (stepIds.length > 0) found.push({ flowId: row.id, name: row.name, stepIds });
  }
  return found;
}

/** The active flows of a trigger (keyword `credentialId:KEYWORD`, segment id, event name). */
export async function flowsByTrigger(
  db: Executor,
  sandbox: string,
  type: string,
  key: string,
): Promise<FlowRow[]> {
  return db
    .selectFrom('flows')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('trigger_type', '=', type)
    .where('trigger_key', '=', key)
    .where('status', '=', 'active')
    .orderBy('id')
    .execute();
}

// ---- runs ----

export async function insertRun(db: Executor, row: RunRow): Promise<void> {
  await db.insertInto('flow_runs').values(row).execute();
}

export async function findRunRow(
  db: Executor,
  caps: DialectCapabilities,
  sandbox: string,
  id: string,
  lock = false,
): Promise<RunRow | undefined> {
  let select = db
    .selectFrom('flow_runs')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('id', '=', id);
  // PostgreSQL: the step holds the run's row from its read to its commit, so an inbound reply
  // or a second runner waits for it instead of writing beside it.
  if (lock && caps.skipLocked) select = select.forUpdate();
  return select.executeTakeFirst();
}

/** The active runs of a number in a sandbox (oldest first). */
export async function activeRunsOfPhone(
  db: Executor,
  sandbox: string,
  phone: string,
): Promise<RunRow[]> {
  return db
    .selectFrom('flow_runs')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('phone', '=', phone)
    .where('status', '=', 'active')
    .orderBy('id')
    .execute();
}

export interface RunQuery {
  flowId?: string;
  phone?: string;
  status?: 'active' | 'ended';
  cursor?: string;
  limit: number;
}

function encodeRunCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/** Runs newest first (ids are time-ordered), filtered by flow, number and status. */
export async function listRuns(
  db: Executor,
  sandbox: string,
  query: RunQuery,
): Promise<Page<FlowRun>> {
  let select = db
    .selectFrom('flow_runs as r')
    .leftJoin('flows as f', (join) =>
      join.onRef('f.sandbox', '=', 'r.sandbox').onRef('f.id', '=', 'r.flow_id'),
    )
    .selectAll('r')
    .select('f.name as flow_name')
    .where('r.sandbox', '=', sandbox);
  if (query.flowId) select = select.where('r.flow_id', '=', query.flowId);
  if (query.phone) select = select.where('r.phone', '=', query.phone);
  if (query.status) select = select.where('r.status', '=', query.status);
  if (query.cursor) {
    const before = Buffer.from(query.cursor, 'base64url').toString('utf8');
    select = select.where('r.id', '<', before);
  }
  const rows = await select
    .orderBy('r.id', 'desc')
    .limit(query.limit + 1)
    .execute();
  const more = rows.length > query.limit;
  const kept = more ? rows.slice(0, query.limit) : rows;
  const last = kept[kept.length - 1];
  return {
    items: kept.map((r) => runFromRow(r, r.flow_name)),
    nextCursor: more && last ? encodeRunCursor(last.id) : null,
  };
}

export async function findRun(
  db: Executor,
  sandbox: string,
  id: string,
): Promise<FlowRun | undefined> {
  const row = await db
    .selectFrom('flow_runs as r')
    .leftJoin('flows as f', (join) =>
      join.onRef('f.sandbox', '=', 'r.sandbox').onRef('f.id', '=', 'r.flow_id'),
    )
    .selectAll('r')
    .select('f.name as flow_name')
    .where('r.sandbox', '=', sandbox)
    .where('r.id', '=', id)
    .executeTakeFirst();
  return row ? runFromRow(row, row.flow_name) : undefined;
}

export async function runTimeline(
  db: Executor,
  sandbox: string,
  runId: string,
): Promise<TimelineEntry[]> {
  const rows = await db
    .selectFrom('flow_run_events')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('run_id', '=', runId)
    // Guess: a run's timeline is short (a loop guard ends it after a few sends); 1,000 caps it.
    .orderBy('id')
    .limit(1000)
    .execute();
  return rows.map(timelineFromRow);
}

export async function insertTimeline(
  db: Executor,
  sandbox: string,
  runId: string,
  notes: (TimelineNote & { messageId?: string | null })[],
): Promise<void> {
  if (notes.length === 0) return;
  await db
    .insertInto('flow_run_events')
    .values(
      notes.map((n) => ({
        sandbox,
        id: newId(),
        run_id: runId,
        at: n.at,
        step_id: n.stepId,
        kind: n.kind.slice(0, 40),
        detail: n.detail.slice(0, 1000),
        message_id: n.messageId ?? null,
      })),
    )
    .execute();
}

/** Sends of a flow to a number since `since` (the per-day loop guard), from the timelines. */
export async function countFlowSends(
  db: Executor,
  sandbox: string,
  flowId: string,
  phone: string,
  since: string,
): Promise<number> {
  // The runs of (flow, number) first, then their notes: as a join, SQLite read every note of
  // the sandbox.
  const row = await db
    .selectFrom('flow_run_events as e')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('e.sandbox', '=', sandbox)
    .where('e.run_id', 'in', (eb) =>
      eb
        .selectFrom('flow_runs as r')
        .select('r.id')
        .where('r.sandbox', '=', sandbox)
        .where('r.flow_id', '=', flowId)
        .where('r.phone', '=', phone),
    )
    .where('e.kind', '=', 'sent')
    .where('e.at', '>=', since)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * Claims up to `limit` due runs of active flows for `owner` until `leaseUntil`: runs whose
 * deadline passed and that nobody holds (or whose holder's lease ran out: it died). One
 * statement; on PostgreSQL `FOR UPDATE SKIP LOCKED` lets several runners claim side by side.
 */
export async function claimDueRuns(
  db: Executor,
  caps: DialectCapabilities,
  request: { now: string; owner: string; leaseUntil: string; limit: number },
): Promise<{ sandbox: string; id: string; flow_id: string; phone: string }[]> {
  const { now, owner, leaseUntil, limit } = request;
  return db
    .updateTable('flow_runs')
    .set({ lease_owner: owner, lease_until: leaseUntil })
    .where((eb) => {
      const due = eb
        .selectFrom('flow_runs as d')
        .select('d.id')
        .where('d.status', '=', 'active')
        .where('d.due_at', '<=', now)
        .where((w) => w.or([w('d.lease_until', 'is', null), w('d.lease_until', '<=', now)]))
        .where((w) =>
          w.exists(
            w
              .selectFrom('flows as f')
              .select('f.id')
              .whereRef('f.sandbox', '=', 'd.sandbox')
              .whereRef('f.id', '=', 'd.flow_id')
              .where('f.status', '=', 'active'),
          ),
        )
        .orderBy('d.due_at')
        .limit(limit);
      // `= ANY(ARRAY(…))`: an init plan run once (see messages/queue.ts).
      return caps.skipLocked
        ? sql<boolean>`${eb.ref('id')} = any(array(${due.forUpdate().skipLocked()}))`
        : eb('id', 'in', due);
    })
    .returning(['sandbox', 'id', 'flow_id', 'phone'])
    .execute();
}
