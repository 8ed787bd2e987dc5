import { recordAudit, type AuditAction } from '../audit/audit.js';
import type { Actor } from '../auth/principal.js';
import { rolesGranting, type Permission } from '../auth/roles.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import type { Executor } from '../db/executor.js';
import type { Page } from '../db/pagination.js';
import { AppError, staleVersionError } from '../errors.js';
import { recordEvent } from '../events/events.js';
import { newId } from '../ids.js';
import {
  approverPermission,
  CAMPAIGN_APPROVAL_ABOVE_MAX,
  type Approval,
  type ApprovalInput,
  type ApprovalSettings,
  type ApprovalStatus,
  type ApprovalTargets,
} from './approval.js';
import {
  approvalFromRow,
  decideApproval,
  findApproval,
  findPending,
  insertApproval,
  listApprovals,
  readSettings,
  writeSettings,
  type ApprovalQuery,
} from './approval.repository.js';

export interface ApprovalServiceDeps {
  db: Db;
  clock: Clock;
}

/** Who decides a request, and what they may do in its sandbox. */
export interface Decider {
  actor: Actor;
  permissions: ReadonlySet<Permission>;
}

/** A settings change: applied, or waiting for approval (turning compliance approvals off). */
export type SettingsOutcome = { settings: ApprovalSettings } | { approval: Approval };

/** The one change the approvals module guards itself: turning compliance approvals off. */
const SETTINGS_KIND = 'approval_settings.compliance';

/**
 * Approvals (issue 18): requests that wait for a second person, their decisions, and the
 * sandbox's settings. The guarded modules are reached through `targets` (set once the services
 * are built), so this module imports none of them.
 */
export class ApprovalService {
  private targets: ApprovalTargets | undefined;

  constructor(private readonly deps: ApprovalServiceDeps) {}

  /** Given once every guarded service exists (services.ts). */
  setTargets(targets: ApprovalTargets): void {
    this.targets = targets;
  }

  settings(sandbox: string): Promise<ApprovalSettings> {
    return readSettings(this.deps.db.kysely, sandbox);
  }

  /** True when a campaign of `audienceSize` recipients needs approval in the sandbox. */
  async campaignNeedsApproval(sandbox: string, audienceSize: number): Promise<boolean> {
    const { campaignApprovalAbove } = await this.settings(sandbox);
    return campaignApprovalAbove !== null && audienceSize > campaignApprovalAbove;
  }

  /** True when compliance changes need a second person in the sandbox. */
  async complianceApprovalsOn(sandbox: string): Promise<boolean> {
    return (await this.settings(sandbox)).complianceApprovals;
  }

  /**
   * Changes the settings. Turning compliance approvals off while they are on is itself a
   * compliance change: it waits for approval, and must come alone (the threshold is the
   * owner's and would otherwise wait with it).
   */
  async updateSettings(
    sandbox: string,
    actor: Actor,
    input: Partial<ApprovalSettings>,
  ): Promise<SettingsOutcome> {
    const db = this.deps.db.kysely;
    const current = await readSettings(db, sandbox);
    const above = input.campaignApprovalAbove;
    if (
      above !== undefined &&
      above !== null &&
      !(above >= 0 && above <= CAMPAIGN_APPROVAL_ABOVE_MAX)
    )
      throw new AppError('validation_failed', 'The approval settings are not valid.', [
        {
          path: '/campaignApprovalAbove',
          message: `must be null (off) or a whole number 0-${CAMPAIGN_APPROVAL_ABOVE_MAX}`,
        },
      ]);
    if (input.complianceApprovals === false && current.complianceApprovals) {
      if (above !== undefined)
        throw new AppError(
          'validation_failed',
          'Turning compliance approvals off waits for approval: change campaignApprovalAbove in another request.',
          [{ path: '/campaignApprovalAbove', message: 'send it on its own' }],
        );
      const approval = await this.create(sandbox, actor, {
        kind: SETTINGS_KIND,
        resourceType: 'approval_settings',
        resourceId: sandbox,
        resourceName: sandbox,
        change: { complianceApprovals: false },
        version: 'on',
      });
      return { approval };
    }
    const next: ApprovalSettings = {
      campaignApprovalAbove: above === undefined ? current.campaignApprovalAbove : above,
      complianceApprovals: input.complianceApprovals ?? current.complianceApprovals,
    };
    await db.transaction().execute(async (trx) => {
      await writeSettings(trx, sandbox, next, this.deps.clock.now().toISOString());
      await recordAudit(trx, this.deps.clock, {
        sandbox,
        actor,
        action: 'approval_settings.updated',
        resourceType: 'approval_settings',
        resourceId: sandbox,
        resourceName: sandbox,
        fields: Object.keys(input),
        details: { ...next },
      });
    });
    return { settings: next };
  }

