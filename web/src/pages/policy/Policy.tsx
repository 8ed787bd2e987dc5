/**
 * Compliance › Send-time policy: every rule that decides when a marketing text may go (shipped
 * with Tern, each with its source and date, and this sandbox's own), adding, overriding,
 * disabling and restoring them, and a dry run of one number.
 */
import { useState } from 'react';
import type { PolicyRule } from '../../api';
import { approvalOr, sentForApprovalText } from '../../approval-notice';
import { ConfirmDialog } from '../../confirm-dialog';
import { ListPage, useList } from '../../list';
import { useSession } from '../../session';
import { Button, useAccess } from '../../access';
import { Badge } from '../../ui';
import { DryRun } from './DryRun';
import { RuleDialog, type RuleDialogMode } from './RuleDialog';
import { capLabel, effectiveLabel, exemptLabel, scopeLabel, weekSummary } from './rule-view';
import './policy.css';

type Pending =
  | { kind: 'toggle'; rule: PolicyRule }
  | { kind: 'delete'; rule: PolicyRule }
  | { kind: 'restore'; rule: PolicyRule };

const rulePath = (rule: PolicyRule) => `/v1/policy/rules/${encodeURIComponent(rule.id)}`;

/** A shipped rule this sandbox has replaced with its own version (or disabled). */
const isOverride = (rule: PolicyRule) => rule.overridden || rule.overrides != null;
/** Shipped with Tern, as shipped (an override is edited; this is overridden). */
const asShipped = (rule: PolicyRule) => rule.origin === 'shipped' && !isOverride(rule);

