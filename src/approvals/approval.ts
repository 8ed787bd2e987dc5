import type { Actor } from '../auth/principal.js';
import type { Permission } from '../auth/roles.js';

/**
 * The changes that can wait for a second person's approval. `campaign.confirm` needs `send`
 * to approve; the rest are compliance changes and need `compliance`.
 */
export type ApprovalKind =
  | 'campaign.confirm'
  | 'keyword_response.set'
  | 'keyword_response.delete'
  | 'policy_rule.create'
  | 'policy_rule.update'
  | 'policy_rule.delete'
  | 'sandbox.consent_policy'
  | 'credential.keywords'
  | 'approval_settings.compliance';

export const APPROVAL_KINDS: readonly ApprovalKind[] = [
  'campaign.confirm',
  'keyword_response.set',
  'keyword_response.delete',
  'policy_rule.create',
  'policy_rule.update',
  'policy_rule.delete',
  'sandbox.consent_policy',
  'credential.keywords',
  'approval_settings.compliance',
];

/** The permission an approver of each kind needs. */
export function approverPermission(kind: ApprovalKind): Permission {
  return kind === 'campaign.confirm' ? 'send' : 'compliance';
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'cancelled' | 'failed';
export const APPROVAL_STATUSES: readonly ApprovalStatus[] = [
  'pending',
  'approved',
  'rejected',
  'cancelled',
  'failed',
];

/** Someone named on a request: who asked, who decided. */
export interface ApprovalPerson {
  kind: Actor['kind'];
  id: string;
  name: string | null;
}

/** A change waiting for (or decided by) a second person. */
export interface Approval {
  id: string;
  sandbox: string;
  kind: ApprovalKind;
  /** What an approver must hold. */
  permission: Permission;
  resource: { type: string; id: string; name: string | null };
  /** The change as requested (the body of the intercepted request, never a secret). */
  change: Record<string, unknown>;
  requestedBy: ApprovalPerson;
  requestedAt: string;
  status: ApprovalStatus;
  decidedBy: ApprovalPerson | null;
  decidedAt: string | null;
  /** The rejecter's reason, or why applying failed. */
  reason: string | null;
  /** What applying the change answered (the confirmed campaign, the rule). */
  result: unknown;
}

/** A sandbox's approval settings. */
export interface ApprovalSettings {
  /** A campaign whose audience is larger needs approval; null: never. */
  campaignApprovalAbove: number | null;
  /** Keyword, consent and send-time rule changes need a second person. */
  complianceApprovals: boolean;
}

/** The largest threshold accepted (far beyond any audience). */
export const CAMPAIGN_APPROVAL_ABOVE_MAX = 1_000_000_000;

/** A rejection's reason is shown in lists: a paragraph at most. */
export const APPROVAL_REASON_MAX = 1_000;

/** A change as an intercepted request asks for it. */
export interface ApprovalInput {
  kind: Exclude<ApprovalKind, 'approval_settings.compliance'>;
  resourceType: string;
  resourceId: string;
  resourceName: string | null;
  change: Record<string, unknown>;
  /** The caller's If-Match: a stale one is answered 412 at once, as without approvals. */
  expectedVersion?: number;
}

/**
 * How the approvals module reads and changes the resources it guards, built where the services
 * are (services.ts), so approvals never import the modules they guard.
 */
export interface ApprovalTarget {
  /** The resource's version now, as text (null: it does not exist), compared on approval. */
  version(sandbox: string, resourceId: string): Promise<string | null>;
  /**
   * Throws what applying the change would refuse it for now (a bad rule, a template not in the
   * sandbox), so the requester hears it at once (400) and nothing waits for a second person.
   * Changes with nothing to check beyond their schema have none.
   */
  check?(sandbox: string, resourceId: string, change: Record<string, unknown>): Promise<void>;
  /**
   * Applies the change through the same service call as the original request, as `actor` (the
   * requester), conditional on `version` where the service takes one.
   */
  apply(
    sandbox: string,
    actor: Actor,
    resourceId: string,
    change: Record<string, unknown>,
    version: string | null,
  ): Promise<unknown>;
}

export type ApprovalTargets = Record<ApprovalInput['kind'], ApprovalTarget>;