  /**
   * Records a change that waits for approval instead of being made. A stale If-Match is still
   * answered 412 at once, a campaign already waiting 409, and a change its service would refuse
   * now 400 (the target's check): only a change that would apply today waits.
   */
  async request(sandbox: string, actor: Actor, input: ApprovalInput): Promise<Approval> {
    const target = this.target(input.kind);
    const version = await target.version(sandbox, input.resourceId);
    if (input.expectedVersion !== undefined && String(input.expectedVersion) !== version)
      throw staleVersionError(input.resourceType.replace(/_/g, ' '));
    if (input.kind === 'campaign.confirm') {
      const waiting = await findPending(
        this.deps.db.kysely,
        sandbox,
        input.kind,
        input.resourceType,
        input.resourceId,
      );
      if (waiting)
        throw new AppError('conflict', 'This campaign is already waiting for approval.', [
          {
            path: '/approval',
            message: `approval ${waiting.id} is pending`,
            approvalId: waiting.id,
          },
        ]);
    }
    await target.check?.(sandbox, input.resourceId, input.change);
    return this.create(sandbox, actor, { ...input, version });
  }

  async get(sandbox: string, id: string): Promise<Approval> {
    const row = await findApproval(this.deps.db.kysely, sandbox, id);
    if (!row) throw new AppError('not_found', `Approval request ${id} not found.`);
    return approvalFromRow(row);
  }

  list(sandbox: string, query: ApprovalQuery): Promise<Page<Approval>> {
    return listApprovals(this.deps.db.kysely, sandbox, query);
  }

  /**
   * Approves a request and applies its change as the requester asked it, through the same
   * service call. A second person only, holding the permission the change needs. When the
   * resource changed since the request (its version), or the change no longer applies, the
   * request is marked failed with the reason; a changed resource is answered 409.
   */
  async approve(sandbox: string, decider: Decider, id: string): Promise<Approval> {
    const approval = await this.get(sandbox, id);
    checkDecider(approval, decider, 'approve');
    const db = this.deps.db.kysely;
    const decided = this.decision(decider);
    // Claimed first: of two people approving at once, one applies the change.
    if (!(await decideApproval(db, sandbox, id, 'pending', { status: 'approved', ...decided })))
      throw alreadyDecided(await this.get(sandbox, id));
    const row = await findApproval(db, sandbox, id);
    const requester: Actor = {
      kind: approval.requestedBy.kind,
      id: approval.requestedBy.id,
      name: approval.requestedBy.name ?? approval.requestedBy.id,
      address: null,
    };
    let result: unknown;
    try {
      const version = row?.resource_version ?? null;
      const now = await this.versionNow(approval);
      if (now !== version) throw changedMeanwhile(approval, version, now);
      result = await this.applyChange(sandbox, requester, approval, version);
    } catch (error) {
      const failure =
        error instanceof AppError && error.code === 'precondition_failed'
          ? changedMeanwhile(approval, null, null)
          : error;
      const reason =
        failure instanceof Error ? failure.message : 'The change could not be applied.';
      await db.transaction().execute(async (trx) => {
        await decideApproval(trx, sandbox, id, 'approved', {
          status: 'failed',
          reason,
          result: JSON.stringify(
            failure instanceof AppError
              ? {
                  error: { code: failure.code, message: failure.message, details: failure.details },
                }
              : { error: { code: 'internal_error', message: reason } },
          ),
        });
        await this.audit(trx, approval, decider.actor, 'approval.failed', { reason });
        await this.event(trx, approval, 'failed', decider.actor);
      });
      throw failure;
    }
    await db.transaction().execute(async (trx) => {
      await decideApproval(trx, sandbox, id, 'approved', {
        result: result === undefined ? null : JSON.stringify(result),
      });
      await this.audit(trx, approval, decider.actor, 'approval.approved', {
        requestedBy: approval.requestedBy.id,
        approvedBy: decider.actor.id,
      });
      await this.event(trx, approval, 'approved', decider.actor);
    });
    return this.get(sandbox, id);
  }