export function PolicyPage() {
  const { api } = useSession();
  const { reason } = useAccess();
  const list = useList<PolicyRule>('/v1/policy/rules', {}, { limit: 200 });
  const [editing, setEditing] = useState<RuleDialogMode>();
  const [pending, setPending] = useState<Pending>();
  const [notice, setNotice] = useState<string>();

  const done = (text: string) => {
    setPending(undefined);
    setEditing(undefined);
    setNotice(text);
    list.reload();
  };

  return (
    <ListPage
      breadcrumb={['Compliance']}
      title="Send-time policy"
      intro={
        <>
          Quiet hours and frequency caps for marketing texts, in the recipient&apos;s local time.
          Where several rules apply the strictest wins. Rules shipped with Tern cite their source;
          override or disable them for this sandbox, or add your own.
        </>
      }
      actions={
        <>
          <a className="btn" href="#dry-run">
            Dry run
          </a>
          <Button
            disabledReason={reason('compliance')}
            type="button"
            className="btn btn-primary"
            onClick={() => setEditing({ kind: 'create' })}
          >
            Add rule
          </Button>
        </>
      }
      toolbar={
        notice ? (
          <div className="banner banner-ok" role="status">
            {notice}
          </div>
        ) : undefined
      }
      list={list}
      rowKey={(r) => r.id}
      emptyTitle="No rules"
      empty={<p>Tern ships rules for the US federal window, several states, France and India.</p>}
      columns={[
        {
          header: 'Rule',
          cell: (r) => (
            <div className={r.enabled ? undefined : 'policy-disabled'}>
              <strong>{r.name}</strong>
              <div className="policy-badges">
                <span
                  className={`badge ${isOverride(r) || r.origin === 'shipped' ? 'badge-info' : 'badge-good'}`}
                >
                  {isOverride(r) || r.origin === 'shipped' ? 'shipped' : 'custom'}
                </span>
                {isOverride(r) ? <span className="badge badge-warn">overridden here</span> : null}
                {!r.enabled ? <Badge value="disabled" /> : null}
              </div>
              <div className="muted small">{r.id}</div>
            </div>
          ),
        },
        { header: 'Applies to', cell: (r) => scopeLabel(r.scope) },
        {
          header: 'When',
          cell: (r) =>
            r.kind === 'window' && r.window ? (
              <ul className="policy-week">
                {weekSummary(r.window.days).map((line) => (
                  <li key={line}>{line}</li>
                ))}
                {r.window.timeZoneFrom === 'fixed' ? <li>in {r.window.timeZone}</li> : null}
                {r.window.holidays ? <li>not on {r.window.holidays} public holidays</li> : null}
              </ul>
            ) : r.cap ? (
              capLabel(r.cap)
            ) : (
              '—'
            ),
        },
        { header: 'Outside', cell: (r) => r.outside },
        { header: 'Exempt', cell: (r) => exemptLabel(r.exempt) },
        {
          header: 'In force',
          cell: (r) => <span className="policy-nowrap">{effectiveLabel(r)}</span>,
        },
        {
          header: 'Source',
          cell: (r) => (
            <div className="policy-source">
              {r.source}
              {r.confidence ? <div className="muted small">{r.confidence}</div> : null}
            </div>
          ),
        },
        {
          header: 'Actions',
          hiddenHeader: true,
          className: 'row-actions',
          cell: (r) => (
            <div className="policy-actions">
              <Button
                disabledReason={reason('compliance')}
                compact
                type="button"
                className="btn btn-small"
                aria-label={`${asShipped(r) ? 'Override' : 'Edit'} ${r.name}`}
                onClick={() => setEditing({ kind: asShipped(r) ? 'override' : 'edit', rule: r })}
              >
                {asShipped(r) ? 'Override' : 'Edit'}
              </Button>
              <Button
                disabledReason={reason('compliance')}
                compact
                type="button"
                className="btn btn-small"
                aria-label={`${r.enabled ? 'Disable' : 'Enable'} ${r.name}`}
                onClick={() => setPending({ kind: 'toggle', rule: r })}
              >
                {r.enabled ? 'Disable' : 'Enable'}
              </Button>
              {isOverride(r) ? (
                <Button
                  disabledReason={reason('compliance')}
                  compact
                  type="button"
                  className="btn btn-small"
                  aria-label={`Restore ${r.name} as shipped`}
                  onClick={() => setPending({ kind: 'restore', rule: r })}
                >
                  Restore shipped
                </Button>
              ) : r.origin === 'sandbox' ? (
                <Button
                  disabledReason={reason('compliance')}
                  compact
                  type="button"
                  className="btn btn-small btn-danger-outline"
                  aria-label={`Delete ${r.name}`}
                  onClick={() => setPending({ kind: 'delete', rule: r })}
                >
                  Delete
                </Button>
              ) : null}
            </div>
          ),
        },
      ]}
    >
      <DryRun rules={list.items} />
      {editing ? (
        <RuleDialog
          mode={editing}
          onClose={() => setEditing(undefined)}
          onSaved={(rule, approval) =>
            done(
              approval
                ? sentForApprovalText(approval)
                : editing.kind === 'create'
                  ? `Added “${rule.name}”.`
                  : editing.kind === 'override'
                    ? `“${rule.name}” is overridden for this sandbox.`
                    : `Saved “${rule.name}”.`,
            )
          }
        />
      ) : null}
      {pending?.kind === 'toggle' ? (
        <ConfirmDialog
          title={`${pending.rule.enabled ? 'Disable' : 'Enable'} “${pending.rule.name}”?`}
          confirmLabel={pending.rule.enabled ? 'Disable' : 'Enable'}
          danger={pending.rule.enabled}
          onClose={() => setPending(undefined)}
          onConfirm={async () => {
            const res = await api.request('PATCH', rulePath(pending.rule), {
              body: { enabled: !pending.rule.enabled },
              ifMatch: `"${pending.rule.version}"`,
            });
            done(
              approvalOr(
                res,
                `“${pending.rule.name}” is ${pending.rule.enabled ? 'disabled' : 'enabled'}.`,
              ),
            );
          }}
        >
          {pending.rule.enabled ? (
            <p>
              Marketing texts in this sandbox will no longer be held or dropped by{' '}
              <strong>{pending.rule.name}</strong>
              {pending.rule.origin === 'shipped' || isOverride(pending.rule)
                ? ', which Tern ships for a law. Be sure it does not reach your recipients.'
                : '.'}
            </p>
          ) : (
            <p>
              <strong>{pending.rule.name}</strong> applies again to marketing texts in this sandbox.
            </p>
          )}
        </ConfirmDialog>
      ) : null}
      {pending?.kind === 'delete' ? (
        <ConfirmDialog
          title={`Delete “${pending.rule.name}”?`}
          confirmLabel="Delete"
          danger
          onClose={() => setPending(undefined)}
          onConfirm={async () => {
            const res = await api.request('DELETE', rulePath(pending.rule));
            done(approvalOr(res, `Deleted “${pending.rule.name}”.`));
          }}
        >
          <p>
            Messages already held by it stay held until their release time; new ones are no longer
            judged by it.
          </p>
        </ConfirmDialog>
      ) : null}
      {pending?.kind === 'restore' ? (
        <ConfirmDialog
          title={`Restore “${pending.rule.name}” as shipped?`}
          confirmLabel="Restore"
          onClose={() => setPending(undefined)}
          onConfirm={async () => {
            const res = await api.request('DELETE', rulePath(pending.rule));
            done(approvalOr(res, `“${pending.rule.name}” applies as Tern ships it.`));
          }}
        >
          <p>This sandbox&apos;s changes to it are dropped; Tern&apos;s version applies again.</p>
        </ConfirmDialog>
      ) : null}
    </ListPage>
  );
}
