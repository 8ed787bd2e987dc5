/** Templates: the list of a sandbox's message templates (current version), delete. */
import { useState } from 'react';
import { LinkButton, useAccess } from '../../access';
import type { Template } from '../../api';
import { ConfirmDialog } from '../../confirm-dialog';
import { ListPage, useList } from '../../list';
import { Link, navigate } from '../../router';
import { useSession } from '../../session';
import { Badge, formatDate, Loading, RowEditDelete, useLoad } from '../../ui';
import { templateDependants } from './template-dependants';
import '../../marketing.css';

export function TemplatesPage() {
  const [name, setName] = useState('');
  const list = useList<Template>('/v1/templates', { name });
  const [deleting, setDeleting] = useState<Template>();
  const { reason } = useAccess();
  return (
    <ListPage
      breadcrumb={['Messaging']}
      title="Templates"
      intro='Texts with personalisation (Liquid: {{ profile.attributes.firstName | default: "there" }}), versioned: a campaign sends the version it was confirmed with.'
      actions={
        <LinkButton to="/templates/new" className="btn btn-primary" disabledReason={reason('send')}>
          Create template
        </LinkButton>
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
              disabledReason={reason('send')}
              onDelete={() => setDeleting(t)}
            />
          ),
        },
      ]}
    >
      {deleting ? (
        <DeleteTemplateDialog
          template={deleting}
          onClose={() => setDeleting(undefined)}
          onDeleted={() => {
            setDeleting(undefined);
            list.reload();
          }}
        />
      ) : null}
    </ListPage>
  );
}

/** Names what uses the template as the dialog opens, before anyone clicks Delete. */
function DeleteTemplateDialog({
  template,
  onClose,
  onDeleted,
}: {
  template: Template;
  onClose: () => void;
  onDeleted: () => void;
}) {
  const { api } = useSession();
  const users = useLoad(() => templateDependants(api, template.id), [api, template.id]);
  const groups = users.data
    ? [
        { label: 'Campaigns not finished', names: users.data.campaigns },
        { label: 'Flows', names: users.data.flows },
        { label: 'Keyword responses', names: users.data.keywordResponses },
      ].filter((g) => g.names.length > 0)
    : [];
  return (
    <ConfirmDialog
      title="Delete template?"
      confirmLabel="Delete"
      danger
      onClose={onClose}
      onConfirm={async () => {
        await api.delete(`/v1/templates/${template.id}`);
        onDeleted();
      }}
    >
      <p>
        Delete <strong>{template.name}</strong>? Campaigns already confirmed keep the version they
        send.
      </p>
      {users.loading && !users.data ? <Loading what="Looking for what uses it" /> : null}
      {users.data && groups.length === 0 ? (
        <p className="muted">No campaign, flow or keyword response uses it.</p>
      ) : null}
      {groups.length > 0 ? (
        <div aria-label="What uses this template">
          <p>It is used by:</p>
          {groups.map((g) => (
            <div key={g.label}>
              <strong>{g.label}</strong>
              <ul className="dependents">
                {g.names.map((name) => (
                  <li key={name}>{name}</li>
                ))}
              </ul>
            </div>
          ))}
          {users.data && (users.data.flows.length > 0 || users.data.keywordResponses.length > 0) ? (
            <p>Change or remove the flows and keyword responses first: Tern refuses until then.</p>
          ) : null}
        </div>
      ) : null}
    </ConfirmDialog>
  );
}
