/** Campaigns: the sandbox's campaigns and their state. */
import { useState } from 'react';
import { LinkButton, useAccess } from '../../access';
import type { Campaign } from '../../api';
import { ListPage, useList } from '../../list';
import { Link } from '../../router';
import { Badge, formatDate } from '../../ui';
import '../../marketing.css';

const STATUSES = ['draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled'];

export function CampaignsPage() {
  const [status, setStatus] = useState('');
  const { reason } = useAccess();
  const list = useList<Campaign>(
    '/v1/campaigns',
    { status },
    {
      events: [
        'campaign.started',
        'campaign.paused',
        'campaign.resumed',
        'campaign.completed',
        'campaign.cancelled',
      ],
    },
  );
  return (
    <ListPage
      breadcrumb={['Messaging']}
      title="Campaigns"
      intro="A template sent to an audience, paced, with an estimate before and results after."
      actions={
        <LinkButton to="/campaigns/new" className="btn btn-primary" disabledReason={reason('send')}>
          New campaign
        </LinkButton>
      }
      toolbar={
        <label>
          <span>Status</span>
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      }
      list={list}
      rowKey={(c) => c.id}
      emptyTitle={status ? `No ${status} campaigns` : 'No campaigns yet'}
      empty={
        <p>
          Build a <Link to="/segments">segment</Link> and a <Link to="/templates">template</Link>,
          then start a new campaign.
        </p>
      }
      columns={[
        {
          header: 'Name',
          cell: (c) => (
            <Link to={c.status === 'draft' ? `/campaigns/${c.id}/edit` : `/campaigns/${c.id}`}>
              {c.name}
            </Link>
          ),
        },
        { header: 'Status', cell: (c) => <Badge value={c.status} /> },
        { header: 'Send at', cell: (c) => (c.sendAt ? formatDate(c.sendAt) : 'On confirm') },
        { header: 'Created', cell: (c) => formatDate(c.createdAt) },
      ]}
    />
  );
}
