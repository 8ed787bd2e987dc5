/** Templates: the list of a sandbox's message templates (current version), delete. */
import { useState } from 'react';
import type { Template } from '../../api';
import { ConfirmDialog } from '../../confirm-dialog';
import { ListPage, useList } from '../../list';
import { Link, navigate } from '../../router';
import { useSession } from '../../session';
import { Badge, formatDate, RowEditDelete } from '../../ui';
import '../../marketing.css';

export function TemplatesPage() {
  const { api } = useSession();
  const [name, setName] = useState('');
  const list = useList<Template>('/v1/templates', { name });
  const [deleting, setDeleting] = useState<Template>();
  return (
    <ListPage
      breadcrumb={['Messaging']}
      title="Templates"
      intro='Texts with personalisation (Liquid: {{ profile.attributes.firstName | default: "there" }}), versioned: a campaign sends the version it was confirmed with.'
      actions={
        <Link to="/templates/new" className="btn btn-primary">
          Create template
        </Link>
      }
      toolbar={
        <label className="search">
          <span className="visually-hidden">Search templates by name</span>
          <input
            type="search"
            placeholder="Search by name"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
      }
      list={list}
      rowKey={(t) => t.id}
      emptyTitle={name ? `Nothing matches “${name}”` : 'No templates yet'}
      empty={<p>Create one, then send it to an audience from Campaigns.</p>}
      columns={[
        { header: 'Name', cell: (t) => <Link to={`/templates/${t.id}`}>{t.name}</Link> },
        { header: 'Type', cell: (t) => <Badge value={t.messageType} /> },
        { header: 'Version', cell: (t) => `v${t.version}` },
        { header: 'Text', cell: (t) => <span className="cell-text">{t.body}</span> },
        { header: 'Updated', cell: (t) => formatDate(t.updatedAt ?? t.createdAt) },
        {
          header: 'Actions',
          hiddenHeader: true,
          className: 'row-actions',
          cell: (t) => (
            <RowEditDelete
              name={t.name}
              onEdit={() => navigate(`/templates/${t.id}`)}
              onDelete={() => setDeleting(t)}
            />
          ),
        },
      ]}
    >
      {deleting ? (
        <ConfirmDialog
          title="Delete template?"
          confirmLabel="Delete"
          danger
          onClose={() => setDeleting(undefined)}
          onConfirm={async () => {
            await api.delete(`/v1/templates/${deleting.id}`);
            setDeleting(undefined);
            list.reload();
          }}
        >
          <p>
            Delete <strong>{deleting.name}</strong>? Campaigns already confirmed keep the version
            they send.
          </p>
        </ConfirmDialog>
      ) : null}
    </ListPage>
  );
}
