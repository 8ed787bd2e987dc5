import type { Clock } from '../clock.js';
import type { Executor } from '../db/executor.js';
import { decodeCursor, toPage, type Page } from '../db/pagination.js';
import { newId } from '../ids.js';
import type { Actor } from '../auth/principal.js';

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
  | 'sandbox.updated'
  | 'admin_token.created'
  | 'admin_token.revoked'
  | 'event_webhook.created'
  | 'event_webhook.updated'
  | 'event_webhook.deleted'
  | 'profile.erased'
  | 'template.created'
  | 'template.updated'
  | 'template.deleted'
  | 'segment.created'
  | 'segment.updated'
  | 'segment.deleted'
  | 'list.created'
  | 'list.updated'
  | 'list.deleted'
  | 'list.members_added'
  | 'list.members_removed'
  | 'campaign.created'
  | 'campaign.updated'
  | 'campaign.deleted'
  | 'campaign.test_sent'
  | 'campaign.confirmed'
  | 'campaign.paused'
  | 'campaign.resumed'
  | 'campaign.cancelled'
  | 'policy_rule.created'
  | 'policy_rule.updated'
  | 'policy_rule.overridden'
  | 'policy_rule.restored'
  | 'policy_rule.deleted'
  | 'flow.created'
  | 'flow.updated'
  | 'flow.deleted'
  | 'flow_run.cancelled'
  | 'keyword_response.updated'
  | 'keyword_response.deleted'
  | 'member.updated'
  | 'member.removed'
  | 'approval_settings.updated'
  | 'approval.requested'
  | 'approval.approved'
  | 'approval.rejected'
  | 'approval.cancelled'
  | 'approval.failed'
  | 'user.created'
  | 'user.signed_in'
  | 'user.password_reset'
  | 'user.disabled'
  | 'invitation.created'
  | 'invitation.accepted'
  | 'invitation.revoked';

/**
 * Stored in the `sandbox` column for a change outside any sandbox (a sandbox created, a token
 * for every sandbox): no sandbox is named `''` (names are 1-63 characters), and the column is
 * part of the primary key, so it cannot be NULL. The API shows it as null.
 */
const OUTSIDE_SANDBOXES = '';

/** Actors that are not stored tokens. */
const ACTOR_NAMES: Record<string, string> = {
  env: 'TERN_ADMIN_TOKEN',
  cli: 'command line',
  system: 'Tern',
};

/** One audited change. `fields` are names only: values of secrets never reach the audit log. */
export interface AuditEntry {
  id: string;
  /** Null for a change outside any sandbox (listed to tokens valid in every sandbox). */
  sandbox: string | null;
  at: string;
  /** The admin token's or user's id (or `env`, `cli`, `system`). */
  actor: string;
  /** `token`, `user`, `system` or `cli`; null in entries before 0028 not made by a stored token. */
  actorKind: Actor['kind'] | null;
  /** The user's or token's name as it was then (older entries: the token's), when known. */
  actorName: string | null;
  /** The address the request came from; null for the system, the CLI and older entries. */
  actorAddress: string | null;
  action: AuditAction;
  resourceType: string;
  resourceId: string;
  /** The resource's name when changed (a credential's name, a webhook's URL host). */
  resourceName: string | null;
  fields: string[];
  details: Record<string, unknown> | null;
}

export type AuditInput = Omit<
  AuditEntry,
  'id' | 'at' | 'details' | 'actor' | 'actorKind' | 'actorName' | 'actorAddress' | 'resourceName'
> & {
  /** Who made the change: a request's token or user, the system or the command line. */
  actor: Actor;
  /** The resource's name; never a secret or a value that carries one (a webhook's full URL). */
  resourceName: string | null;
  details?: Record<string, unknown>;
};

/** Appends an audit entry; call it inside the transaction that makes the change. */
export async function recordAudit(db: Executor, clock: Clock, entry: AuditInput): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      sandbox: entry.sandbox ?? OUTSIDE_SANDBOXES,
      id: newId(),
      at: clock.now().toISOString(),
      actor: entry.actor.id,
      actor_kind: entry.actor.kind,
      actor_name: entry.actor.name,
      actor_address: entry.actor.address,
      action: entry.action,
      resource_type: entry.resourceType,
      resource_id: entry.resourceId,
      resource_name: entry.resourceName,
      fields: JSON.stringify(entry.fields),
      details: entry.details ? JSON.stringify(entry.details) : null,
    })
    .execute();
}

/** What the audit log can be filtered by (each exact). */
export interface AuditFilter {
  /** Who: a user's or token's id (or `env`, `cli`, `system`). */
  actor?: string;
  resourceType?: string;
  resourceId?: string;
  action?: string;
}

/**
 * The sandbox's audit log, newest first; with `outsideSandboxes` (for tokens valid in every
 * sandbox) the changes made outside any sandbox too. Actors are named as they were when they
 * acted (0028); older entries take the admin token's name, which never changes.
 */
export async function listAudit(
  db: Executor,
  sandbox: string,
  query: AuditFilter & { cursor?: string; limit: number; outsideSandboxes?: boolean },
): Promise<Page<AuditEntry>> {
  const after = decodeCursor(query.cursor);
  const sandboxes = query.outsideSandboxes ? [sandbox, OUTSIDE_SANDBOXES] : [sandbox];
  let select = db
    .selectFrom('audit_events as a')
    .leftJoin('admin_tokens as t', 't.id', 'a.actor')
    // Entries without a stored name (before 0008, key rotation) show the resource's current one.
    .leftJoin('credentials as c', (join) =>
      join
        .onRef('c.sandbox', '=', 'a.sandbox')
        .onRef('c.id', '=', 'a.resource_id')
        .on('a.resource_type', '=', 'credential'),
    )
    .leftJoin('channel_configurations as ch', (join) =>
      join
        .onRef('ch.sandbox', '=', 'a.sandbox')
        .onRef('ch.id', '=', 'a.resource_id')
        .on('a.resource_type', '=', 'channel_configuration'),
    )
    .selectAll('a')
    .select(['t.name as token_name', 'c.name as credential_name', 'ch.name as channel_name'])
    .where('a.sandbox', 'in', sandboxes);
  if (query.actor) select = select.where('a.actor', '=', query.actor);
  if (query.resourceType) select = select.where('a.resource_type', '=', query.resourceType);
  if (query.resourceId) select = select.where('a.resource_id', '=', query.resourceId);
  if (query.action) select = select.where('a.action', '=', query.action);
  if (after) select = select.where('a.id', '<', after);
  const rows = await select
    .orderBy('a.id', 'desc')
    .limit(query.limit + 1)
    .execute();
  return toPage(rows, query.limit, (row) => ({
    id: row.id,
    sandbox: row.sandbox === OUTSIDE_SANDBOXES ? null : row.sandbox,
    at: row.at,
    actor: row.actor,
    actorKind: (row.actor_kind as Actor['kind'] | null) ?? (row.token_name ? 'token' : null),
    actorName: row.actor_name ?? row.token_name ?? ACTOR_NAMES[row.actor] ?? null,
    actorAddress: row.actor_address,
    action: row.action as AuditAction,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    resourceName: row.resource_name ?? row.credential_name ?? row.channel_name ?? null,
    fields: JSON.parse(row.fields) as string[],
    details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null,
  }));
}

/** A phone number as an audit name after erasure: its last two digits only (`•••42`). */
export function erasedPhoneName(phone: string): string {
  return `•••${phone.slice(-2)}`;
}

/** A webhook URL's host: its path and query may carry the receiver's own secret. */
export function urlHostName(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}
