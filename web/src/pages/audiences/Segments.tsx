/** Audience › Segments: rule segments, their live counts, delete. */
import { useState } from 'react';
import { LinkButton, useAccess } from '../../access';
import type { Segment } from '../../api';
import { ConfirmDialog } from '../../confirm-dialog';
import { ListPage, useList } from '../../list';
import { Link, navigate } from '../../router';
import { useSession } from '../../session';
import { formatDate, RowEditDelete, useLoad } from '../../ui';
import '../../marketing.css';

function SegmentCount({ id }: { id: string }) {
  const { api } = useSession();
  const count = useLoad(() => api.get<{ count: number }>(`/v1/segments/${id}/count`), [api, id]);
  if (count.error) return <span className="muted">—</span>;
  return <>{count.data ? count.data.count.toLocaleString() : '…'}</>;
}

export function SegmentsPage() {
  const { api } = useSession();
  const list = useList<Segment>('/v1/segments');
  const [deleting, setDeleting] = useState<Segment>();
  const { reason } = useAccess();
  return (
    <ListPage
      breadcrumb={['Audience']}
      title="Segments"
      intro="Who a campaign goes to, by rule: consent, attributes, keywords texted, last inbound, delivery history, country. Counted on the server, on the whole audience."
      actions={
        <LinkButton to="/segments/new" className="btn btn-primary" disabledReason={reason('send')}>
          Create segment
        </LinkButton>
      }
      list={list}
      rowKey={(s) => s.id}
      emptyTitle="No segments yet"
      empty={<p>Build one from a rule, for instance everyone subscribed who texted OFFERS.</p>}
      columns={[
        { header: 'Name', cell: (s) => <Link to={`/segments/${s.id}`}>{s.name}</Link> },
        { header: 'Profiles', cell: (s) => <SegmentCount id={s.id} /> },
        { header: 'Live', cell: (s) => (s.live ? 'Live' : '—') },
        { header: 'Updated', cell: (s) => formatDate(s.updatedAt) },
        {
          header: 'Actions',
          hiddenHeader: true,
          className: 'row-actions',
          cell: (s) => (
            <RowEditDelete
              name={s.name}
              onEdit={() => navigate(`/segments/${s.id}`)}
              disabledReason={reason('send')}
              onDelete={() => setDeleting(s)}
            />
          ),
        },
      ]}
    >
      {deleting ? (
        <ConfirmDialog
          title="Delete segment?"
          confirmLabel="Delete"
          danger
          onClose={() => setDeleting(undefined)}
          onConfirm={async () => {
            await api.delete(`/v1/segments/${deleting.id}`);
            setDeleting(undefined);
            list.reload();
          }}
        >
          <p>
            Delete <strong>{deleting.name}</strong>? Its profiles stay; campaigns already confirmed
            keep the recipients they snapshotted.
          </p>
        </ConfirmDialog>
      ) : null}
    </ListPage>
  );
}
