/**
 * The profile page's flow runs (`GET /v1/flow-runs?phone=…`), newest first: each with where it
 * stands, and its timeline (the newest open, the others on demand).
 */
import { useState } from 'react';
import { useList } from '../../list';
import { Link } from '../../router';
import { useEvents, useSession } from '../../session';
import { Badge, ErrorBanner, formatDate, Loading, useLoad } from '../../ui';
import { flowNameOf, runState, Timeline } from './FlowRuns';
import { RUN_EVENTS, type FlowRun, type FlowRunDetail } from './flow-types';
import './flows.css';

function RunTimeline({ run }: { run: FlowRun }) {
  const { api } = useSession();
  const detail = useLoad(
    () => api.get<FlowRunDetail>(`/v1/flow-runs/${run.id}`),
    [api, run.id, run.updatedAt],
  );
  useEvents(['message.status_changed'], detail.reload);
  if (detail.error) return <ErrorBanner error={detail.error} onRetry={detail.reload} />;
  if (!detail.data) return <Loading what="Loading timeline" />;
  return <Timeline run={detail.data} />;
}

export function ProfileRuns({ phone }: { phone: string }) {
  const list = useList<FlowRun>('/v1/flow-runs', { phone }, { events: RUN_EVENTS, limit: 20 });
  const [open, setOpen] = useState<Record<string, boolean>>({});
  return (
    <section aria-labelledby="profile-runs-heading" data-testid="profile-runs">
      <h2 id="profile-runs-heading">Flow runs</h2>
      {list.error ? <ErrorBanner error={list.error} onRetry={list.reload} /> : null}
      {list.loaded && list.items.length === 0 ? (
        <p className="muted">No flow has run for this number.</p>
      ) : null}
      <ul className="flow-runs">
        {list.items.map((run, i) => {
          const shown = open[run.id] ?? i === 0;
          return (
            <li key={run.id} className="flow-run">
              <div className="flow-run-head">
                <button
                  type="button"
                  className="btn btn-small"
                  aria-expanded={shown}
                  aria-label={`${shown ? 'Hide' : 'Show'} the timeline of ${flowNameOf(run)}`}
                  onClick={() => setOpen((o) => ({ ...o, [run.id]: !shown }))}
                >
                  {shown ? '▾' : '▸'}
                </button>
                <Link to={`/flow-runs/${run.id}`}>{flowNameOf(run)}</Link>{' '}
                <Badge value={run.status} />{' '}
                <span className="muted">
                  {runState(run)} · started {formatDate(run.startedAt)}
                </span>
              </div>
              {shown ? <RunTimeline run={run} /> : null}
            </li>
          );
        })}
      </ul>
      {list.hasMore ? (
        <button type="button" className="btn btn-small" onClick={() => void list.loadMore()}>
          Load more
        </button>
      ) : null}
    </section>
  );
}