  /** Rejects a request: nothing changes. A second person only, as for approving. */
  async reject(sandbox: string, decider: Decider, id: string, reason: string): Promise<Approval> {
    const approval = await this.get(sandbox, id);
    checkDecider(approval, decider, 'reject');
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      const done = await decideApproval(trx, sandbox, id, 'pending', {
        status: 'rejected',
        reason,
        ...this.decision(decider),
      });
      if (!done) throw alreadyDecided(await this.get(sandbox, id));
      await this.audit(trx, approval, decider.actor, 'approval.rejected', { reason });
      await this.event(trx, approval, 'rejected', decider.actor);
    });
    return this.get(sandbox, id);
  }

  /** Withdraws a pending request: its requester only. */
  async cancel(sandbox: string, actor: Actor, id: string): Promise<Approval> {
    const approval = await this.get(sandbox, id);
    if (approval.requestedBy.id !== actor.id)
      throw new AppError(
        'forbidden',
        'Only the requester cancels a request; others approve or reject it.',
        [
          {
            path: '/id',
            message: `was requested by ${approval.requestedBy.name ?? approval.requestedBy.id}`,
          },
        ],
      );
    if (approval.status !== 'pending') throw alreadyDecided(approval);
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      const done = await decideApproval(trx, sandbox, id, 'pending', {
        status: 'cancelled',
        decided_by: actor.id,
        decided_by_name: actor.name,
        decided_at: this.deps.clock.now().toISOString(),
      });
      if (!done) throw alreadyDecided(await this.get(sandbox, id));
      await this.audit(trx, approval, actor, 'approval.cancelled', {});
      await this.event(trx, approval, 'cancelled', actor);
    });
    return this.get(sandbox, id);
  }

  private async create(
    sandbox: string,
    actor: Actor,
    input: Omit<ApprovalInput, 'kind' | 'expectedVersion'> & {
      kind: Approval['kind'];
      version: string | null;
    },
  ): Promise<Approval> {
    const id = newId();
    const row = {
      sandbox,
      id,
      kind: input.kind,
      permission: approverPermission(input.kind),
      resource_type: input.resourceType,
      resource_id: input.resourceId,
      resource_name: input.resourceName,
      resource_version: input.version,
      change: JSON.stringify(input.change),
      requested_by: actor.id,
      requested_by_kind: actor.kind,
      requested_by_name: actor.name,
      requested_at: this.deps.clock.now().toISOString(),
      status: 'pending',
      decided_by: null,
      decided_by_name: null,
      decided_at: null,
      reason: null,
      result: null,
    };
    const approval = approvalFromRow(row);
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      await insertApproval(trx, row);
      await this.audit(trx, approval, actor, 'approval.requested', {
        fields: Object.keys(input.change),
      });
      await recordEvent(trx, this.deps.clock, {
        sandbox,
        type: 'approval.requested',
        payload: eventPayload(approval),
      });
    });
    return approval;
  }

  private target(kind: ApprovalInput['kind']) {
    if (!this.targets) throw new Error('ApprovalService.setTargets was not called');
    return this.targets[kind];
  }

  private async versionNow(approval: Approval): Promise<string | null> {
    if (approval.kind === SETTINGS_KIND)
      return (await this.complianceApprovalsOn(approval.sandbox)) ? 'on' : 'off';
    return this.target(approval.kind).version(approval.sandbox, approval.resource.id);
  }

  private async applyChange(
    sandbox: string,
    requester: Actor,
    approval: Approval,
    version: string | null,
  ): Promise<unknown> {
    if (approval.kind === SETTINGS_KIND) {
      const current = await this.settings(sandbox);
      const next = { ...current, complianceApprovals: false };
      await this.deps.db.kysely.transaction().execute(async (trx) => {
        await writeSettings(trx, sandbox, next, this.deps.clock.now().toISOString());
        await recordAudit(trx, this.deps.clock, {
          sandbox,
          actor: requester,
          action: 'approval_settings.updated',
          resourceType: 'approval_settings',
          resourceId: sandbox,
          resourceName: sandbox,
          fields: ['complianceApprovals'],
          details: { ...next, approval: approval.id },
        });
      });
      return next;
    }
    return this.target(approval.kind).apply(
      sandbox,
      requester,
      approval.resource.id,
      approval.change,
      version,
    );
  }

  private decision(decider: Decider) {
    return {
      decided_by: decider.actor.id,
      decided_by_name: decider.actor.name,
      decided_at: this.deps.clock.now().toISOString(),
    };
  }

  private async audit(
    db: Executor,
    approval: Approval,
    actor: Actor,
    action: AuditAction,
    details: Record<string, unknown>,
  ): Promise<void> {
    await recordAudit(db, this.deps.clock, {
      sandbox: approval.sandbox,
      actor,
      action,
      resourceType: 'approval',
      resourceId: approval.id,
      resourceName: `${approval.kind} ${approval.resource.name ?? approval.resource.id}`,
      fields: [],
      details: {
        kind: approval.kind,
        resourceType: approval.resource.type,
        resourceId: approval.resource.id,
        ...details,
      },
    });
  }

  private async event(
    db: Executor,
    approval: Approval,
    outcome: ApprovalStatus,
    actor: Actor,
  ): Promise<void> {
    await recordEvent(db, this.deps.clock, {
      sandbox: approval.sandbox,
      type: 'approval.decided',
      payload: { ...eventPayload(approval), status: outcome, decidedBy: actor.id },
    });
  }
}

