/**
 * Approvals (issue 18): the changes waiting for a second person, what each changes, and approve
 * or reject. The API enforces every rule; the buttons are disabled with the reason (your own
 * request, a token, a permission you lack).
 */
import { useState } from 'react';
import { Button } from '../../access';
import { useSession } from '../../session';
import { Empty, ErrorBanner, Loading, errorText, useLoad } from '../../ui';

interface Approval {
  id: string;
  kind: string;
  permission: string;
  resource: { type: string; id: string; name: string | null };
  change: Record<string, unknown>;
  requestedBy: { kind: string; id: string; name: string | null };
  requestedAt: string;
  status: string;
}

interface Me {
  kind: 'token' | 'user';
  user: { id: string } | null;
  permissions: string[];
}

/** Why the caller may not decide this request, or undefined when they may. */
function cannotDecide(me: Me | undefined, approval: Approval): string | undefined {
  if (!me) return 'Loading who you are';
  if (me.kind !== 'user') return 'Approvals need a person: sign in';
  if (me.user?.id === approval.requestedBy.id) return 'Nobody approves their own request';
  if (!me.permissions.includes(approval.permission))
    return `Needs the ${approval.permission} permission`;
  return undefined;
}

export function ApprovalsPage() {
  const { api } = useSession();
  const me = useLoad(() => api.get<Me>('/v1/me'), [api]);
  const list = useLoad(
    () => api.get<{ items: Approval[] }>('/v1/approvals', { status: 'pending' }),
    [api],
  );
  const [failure, setFailure] = useState<string>();
  const decide = async (approval: Approval, verb: 'approve' | 'reject' | 'cancel') => {
    setFailure(undefined);
    try {
      const reason = verb === 'reject' ? window.prompt('Why is it rejected?') : null;
      if (verb === 'reject' && !reason) return;
      await api.post(
        `/v1/approvals/${encodeURIComponent(approval.id)}/${verb}`,
        reason ? { reason } : {},
      );
      list.reload();
    } catch (error) {
      setFailure(errorText(error));
      list.reload();
    }
  };
  return (
    <div className="page">
      <h1>Approvals</h1>
      <p className="muted">
        Changes waiting for a second person: large campaigns, and compliance changes when the
        sandbox asks for approval (Settings).
      </p>
      {failure ? (
        <div className="banner banner-error" role="alert">
          {failure}
        </div>
      ) : null}
      {list.error ? <ErrorBanner error={list.error} onRetry={list.reload} /> : null}
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.items.length === 0 ? (
        <Empty title="Nothing is waiting for approval" />
      ) : null}
      {list.data && list.data.items.length > 0 ? (
        <table className="table">
          <thead>
            <tr>
              <th>Change</th>
              <th>What it changes</th>
              <th>Requested by</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((a) => {
              const reason = cannotDecide(me.data, a);
              const own =
                me.data?.user?.id === a.requestedBy.id ||
                (me.data?.kind === 'token' && a.requestedBy.kind === 'token');
              return (
                <tr key={a.id}>
                  <td>
                    {a.kind} <strong>{a.resource.name ?? a.resource.id}</strong>
                  </td>
                  <td>
                    <code>{JSON.stringify(a.change)}</code>
                  </td>
                  <td>
                    {a.requestedBy.name ?? a.requestedBy.id}
                    <div className="muted">{new Date(a.requestedAt).toLocaleString()}</div>
                  </td>
                  <td>
                    <Button
                      compact
                      disabledReason={reason}
                      onClick={() => void decide(a, 'approve')}
                    >
                      Approve
                    </Button>{' '}
                    <Button
                      compact
                      disabledReason={reason}
                      onClick={() => void decide(a, 'reject')}
                    >
                      Reject
                    </Button>{' '}
                    {own ? (
                      <Button compact onClick={() => void decide(a, 'cancel')}>
                        Cancel request
                      </Button>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
