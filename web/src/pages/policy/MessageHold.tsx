/**
 * What the send-time policy did to one message, for its detail page: held in Tern's queue until
 * when, by which rule, placed by which signal; or dropped, with the coded reason.
 */
import type { Message, Page, PolicyRule } from '../../api';
import { useSession } from '../../session';
import { formatDate, useLoad } from '../../ui';
import { sourceLabel } from './rule-view';

/** `policy:quiet_hours:us-fl` (send-policy.ts policyDropReason) → `quiet_hours`. */
export function policyDropCode(statusReason: string | null): string | null {
  const m = /^policy:([a-z_]+):/.exec(statusReason ?? '');
  return m?.[1] ?? null;
}

const DROP_TEXT: Record<string, string> = {
  quiet_hours: 'outside the recipient’s hours, and the rule drops rather than holds',
  frequency_cap: 'over the rule’s frequency cap',
  hold_past_validity: 'its window opens only after the message stops being valid',
  no_window: 'no window opens in the next 14 days',
  time_zone_unknown: 'the recipient’s time zone is unknown',
};

export function MessageHold({ message }: { message: Message }) {
  const { api } = useSession();
  const policy = message.policy;
  // The rule's name and source; the id alone when the rules cannot be read.
  const rules = useLoad(
    () =>
      policy
        ? api.get<Page<PolicyRule>>('/v1/policy/rules', { limit: 200 }).catch(() => null)
        : Promise.resolve(null),
    [api, policy?.rule],
  );
  if (!policy) return null;
  const rule = rules.data?.items.find((r) => r.id === policy.rule);
  const ruleText = rule ? `${rule.name} (${policy.rule})` : policy.rule;
  if (policy.action === 'dropped') {
    const code = policyDropCode(message.statusReason);
    return (
      <div className="banner banner-error policy-hold" role="status" data-testid="policy-drop">
        <span>
          Not sent: dropped by the send-time policy
          {code ? ` (${code}: ${DROP_TEXT[code] ?? code.replace(/_/g, ' ')})` : ''}. Rule:{' '}
          <strong>{ruleText}</strong>
          {rule ? ` — ${rule.source}` : ''}. Recipient placed by {sourceLabel(policy.source)}.
        </span>
      </div>
    );
  }
  const waiting = message.status === 'queued';
  return (
    <div
      className={`banner ${waiting ? 'banner-warn' : 'banner-ok'} policy-hold`}
      role="status"
      data-testid="policy-hold"
    >
      <span>
        {waiting
          ? 'Held by the send-time policy until '
          : 'Was held by the send-time policy until '}
        <strong>{formatDate(policy.heldUntil)}</strong>
        {waiting ? ' (in Tern’s queue; consent is checked again when it goes)' : ', then released'}.
        Rule: <strong>{ruleText}</strong>
        {rule ? ` — ${rule.source}` : ''}. Recipient placed by {sourceLabel(policy.source)}.
      </span>
    </div>
  );
}
