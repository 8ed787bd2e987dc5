import type { Kysely } from 'kysely';

/**
 * Approvals (issue 18): a campaign above a sandbox's size threshold, and (when the sandbox asks
 * for it) every change to keywords, consent rules or send-time rules, wait for a second person.
 *
 * - `approval_settings` has one row per sandbox that changed them; no row means both off.
 *   `campaign_approval_above` null is off; `compliance_approvals` is 0 or 1.
 * - `approval_requests.change` is the requested change as JSON (never a secret: credential
 *   secrets are refused from an intercepted body). `resource_version` is the resource's version
 *   when requested: approving a change to a resource that changed since fails (status failed).
 *   `result` is the JSON the applied change answered (or the error that stopped it).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('approval_settings')
    .addColumn('sandbox', 'text', (c) => c.primaryKey().references('sandboxes.name'))
    .addColumn('campaign_approval_above', 'integer')
    .addColumn('compliance_approvals', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('approval_requests')
    .addColumn('sandbox', 'text', (c) => c.notNull().references('sandboxes.name'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('permission', 'text', (c) => c.notNull())
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('resource_name', 'text')
    .addColumn('resource_version', 'text')
    .addColumn('change', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('requested_by_kind', 'text', (c) => c.notNull())
    .addColumn('requested_by_name', 'text')
    .addColumn('requested_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('decided_by', 'text')
    .addColumn('decided_by_name', 'text')
    .addColumn('decided_at', 'text')
    .addColumn('reason', 'text')
    .addColumn('result', 'text')
    .addPrimaryKeyConstraint('approval_requests_pk', ['sandbox', 'id'])
    .execute();
  // The console's list: pending ones, newest first.
  await db.schema
    .createIndex('approval_requests_status_idx')
    .on('approval_requests')
    .columns(['sandbox', 'status', 'id'])
    .execute();
  // "Is this campaign waiting for approval?"
  await db.schema
    .createIndex('approval_requests_resource_idx')
    .on('approval_requests')
    .columns(['sandbox', 'resource_type', 'resource_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('approval_requests').execute();
  await db.schema.dropTable('approval_settings').execute();
}