function eventPayload(approval: Approval): Record<string, unknown> {
  return {
    approvalId: approval.id,
    kind: approval.kind,
    resource: approval.resource,
    requestedBy: approval.requestedBy.id,
  };
}

/** A decision is a second person's, holding the permission the change needs. */
function checkDecider(approval: Approval, decider: Decider, verb: 'approve' | 'reject'): void {
  if (approval.status !== 'pending') throw alreadyDecided(approval);
  if (decider.actor.kind !== 'user')
    throw new AppError(
      'forbidden',
      `Approvals need a person: sign in to the console to ${verb} (a token cannot).`,
      [{ message: 'approvals need a person', yourKind: decider.actor.kind }],
    );
  if (decider.actor.id === approval.requestedBy.id)
    throw new AppError(
      'forbidden',
      `Nobody approves their own request: another person must ${verb} it (you may cancel it).`,
      [{ message: 'nobody approves their own request' }],
    );
  if (!decider.permissions.has(approval.permission))
    throw new AppError(
      'forbidden',
      `To ${verb} this request you need the ${approval.permission} permission (${rolesGranting(approval.permission).join(' or ')}).`,
      [
        {
          message: `needs ${approval.permission}`,
          allowedRoles: rolesGranting(approval.permission),
        },
      ],
    );
}

function alreadyDecided(approval: Approval): AppError {
  return new AppError('conflict', `This request is already ${approval.status}.`, [
    { path: '/status', message: `is ${approval.status}` },
  ]);
}

function changedMeanwhile(
  approval: Approval,
  requested: string | null,
  now: string | null,
): AppError {
  const what = `${approval.resource.type.replace(/_/g, ' ')} ${approval.resource.name ?? approval.resource.id}`;
  return new AppError(
    'conflict',
    `The ${what} changed since this change was requested: the approval failed. Request the change again.`,
    requested === null && now === null
      ? [{ path: '/resource', message: 'changed since requested' }]
      : [
          {
            path: '/resource',
            message: `was at version ${requested ?? '(none)'}, is at ${now ?? '(deleted)'}`,
          },
        ],
  );
}
