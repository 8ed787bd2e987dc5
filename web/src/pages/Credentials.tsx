/** Administration › Channels › API credentials: the list, search, delete through the bin. */
import { useState } from 'react';
import { LinkButton, useAccess } from '../access';
import { ApiError, type ChannelConfiguration, type CredentialSummary, type Page } from '../api';
import { HealthBadge } from '../health';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import {
  Dialog,
  formatDate,
  Loading,
  Empty,
  RowEditDelete,
  ErrorBanner,
  errorText,
  useLoad,
} from '../ui';

export function CredentialsPage() {
  const { api } = useSession();
  const { reason } = useAccess();
  const [search, setSearch] = useState('');
  const list = useLoad(
    () => api.get<Page<CredentialSummary>>('/v1/credentials', { name: search, limit: 200 }),
    [api, search],
  );
  const [deleting, setDeleting] = useState<CredentialSummary>();

  return (
    <div className="page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        Administration › Channels › <span aria-current="page">API credentials</span>
      </nav>
      <div className="page-header">
        <h1>API credentials</h1>
        <LinkButton
          to="/credentials/new"
          className="btn btn-primary"
          disabledReason={reason('manage')}
        >
          Create API credentials
        </LinkButton>
      </div>
      <p className="muted">
        The Infobip account Tern sends with, and the keyword replies for texts that come back.
      </p>
      <div className="toolbar">
        <label className="search">
          <span className="visually-hidden">Search API credentials by name</span>
          <input
            type="search"
            placeholder="Search by name"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </label>
      </div>
      {list.error ? <ErrorBanner error={list.error} onRetry={list.reload} /> : null}
      {list.loading && !list.data ? <Loading what="Loading API credentials" /> : null}
      {list.data && list.data.items.length === 0 ? (
        search ? (
          <Empty title={`No API credentials match “${search}”`}>
            <p>Clear the search to see them all.</p>
          </Empty>
        ) : (
          <Empty title="No API credentials yet">
            <p>
              Create API credentials with your Infobip base URL and API key, then a channel
              configuration to send with them.
            </p>
            <LinkButton
              to="/credentials/new"
              className="btn btn-primary"
              disabledReason={reason('manage')}
            >
              Create API credentials
            </LinkButton>
          </Empty>
        )
      ) : null}
      {list.data && list.data.items.length > 0 ? (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Provider</th>
                <th scope="col">API key</th>
                <th scope="col">Inbound number</th>
                <th scope="col">Validity</th>
                <th scope="col">Health</th>
                <th scope="col">Updated</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((c) => (
                <tr key={c.id}>
                  <td>
                    <Link to={`/credentials/${c.id}`}>{c.name}</Link>
                  </td>
                  <td>{c.provider === 'infobip' ? 'Infobip' : c.provider}</td>
                  <td>
                    <code>{c.apiKeyHint}</code>
                  </td>
                  <td>{c.inboundNumber ?? <span className="muted">—</span>}</td>
                  <td>{`${c.validityPeriod.amount} ${c.validityPeriod.timeUnit.toLowerCase()}`}</td>
                  <td>
                    <HealthBadge health={c.health} />
                    {c.warnings.length > 0 ? (
                      <span
                        className="badge badge-warn"
                        title={c.warnings.map((w) => w.message).join('\n')}
                      >
                        Webhooks unreachable
                      </span>
                    ) : null}
                  </td>
                  <td>{formatDate(c.updatedAt)}</td>
                  <td className="row-actions">
                    <RowEditDelete
                      name={c.name}
                      onEdit={() => navigate(`/credentials/${c.id}`)}
                      disabledReason={reason('manage')}
                      onDelete={() => setDeleting(c)}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {deleting ? (
        <DeleteCredentialDialog
          credential={deleting}
          onClose={() => setDeleting(undefined)}
          onDeleted={() => {
            setDeleting(undefined);
            list.reload();
          }}
        />
      ) : null}
    </div>
  );
}

/**
 * Asks first; when channel configurations use the credential (Tern answers 409 naming them),
 * says which, and offers to delete them too.
 */
export function DeleteCredentialDialog({
  credential,
  onClose,
  onDeleted,
}: {
  credential: { id: string; name: string };
  onClose: () => void;
  onDeleted: () => void;
}) {
  const { api } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  // Named as the dialog opens; a 409 (one added meanwhile) names them again.
  const [conflicting, setConflicting] = useState<string[]>();
  const using = useLoad(
    () =>
      api.get<Page<ChannelConfiguration>>('/v1/channel-configurations', {
        credentialId: credential.id,
        limit: 100,
      }),
    [api, credential.id],
  );
  const dependents =
    conflicting ??
    (using.data && using.data.items.length > 0 ? using.data.items.map((c) => c.name) : undefined);
  const remove = async (force: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      await api.delete(`/v1/credentials/${credential.id}`, force ? { force: 'true' } : undefined);
      onDeleted();
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        setConflicting(err.details.map((d) => (typeof d.name === 'string' ? d.name : d.message)));
      } else setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      title="Delete API credentials?"
      onClose={onClose}
      actions={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          {dependents ? (
            <button
              type="button"
              className="btn btn-danger"
              disabled={busy}
              onClick={() => void remove(true)}
            >
              Delete credentials and {dependents.length} channel configuration
              {dependents.length === 1 ? '' : 's'}
            </button>
          ) : (
            <button
              type="button"
              className="btn btn-danger"
              disabled={busy || using.loading}
              onClick={() => void remove(false)}
            >
              Delete
            </button>
          )}
        </>
      }
    >
      {dependents ? (
        <>
          <p>
            <strong>{credential.name}</strong> is used by these channel configurations:
          </p>
          <ul className="dependents">
            {dependents.map((name) => (
              <li key={name}>{name}</li>
            ))}
          </ul>
          <p>Deleting the credentials deletes them too. Messages already sent stay in the log.</p>
        </>
      ) : (
        <p>
          Delete <strong>{credential.name}</strong>? Tern will stop sending with this Infobip key
          and stop accepting its webhooks. This cannot be undone.
        </p>
      )}
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </Dialog>
  );
}
