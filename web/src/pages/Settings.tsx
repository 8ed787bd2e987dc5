/** Settings: sandboxes and their consent policy, approvals, admin tokens, the audit log. */
import { useState, type FormEvent } from 'react';
import { ApiError, type AdminToken, type Sandbox } from '../api';
import { Button, useAccess } from '../access';
import { ApprovalNotice, pendingApproval, type PendingApproval } from '../approval-notice';
import { Link } from '../router';
import { announceSandboxesChanged } from '../sandbox-list';
import { useSession } from '../session';
import {
  CopyButton,
  Dialog,
  ErrorBanner,
  errorText,
  Field,
  formatDate,
  Loading,
  useLoad,
} from '../ui';

export function SettingsPage() {
  return (
    <div className="page">
      <h1>Settings</h1>
      <Sandboxes />
      <Approvals />
      <Tokens />
      <Audit />
    </div>
  );
}

function Sandboxes() {
  const { api, session } = useSession();
  const { reason } = useAccess();
  const list = useLoad(() => api.get<{ items: Sandbox[] }>('/v1/sandboxes'), [api]);
  const [name, setName] = useState('');
  const [error, setError] = useState<string>();
  const create = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      await api.post('/v1/sandboxes', { name: name.trim() });
      setName('');
      list.reload();
      announceSandboxesChanged();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const [sent, setSent] = useState<PendingApproval>();
  const setPolicy = async (sandbox: string, consentPolicy: string) => {
    setSent(undefined);
    try {
      const res = await api.request<unknown>(
        'PATCH',
        `/v1/sandboxes/${encodeURIComponent(sandbox)}`,
        { body: { consentPolicy } },
      );
      // 202 when compliance approvals are on: the policy is unchanged until approved.
      setSent(pendingApproval(res.body));
      list.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <section className="card">
      <h2 className="h3">Sandboxes</h2>
      <p className="muted">
        Each sandbox has its own credentials, channels, profiles and messages. You are in{' '}
        <strong>{session.sandbox}</strong>.
      </p>
      {sent ? <ApprovalNotice approval={sent} /> : null}
      {list.error ? <ErrorBanner error={list.error} onRetry={list.reload} /> : null}
      {list.data ? (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Marketing consent policy</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((s) => (
              <tr key={s.name}>
                <td>{s.name}</td>
                <td>
                  <label>
                    <span className="visually-hidden">Consent policy of {s.name}</span>
                    <select
                      value={s.consentPolicy}
                      disabled={reason('compliance') !== undefined}
                      title={reason('compliance')}
                      onChange={(e) => void setPolicy(s.name, e.target.value)}
                    >
                      <option value="not-unsubscribed">Send unless unsubscribed</option>
                      <option value="subscribed-only">Only to subscribed numbers</option>
                    </select>
                  </label>
                </td>
                <td>{formatDate(s.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <form className="inline-form" onSubmit={(e) => void create(e)}>
        <Field id="sandbox-name" label="New sandbox" error={error}>
          <input
            id="sandbox-name"
            type="text"
            value={name}
            placeholder="staging"
            onChange={(e) => setName(e.target.value)}
          />
        </Field>
        <Button
          type="submit"
          className="btn"
          disabled={name.trim() === ''}
          disabledReason={reason('instance')}
        >
          Create sandbox
        </Button>
      </form>
    </section>
  );
}

interface ApprovalSettings {
  campaignApprovalAbove: number | null;
  complianceApprovals: boolean;
}

/**
 * Approvals (issue 18): campaigns above a size need a second person's approval (the owner's,
 * manage), and compliance changes may need one (compliance's; turning it off is itself approved).
 */
function Approvals() {
  const { api } = useSession();
  const { reason } = useAccess();
  const settings = useLoad(() => api.get<ApprovalSettings>('/v1/approval-settings'), [api]);
  const [threshold, setThreshold] = useState<string>();
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const [sent, setSent] = useState<PendingApproval>();
  const current = settings.data;
  const shown =
    threshold ??
    (current?.campaignApprovalAbove == null ? '' : String(current.campaignApprovalAbove));
  const save = async (change: Partial<ApprovalSettings>) => {
    setError(undefined);
    setSaved(undefined);
    setSent(undefined);
    try {
      const res = await api.request<ApprovalSettings>('PUT', '/v1/approval-settings', {
        body: change,
      });
      const approval = pendingApproval(res.body);
      if (approval) setSent(approval);
      else {
        settings.setData(res.body);
        setThreshold(undefined);
        setSaved('Saved.');
      }
    } catch (err) {
      setError(errorText(err));
    }
  };
  const saveThreshold = (event: FormEvent) => {
    event.preventDefault();
    const text = shown.trim();
    void save({ campaignApprovalAbove: text === '' ? null : Number(text) });
  };
  return (
    <section className="card">
      <h2 className="h3">Approvals</h2>
      <p className="muted">
        Changes that need a second person wait on the <Link to="/approvals">Approvals</Link> page.
      </p>
      {settings.error ? <ErrorBanner error={settings.error} onRetry={settings.reload} /> : null}
      {sent ? <ApprovalNotice approval={sent} /> : null}
      {saved ? (
        <div className="banner banner-ok" role="status">
          {saved}
        </div>
      ) : null}
      {current ? (
        <>
          <form className="inline-form" onSubmit={saveThreshold}>
            <Field
              id="approval-threshold"
              label="Campaigns larger than this many recipients need approval (empty: off)"
              error={error}
            >
              <input
                id="approval-threshold"
                type="number"
                min={0}
                step={1}
                value={shown}
                placeholder="off"
                disabled={reason('manage') !== undefined}
                onChange={(e) => setThreshold(e.target.value)}
              />
            </Field>
            <Button type="submit" className="btn" disabledReason={reason('manage')}>
              Save threshold
            </Button>
          </form>
          <label className="checkbox">
            <input
              type="checkbox"
              checked={current.complianceApprovals}
              disabled={reason('compliance') !== undefined}
              title={reason('compliance')}
              aria-describedby={reason('compliance') ? 'compliance-approvals-needs' : undefined}
              onChange={(e) => void save({ complianceApprovals: e.target.checked })}
            />{' '}
            Compliance changes (keyword responses and settings, consent policy, send-time rules)
            need a second compliance person
          </label>
          {reason('compliance') ? (
            <span className="needs-role" id="compliance-approvals-needs">
              {reason('compliance')}
            </span>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

function Tokens() {
  const { api } = useSession();
  const { reason } = useAccess();
  const list = useLoad(() => api.get<{ items: AdminToken[] }>('/v1/tokens'), [api]);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ token: string; name: string }>();
  const [error, setError] = useState<string>();
  const [revoking, setRevoking] = useState<AdminToken>();
  const create = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      const res = await api.post<{ token: string; name: string }>('/v1/tokens', {
        name: name.trim(),
      });
      setCreated(res);
      setName('');
      list.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const revoke = async (token: AdminToken) => {
    try {
      await api.delete(`/v1/tokens/${token.id}`);
      setRevoking(undefined);
      list.reload();
    } catch (err) {
      setError(errorText(err));
      setRevoking(undefined);
    }
  };
  const forbidden = list.error instanceof ApiError && list.error.status === 403;
  return (
    <section className="card">
      <h2 className="h3">Admin tokens</h2>
      {forbidden ? (
        <p className="muted">This token is limited to one sandbox and cannot manage tokens.</p>
      ) : list.error ? (
        <ErrorBanner error={list.error} onRetry={list.reload} />
      ) : null}
      {list.loading && !list.data ? <Loading /> : null}
      {list.data ? (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Sandbox</th>
              <th scope="col">Created</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>{t.sandbox ?? 'all'}</td>
                <td>{formatDate(t.createdAt)}</td>
                <td>{t.revokedAt ? `revoked ${formatDate(t.revokedAt)}` : 'active'}</td>
                <td className="row-actions">
                  {t.revokedAt ? null : (
                    <Button
                      className="btn btn-small"
                      compact
                      disabledReason={reason('instance')}
                      onClick={() => setRevoking(t)}
                    >
                      Revoke
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {created ? (
        <div className="banner banner-ok" role="status">
          <div>
            Token <strong>{created.name}</strong> created. Copy it now: it is not shown again.
            <div className="webhook-url">
              <code>{created.token}</code>
              <CopyButton text={created.token} label="Copy the new token" />
            </div>
          </div>
        </div>
      ) : null}
      {!forbidden || reason('instance') ? (
        <form className="inline-form" onSubmit={(e) => void create(e)}>
          <Field id="token-name" label="New token name" error={error}>
            <input
              id="token-name"
              type="text"
              value={name}
              placeholder="ci-deploy"
              onChange={(e) => setName(e.target.value)}
            />
          </Field>
          <Button
            type="submit"
            className="btn"
            disabled={name.trim() === ''}
            disabledReason={reason('instance')}
          >
            Create token
          </Button>
        </form>
      ) : null}
      {revoking ? (
        <Dialog
          title="Revoke admin token?"
          onClose={() => setRevoking(undefined)}
          actions={
            <>
              <button type="button" className="btn" onClick={() => setRevoking(undefined)}>
                Cancel
              </button>
              <button
                type="button"
                className="btn btn-danger"
                onClick={() => void revoke(revoking)}
              >
                Revoke
              </button>
            </>
          }
        >
          <p>
            Anything using <strong>{revoking.name}</strong> stops working at once. If it is the
            token you signed in with, you will be signed out.
          </p>
        </Dialog>
      ) : null}
    </section>
  );
}

/** The audit log has its own page (filters by person and resource); Settings points there. */
function Audit() {
  return (
    <section className="card">
      <h2 className="h3">Audit log</h2>
      <p>
        Who changed what, when and from where: <Link to="/audit">open the audit log</Link>.
      </p>
    </section>
  );
}
