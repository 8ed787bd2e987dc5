/** Automation › Flows: the sandbox's flows, their trigger, status and runs going. */
import { useState } from 'react';
import { LinkButton, useAccess } from '../../access';
import { ConfirmDialog } from '../../confirm-dialog';
import { ListPage, useList } from '../../list';
import { Link, navigate } from '../../router';
import { useSession } from '../../session';
import { Badge, formatDate, RowEditDelete } from '../../ui';
import { FLOW_STATUSES, RUN_EVENTS, type Flow, type FlowTrigger } from './flow-types';
import './flows.css';

export function triggerLabel(trigger: FlowTrigger): string {
  switch (trigger.type) {
    case 'keyword':
      return `texts ${trigger.keyword}`;
    case 'segment_entered':
      return 'enters a segment';
    case 'api_event':
      return `event ${trigger.event}`;
  }
}

export function FlowsPage() {
  const { api } = useSession();
  const [status, setStatus] = useState('');
  const list = useList<Flow>('/v1/flows', { status }, { events: RUN_EVENTS });
  const [deleting, setDeleting] = useState<Flow>();
  const { reason } = useAccess();
  return (
    <ListPage
      breadcrumb={['Automation']}
      title="Flows"
      intro="Small automations: a trigger (a keyword, a segment entered, an API event), then steps — send a template, wait, branch on the reply, act on the profile."
      actions={
        <LinkButton to="/flows/new" className="btn btn-primary" disabledReason={reason('send')}>
          Create flow
        </LinkButton>
      }
      toolbar={
        <label>
          <span>Status</span>
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">Any</option>
            {FLOW_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      }
      list={list}
      rowKey={(f) => f.id}
      emptyTitle={status ? `No ${status} flows` : 'No flows yet'}
      empty={
        <p>
          Create one: for example, when someone texts OFFERS, wait a day and send a follow-up{' '}
          <Link to="/templates">template</Link>.
        </p>
      }
      columns={[
        { header: 'Name', cell: (f) => <Link to={`/flows/${f.id}`}>{f.name}</Link> },
        { header: 'Status', cell: (f) => <Badge value={f.status} /> },
        { header: 'Trigger', cell: (f) => triggerLabel(f.definition.trigger) },
        { header: 'Steps', cell: (f) => f.definition.steps.length },
        { header: 'Version', cell: (f) => `v${f.version}` },
        {
          header: 'Active runs',
          cell: (f) => <Link to={`/flows/${f.id}/runs`}>{f.activeRuns}</Link>,
        },
        { header: 'Updated', cell: (f) => formatDate(f.updatedAt) },
        {
          header: 'Actions',
          hiddenHeader: true,
          className: 'row-actions',
          cell: (f) => (
            <RowEditDelete
              name={f.name}
              onEdit={() => navigate(`/flows/${f.id}`)}
              disabledReason={reason('send')}
              onDelete={() => setDeleting(f)}
            />
          ),
        },
      ]}
    >
      {deleting ? (
        <ConfirmDialog
          title="Delete flow?"
          confirmLabel="Delete"
          danger
          onClose={() => setDeleting(undefined)}
          onConfirm={async () => {
            await api.delete(`/v1/flows/${deleting.id}`);
            setDeleting(undefined);
            list.reload();
          }}
        >
          <p>
            Delete <strong>{deleting.name}</strong>?{' '}
            {deleting.activeRuns > 0
              ? `Its ${deleting.activeRuns} active run${deleting.activeRuns === 1 ? '' : 's'} end now (flow deleted); nothing more is sent.`
              : 'No run is going.'}
          </p>
        </ConfirmDialog>
      ) : null}
    </ListPage>
  );
}
