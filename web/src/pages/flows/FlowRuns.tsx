/**
 * A flow's runs (newest first) and one run's timeline: what it did, when and why, with the
 * messages it sent; an active run can be cancelled.
 */
import { useState } from 'react';
import { ConfirmDialog } from '../../confirm-dialog';
import { ListPage, useList } from '../../list';
import { Link } from '../../router';
import { useEvents, useSession } from '../../session';
import { Button, useAccess } from '../../access';
import { Badge, ErrorBanner, formatDate, Loading, useLoad } from '../../ui';
import { RUN_EVENTS, type Flow, type FlowRun, type FlowRunDetail } from './flow-types';
import './flows.css';

/** A run's flow by name; a deleted flow's runs stay listed. */
export const flowNameOf = (run: FlowRun) => run.flowName ?? 'a deleted flow';

/** Where a run stands, in a few words. */
export function runState(run: FlowRun): string {
  if (run.status === 'ended') return (run.endReason ?? 'ended').replace(/_/g, ' ');
  if (run.waiting)
    return `${run.waiting.untilReply ? 'waiting for a reply' : 'waiting'} (step ${run.waiting.stepId}) until ${formatDate(run.waiting.dueAt)}`;
  return run.position ? `next: step ${run.position}` : 'starting';
}

export function FlowRunsPage({ flowId }: { flowId: string }) {
  const { api } = useSession();
  const flow = useLoad(() => api.get<Flow>(`/v1/flows/${flowId}`), [api, flowId]);
  const [status, setStatus] = useState('');
  const list = useList<FlowRun>('/v1/flow-runs', { flowId, status }, { events: RUN_EVENTS });
  const name = flow.data?.name ?? 'Flow';
  return (
    <ListPage
      breadcrumb={['Automation', 'Flows', name]}
      title="Runs"
      intro={
        <>
          Every run of <Link to={`/flows/${flowId}`}>{name}</Link>, newest first.
        </>
      }
      toolbar={
        <label>
          <span>Status</span>
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">Any</option>
            <option value="active">active</option>
            <option value="ended">ended</option>
          </select>
        </label>
      }
      list={list}
      rowKey={(r) => r.id}
      emptyTitle={status ? `No ${status} runs` : 'No runs yet'}
      empty={<p>A run starts when the flow is active and its trigger fires.</p>}
      columns={[
        {
          header: 'Started',
          cell: (r) => <Link to={`/flow-runs/${r.id}`}>{formatDate(r.startedAt)}</Link>,
        },
        {
          header: 'Person',
          cell: (r) => <Link to={`/profiles/${encodeURIComponent(r.phone)}`}>{r.phone}</Link>,
        },
        { header: 'Status', cell: (r) => <Badge value={r.status} /> },
        { header: 'Where', cell: runState },
        { header: 'Sends', cell: (r) => r.sends },
        { header: 'Version', cell: (r) => `v${r.flowVersion}` },
      ]}
    />
  );
}

/** A run's timeline entries as a list (the run page and the profile page). */
export function Timeline({ run }: { run: FlowRunDetail }) {
  if (run.timeline.length === 0) return <p className="muted">Nothing yet.</p>;
  return (
    <ol className="timeline" aria-label={`Timeline of ${flowNameOf(run)}`}>
      {run.timeline.map((t, i) => (
        <li key={`${t.at}-${i}`}>
          <span className="timeline-at">{formatDate(t.at)}</span>
          <Badge value={t.kind} /> {t.detail}
          {t.stepId ? <span className="muted"> · {t.stepId}</span> : null}
          {t.messageId ? (
            <>
              {' · '}
              <Link to={`/messages/${t.messageId}`}>message</Link>
            </>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

export function FlowRunPage({ id }: { id: string }) {
  const { api } = useSession();
  const { reason } = useAccess();
  const run = useLoad(() => api.get<FlowRunDetail>(`/v1/flow-runs/${id}`), [api, id]);
  useEvents([...RUN_EVENTS, 'message.status_changed'], run.reload);
  const [cancelling, setCancelling] = useState(false);
  if (run.error) return <ErrorBanner error={run.error} onRetry={run.reload} />;
  if (!run.data) return <Loading what="Loading run" />;
  const r = run.data;
  return (
    <div className="page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        Automation › <Link to="/flows">Flows</Link> ›{' '}
        <Link to={`/flows/${r.flowId}`}>{flowNameOf(r)}</Link> ›{' '}
        <Link to={`/flows/${r.flowId}/runs`}>Runs</Link> ›{' '}
        <span aria-current="page">{r.phone}</span>
      </nav>
      <div className="page-header">
        <h1>
          Run of {flowNameOf(r)} for {r.phone} <Badge value={r.status} />
        </h1>
        {r.status === 'active' ? (
          <div className="actions">
            <Button
              disabledReason={reason('send')}
              type="button"
              className="btn btn-danger-outline"
              onClick={() => setCancelling(true)}
            >
              Cancel run
            </Button>
          </div>
        ) : null}
      </div>
      <dl className="facts">
        <dt>Where</dt>
        <dd>{runState(r)}</dd>
        <dt>Person</dt>
        <dd>
          <Link to={`/profiles/${encodeURIComponent(r.phone)}`}>{r.phone}</Link>
        </dd>
        <dt>Flow version</dt>
        <dd>v{r.flowVersion}</dd>
        <dt>Sends</dt>
        <dd>{r.sends}</dd>
        <dt>Started</dt>
        <dd>{formatDate(r.startedAt)}</dd>
        <dt>Ended</dt>
        <dd>{r.endedAt ? formatDate(r.endedAt) : '—'}</dd>
      </dl>
      <h2>Timeline</h2>
      <Timeline run={r} />
      {cancelling ? (
        <ConfirmDialog
          title="Cancel this run?"
          confirmLabel="Cancel run"
          cancelLabel="Keep it"
          danger
          onClose={() => setCancelling(false)}
          onConfirm={async () => {
            await api.post(`/v1/flow-runs/${r.id}/cancel`);
            setCancelling(false);
            run.reload();
          }}
        >
          <p>
            The run ends now (cancelled): {r.phone} gets nothing more from {flowNameOf(r)}.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
