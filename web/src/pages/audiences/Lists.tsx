/** Audience › Lists: static lists of numbers (from CSV or typed in), create, delete. */
import { useState } from 'react';
import { Button, useAccess } from '../../access';
import type { AudienceList } from '../../api';
import { ConfirmDialog } from '../../confirm-dialog';
import { fieldErrors } from '../../edit-form';
import { ListPage, useList } from '../../list';
import { Link, navigate } from '../../router';
import { useSession } from '../../session';
import { Dialog, Field, errorText, formatDate, RowEditDelete } from '../../ui';
import '../../marketing.css';

export function ListsPage() {
  const { api } = useSession();
  const list = useList<AudienceList>('/v1/lists');
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<AudienceList>();
  const { reason } = useAccess();
  return (
    <ListPage
      breadcrumb={['Audience']}
      title="Lists"
      intro="Fixed sets of numbers, imported from CSV or added through the API; a campaign sends to those subscribed."
      actions={
        <Button
          className="btn btn-primary"
          disabledReason={reason('send')}
          onClick={() => setCreating(true)}
        >
          Create list
        </Button>
      }
      list={list}
      rowKey={(l) => l.id}
      emptyTitle="No lists yet"
      empty={<p>Create one, then import a CSV of phone numbers.</p>}
      columns={[
        { header: 'Name', cell: (l) => <Link to={`/lists/${l.id}`}>{l.name}</Link> },
        { header: 'Description', cell: (l) => l.description ?? '—' },
        { header: 'Updated', cell: (l) => formatDate(l.updatedAt) },
        {
          header: 'Actions',
          hiddenHeader: true,
          className: 'row-actions',
          cell: (l) => (
            <RowEditDelete
              name={l.name}
              onEdit={() => navigate(`/lists/${l.id}`)}
              disabledReason={reason('send')}
              onDelete={() => setDeleting(l)}
            />
          ),
        },
      ]}
    >
      {creating ? <CreateListDialog onClose={() => setCreating(false)} /> : null}
      {deleting ? (
        <ConfirmDialog
          title="Delete list?"
          confirmLabel="Delete"
          danger
          onClose={() => setDeleting(undefined)}
          onConfirm={async () => {
            await api.delete(`/v1/lists/${deleting.id}`);
            setDeleting(undefined);
            list.reload();
          }}
        >
          <p>
            Delete <strong>{deleting.name}</strong>? The profiles stay; only the list goes.
          </p>
        </ConfirmDialog>
      ) : null}
    </ListPage>
  );
}

function CreateListDialog({ onClose }: { onClose: () => void }) {
  const { api } = useSession();
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const create = async () => {
    setBusy(true);
    setErrors({});
    setError(undefined);
    try {
      const created = await api.post<AudienceList>('/v1/lists', { name: name.trim() });
      navigate(`/lists/${created.id}`);
    } catch (err) {
      setErrors(fieldErrors(err));
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <Dialog
      title="Create list"
      onClose={onClose}
      actions={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy}
            onClick={() => void create()}
          >
            Create
          </button>
        </>
      }
    >
      <Field id="list-name" label="Name" error={errors.name}>
        <input
          id="list-name"
          type="text"
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-invalid={errors.name ? true : undefined}
        />
      </Field>
      {error && !errors.name ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </Dialog>
  );
}
