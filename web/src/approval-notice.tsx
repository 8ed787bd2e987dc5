/**
 * A change the API answered 202 `{ approval }` for (issue 18): nothing changed yet, a second
 * person must approve it. Forms show this instead of pretending the change is saved.
 */
import { needsText, type Permission } from './access';
import { Link } from './router';

export interface PendingApproval {
  id: string;
  kind: string;
  permission: string;
  resource: { type: string; id: string; name: string | null };
  change: Record<string, unknown>;
  requestedBy: { kind: string; id: string; name: string | null };
  requestedAt: string;
  status: string;
}

/** The approval when an answer is the 202 of an intercepted change, otherwise undefined. */
export function pendingApproval(body: unknown): PendingApproval | undefined {
  if (body === null || typeof body !== 'object' || !('approval' in body)) return undefined;
  const { approval } = body;
  return approval !== null && typeof approval === 'object' && 'id' in approval
    ? (approval as PendingApproval)
    : undefined;
}

/** "a second person with the operator or owner role" for the approval's permission. */
export function approverText(permission: string): string {
  const roles = needsText(permission as Permission).replace(/^Needs the /, '');
  return `a second person with the ${roles}`;
}

/** "Waiting for approval" (a campaign) or "Sent for approval" (a setting), with who and a link. */
export function ApprovalNotice({
  approval,
  title = 'Sent for approval',
}: {
  approval: PendingApproval;
  title?: string;
}) {
  return (
    <div className="banner banner-warn" role="status" data-testid="approval-notice">
      <div>
        <strong>{title}</strong>: nothing changes until {approverText(approval.permission)} approves
        it. <Link to={`/approvals#${approval.id}`}>See the request</Link>.
      </div>
    </div>
  );
}

/** The one-line form of the notice, for pages that report a save as a sentence. */
export function sentForApprovalText(approval: PendingApproval): string {
  return `Sent for approval: nothing changes until ${approverText(approval.permission)} approves it (Approvals page).`;
}

/** What a page reports after a save: the sent-for-approval line on a 202, else `savedText`. */
export function approvalOr(res: { status: number; body: unknown }, savedText: string): string {
  const approval = res.status === 202 ? pendingApproval(res.body) : undefined;
  return approval ? sentForApprovalText(approval) : savedText;
}
