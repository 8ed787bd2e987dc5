import type { Selectable } from 'kysely';
import type { Executor } from '../db/executor.js';
import { decodeCursor, toPage, type Page } from '../db/pagination.js';
import type { ApprovalRequestsTable } from '../db/schema.js';
import type { Permission } from '../auth/roles.js';
import type { Approval, ApprovalKind, ApprovalSettings, ApprovalStatus } from './approval.js';

type Row = Selectable<ApprovalRequestsTable>;

export function approvalFromRow(row: Row): Approval {
  return {
    id: row.id,
    sandbox: row.sandbox,
    kind: row.kind as ApprovalKind,
    permission: row.permission as Permission,
    resource: { type: row.resource_type, id: row.resource_id, name: row.resource_name },
    change: JSON.parse(row.change) as Record<string, unknown>,
    requestedBy: {
      kind: row.requested_by_kind as Approval['requestedBy']['kind'],
      id: row.requested_by,
      name: row.requested_by_name,
    },
    requestedAt: row.requested_at,
    status: row.status as ApprovalStatus,
    decidedBy:
      row.decided_by === null
        ? null
        : { kind: 'user', id: row.decided_by, name: row.decided_by_name },
    decidedAt: row.decided_at,
    reason: row.reason,
    result: row.result === null ? null : (JSON.parse(row.result) as unknown),
  };
}

export async function readSettings(db: Executor, sandbox: string): Promise<ApprovalSettings> {
  const row = await db
    .selectFrom('approval_settings')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .executeTakeFirst();
  return {
    campaignApprovalAbove: row?.campaign_approval_above ?? null,
    complianceApprovals: row?.compliance_approvals === 1,
  };
}

export async function writeSettings(
  db: Executor,
  sandbox: string,
  settings: ApprovalSettings,
  at: string,
): Promise<void> {
  const values = {
    campaign_approval_above: settings.campaignApprovalAbove,
    compliance_approvals: settings.complianceApprovals ? 1 : 0,
    updated_at: at,
  };
  await db
    .insertInto('approval_settings')
    .values({ sandbox, ...values })
    .onConflict((oc) => oc.column('sandbox').doUpdateSet(values))
    .execute();
}

export async function insertApproval(db: Executor, row: Row): Promise<void> {
  await db.insertInto('approval_requests').values(row).execute();
}

export async function findApproval(
  db: Executor,
  sandbox: string,
  id: string,
): Promise<Row | undefined> {
  return db
    .selectFrom('approval_requests')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** The pending request of a kind for one resource, if any. */
export async function findPending(
  db: Executor,
  sandbox: string,
  kind: ApprovalKind,
  resourceType: string,
  resourceId: string,
): Promise<Row | undefined> {
  return db
    .selectFrom('approval_requests')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('resource_type', '=', resourceType)
    .where('resource_id', '=', resourceId)
    .where('kind', '=', kind)
    .where('status', '=', 'pending')
    .executeTakeFirst();
}

/**
 * Moves a request from `from` to its decision; false when it was no longer in `from` (another
 * approver was first), so two people never both apply one change.
 */
export async function decideApproval(
  db: Executor,
  sandbox: string,
  id: string,
  from: ApprovalStatus,
  set: Partial<
    Pick<Row, 'status' | 'decided_by' | 'decided_by_name' | 'decided_at' | 'reason' | 'result'>
  >,
): Promise<boolean> {
  const result = await db
    .updateTable('approval_requests')
    .set(set)
    .where('sandbox', '=', sandbox)
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The approval list's filters and page. */
export interface ApprovalQuery {
  status?: ApprovalStatus;
  resourceType?: string;
  resourceId?: string;
  cursor?: string;
  limit: number;
}

export async function listApprovals(
  db: Executor,
  sandbox: string,
  query: ApprovalQuery,
): Promise<Page<Approval>> {
  const after = decodeCursor(query.cursor);
  let select = db.selectFrom('approval_requests').selectAll().where('sandbox', '=', sandbox);
  if (query.status) select = select.where('status', '=', query.status);
  if (query.resourceType) select = select.where('resource_type', '=', query.resourceType);
  if (query.resourceId) select = select.where('resource_id', '=', query.resourceId);
  if (after) select = select.where('id', '<', after);
  const rows = await select
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
  return toPage(rows, query.limit, approvalFromRow);
}
