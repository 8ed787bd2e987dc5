import type { Clock } from '../clock.js';
import type { Executor } from '../db/executor.js';
import { decodeCursor, toPage, type Page } from '../db/pagination.js';
import { newId } from '../ids.js';

export type AuditAction =
  | 'credential.created'
  | 'credential.updated'
  | 'credential.deleted'
  | 'credential.verified'
  | 'credential.secrets_rotated'
  | 'channel_configuration.created'
  | 'channel_configuration.updated'
  | 'channel_configuration.deleted'
  | 'sandbox.created'
  | 'sandbox.updated';

/** One audited change. `fields` are names only: values of secrets never reach the audit log. */
export interface AuditEntry {
  id: string;
  sandbox: string;
  at: string;
  actor: string;
  action: AuditAction;
  resourceType: string;
  resourceId: string;
  fields: string[];
  details: Record<string, unknown> | null;
}

export type AuditInput = Omit<AuditEntry, 'id' | 'at' | 'details'> & {
  details?: Record<string, unknown>;
};

/** Appends an audit entry; call it inside the transaction that makes the change. */
export async function recordAudit(db: Executor, clock: Clock, entry: AuditInput): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      sandbox: entry.sandbox,
      id: newId(),
      at: clock.now().toISOString(),
      actor: entry.actor,
      action: entry.action,
      resource_type: entry.resourceType,
      resource_id: entry.resourceId,
      fields: JSON.stringify(entry.fields),
      details: entry.details ? JSON.stringify(entry.details) : null,
    })
    .execute();
}

/** The sandbox's audit log, newest first. */
export async function listAudit(
  db: Executor,
  sandbox: string,
  query: { resourceId?: string; cursor?: string; limit: number },
): Promise<Page<AuditEntry>> {
  const after = decodeCursor(query.cursor);
  let select = db.selectFrom('audit_events').selectAll().where('sandbox', '=', sandbox);
  if (query.resourceId) select = select.where('resource_id', '=', query.resourceId);
  if (after) select = select.where('id', '<', after);
  const rows = await select
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
  return toPage(rows, query.limit, (row) => ({
    id: row.id,
    sandbox: row.sandbox,
    at: row.at,
    actor: row.actor,
    action: row.action as AuditAction,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    fields: JSON.parse(row.fields) as string[],
    details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null,
  }));
}
