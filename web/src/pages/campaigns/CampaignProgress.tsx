/**
 * Campaigns › one campaign: its progress, live (the event stream's campaign and message events,
 * and a poll every 2 s while it runs), as tiles and charts; pause, resume, cancel; CSV export.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { Campaign, CampaignResults } from '../../api';
import { ConfirmDialog } from '../../confirm-dialog';
import { downloadFile } from '../../download';
import { Link, navigate } from '../../router';
import { auditPath } from '../Audit';
import { useEvents, useSession } from '../../session';
import { Button, useAccess } from '../../access';
import { ApprovalNotice, type PendingApproval } from '../../approval-notice';
import { Badge, ErrorBanner, formatDate, Loading, useLoad } from '../../ui';
import '../../marketing.css';

const POLL_MS = 2000;
const ACTIVE = new Set(['scheduled', 'running', 'paused']);

interface Sample {
  at: string;
  sent: number;
  delivered: number;
  failed: number;
}

export function CampaignProgressPage({ id }: { id: string }) {
  const { api } = useSession();
  const { reason } = useAccess();
  const data = useLoad(async () => {
    const [campaign, results] = await Promise.all([
      api.get<Campaign>(`/v1/campaigns/${id}`),
      api.get<CampaignResults>(`/v1/campaigns/${id}/results`),
    ]);
    return { campaign, results };
  }, [api, id]);
  const reload = data.reload;
  const status = data.data?.campaign.status;
  // A draft may be waiting for a second person's approval of its confirm (issue 18).
  const pending = useLoad(
    async () =>
      status === 'draft'
        ? api.get<{ items: PendingApproval[] }>('/v1/approvals', {
            status: 'pending',
            resourceType: 'campaign',
            resourceId: id,
          })
        : { items: [] },
    [api, id, status],
  );

  // Live: reload on the campaign's events and, while it is active or awaits reports, every 2 s (message events
  // arrive in bursts of hundreds; the poll bounds the reloads to one each 2 s).
  const onEvent = useCallback(() => reload(), [reload]);
  useEvents(
    [
      'campaign.started',
      'campaign.paused',
      'campaign.resumed',
      'campaign.completed',
      'campaign.cancelled',
    ],
    onEvent,
  );
  // Delivery reports keep coming after the last send: poll until none is awaited.
  const m = data.data?.results.messages;
  const settling = m !== undefined && m.accepted + m.queued > 0;
  useEffect(() => {
    if (!status || !(ACTIVE.has(status) || settling)) return;
    const timer = setInterval(reload, POLL_MS);
    return () => clearInterval(timer);
  }, [status, settling, reload]);

  // The counts seen since the page opened, for the over-time chart.
  const [samples, setSamples] = useState<Sample[]>([]);
  const last = useRef('');
  useEffect(() => {
    const r = data.data?.results;
    if (!r) return;
    const sample = {
      at: new Date().toLocaleTimeString(),
      sent: r.messages.sent,
      delivered: r.messages.delivered,
      failed: r.messages.failed,
    };
    const key = `${sample.sent}/${sample.delivered}/${sample.failed}`;
    if (key === last.current) return;
    last.current = key;
    setSamples((s) => [...s.slice(-59), sample]);
  }, [data.data]);

  const [acting, setActing] = useState<string>();
  const [actionError, setActionError] = useState<unknown>();
  const [cancelling, setCancelling] = useState(false);
  const [deletingDraft, setDeletingDraft] = useState(false);
  const act = async (verb: 'pause' | 'resume' | 'cancel') => {
    setActing(verb);
    setActionError(undefined);
    try {
      await api.post(`/v1/campaigns/${id}/${verb}`, {});
      reload();
    } catch (err) {
      setActionError(err);
    } finally {
      setActing(undefined);
    }
  };
  const [exportError, setExportError] = useState<unknown>();

  if (data.error && !data.data) return <ErrorBanner error={data.error} onRetry={reload} />;
  if (!data.data) return <Loading what="Loading campaign" />;
  const { campaign, results } = data.data;
  const counted = results.messages;
  const recipients = results.recipients;
  // Dealt with: handed over, failed before that, blocked, cancelled, or never queued.
  const done =
    counted.sent + counted.suppressed + counted.cancelled + results.excluded + results.renderFailed;
  const percent = recipients > 0 ? Math.min(100, Math.round((100 * done) / recipients)) : 0;
  const counts = [
    { name: 'Queued', value: counted.queued },
    { name: 'Paused', value: counted.paused },
    { name: 'Sent', value: counted.sent },
    { name: 'Delivered', value: counted.delivered },
    { name: 'Failed', value: counted.failed },
    { name: 'Suppressed', value: counted.suppressed },
    { name: 'Cancelled', value: counted.cancelled },
    { name: 'Opt-outs (24 h)', value: results.optOuts },
    { name: 'Replies', value: results.replies },
  ];

  return (
    <div className="page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        Messaging › <Link to="/campaigns">Campaigns</Link> ›{' '}
        <span aria-current="page">{campaign.name}</span>
      </nav>
      <div className="page-header">
        <h1>
          {campaign.name} <Badge value={campaign.status} />
        </h1>
        <div className="actions">
          <Link className="btn" to={auditPath('campaign', campaign.id)}>
            Audit log
          </Link>
          {campaign.status === 'running' || campaign.status === 'scheduled' ? (
            <Button
              disabledReason={reason('send')}
              type="button"
              className="btn"
              disabled={acting !== undefined}
              onClick={() => void act('pause')}
            >
              Pause
            </Button>
          ) : null}
          {campaign.status === 'paused' ? (
            <Button
              disabledReason={reason('send')}
              type="button"
              className="btn btn-primary"
              disabled={acting !== undefined}
              onClick={() => void act('resume')}
            >
              Resume
            </Button>
          ) : null}
          {ACTIVE.has(campaign.status) ? (
            <Button
              disabledReason={reason('send')}
              type="button"
              className="btn btn-danger-outline"
              disabled={acting !== undefined}
              onClick={() => setCancelling(true)}
            >
              Cancel campaign
            </Button>
          ) : null}
          <button
            type="button"
            className="btn"
            onClick={() =>
              void downloadFile(
                api,
                `/v1/campaigns/${id}/recipients/export`,
                `campaign-${id}.csv`,
              ).catch(setExportError)
            }
          >
            Export CSV
          </button>
        </div>
      </div>
      {campaign.status === 'draft' ? (
        <div className="banner banner-warn" role="status">
          <div>
            A draft: nothing is sent until it is confirmed.{' '}
            <Link to={`/campaigns/${id}/edit`}>Continue in the wizard</Link>.
          </div>
          <Button
            disabledReason={reason('send')}
            type="button"
            className="btn btn-small"
            onClick={() => setDeletingDraft(true)}
          >
            Delete draft
          </Button>
        </div>
      ) : null}
      {pending.data?.items[0] ? (
        <ApprovalNotice approval={pending.data.items[0]} title="Waiting for approval" />
      ) : null}
      {actionError ? <ErrorBanner error={actionError} /> : null}
      {exportError ? <ErrorBanner error={exportError} /> : null}
      {campaign.statusReason ? (
        <div
          className={campaign.status === 'paused' ? 'banner banner-warn' : 'banner'}
          role="status"
        >
          {campaign.statusReason}
        </div>
      ) : null}
      <p className="muted">
        {campaign.sendAt ? `Sends at ${formatDate(campaign.sendAt)}` : 'Sent on confirm'} · at most{' '}
        {campaign.pacing.perSecond
          ? `${campaign.pacing.perSecond} a second`
          : `${campaign.pacing.perMinute ?? '—'} a minute`}{' '}
        · template v{campaign.templateVersion}
      </p>
      <div
        className="progress"
        role="progressbar"
        aria-label="Progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
      >
        <span style={{ width: `${percent}%` }} />
      </div>
      <p className="small muted">
        {done.toLocaleString()} of {recipients.toLocaleString()} recipients done ({percent} %)
        {campaign.progress.snapshotDone ? '' : ' · taking the audience snapshot'} · opt-out rate{' '}
        {(100 * results.optOutRate).toFixed(1)} % (pauses at{' '}
        {(100 * campaign.autoPause.optOutRate).toFixed(1)} %) · failure rate{' '}
        {(100 * results.failureRate).toFixed(1)} % (pauses at{' '}
        {(100 * campaign.autoPause.failureRate).toFixed(1)} %)
      </p>
      <div className="tiles" data-testid="campaign-results">
        <Tile label="Recipients" value={recipients} />
        <Tile label="Excluded by consent" value={results.excluded} />
        {counts.map((c) => (
          <Tile key={c.name} label={c.name} value={c.value} />
        ))}
      </div>
      <div className="grid-2">
        <section className="card chart-card">
          <h2 className="h3">Where the messages are</h2>
          <div
            className="chart"
            role="img"
            aria-label="Bar chart of the campaign's messages by state"
          >
            <ResponsiveContainer width="100%" height={240}>
              <BarChart data={counts}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="name" fontSize={11} />
                <YAxis allowDecimals={false} fontSize={11} width={48} />
                <Tooltip />
                <Bar dataKey="value" name="Messages" fill="#5b8def" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </div>
        </section>
        <section className="card chart-card">
          <h2 className="h3">Since you opened this page</h2>
          <div
            className="chart"
            role="img"
            aria-label="Line chart of sent, delivered and failed over time"
          >
            <ResponsiveContainer width="100%" height={240}>
              <LineChart data={samples}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="at" fontSize={11} />
                <YAxis allowDecimals={false} fontSize={11} width={48} />
                <Tooltip />
                <Legend />
                <Line
                  dataKey="sent"
                  name="Sent"
                  stroke="#5b8def"
                  dot={false}
                  isAnimationActive={false}
                />
                <Line
                  dataKey="delivered"
                  name="Delivered"
                  stroke="#2e9e6a"
                  dot={false}
                  isAnimationActive={false}
                />
                <Line
                  dataKey="failed"
                  name="Failed"
                  stroke="#d64545"
                  dot={false}
                  isAnimationActive={false}
                />
              </LineChart>
            </ResponsiveContainer>
          </div>
        </section>
      </div>
      {deletingDraft ? (
        <ConfirmDialog
          title="Delete draft?"
          confirmLabel="Delete"
          danger
          onClose={() => setDeletingDraft(false)}
          onConfirm={async () => {
            await api.delete(`/v1/campaigns/${id}`);
            navigate('/campaigns');
          }}
        >
          <p>
            Delete the draft <strong>{campaign.name}</strong>? Nothing was sent.
          </p>
        </ConfirmDialog>
      ) : null}
      {cancelling ? (
        <ConfirmDialog
          title="Cancel campaign?"
          confirmLabel="Cancel campaign"
          cancelLabel="Keep sending"
          danger
          onClose={() => setCancelling(false)}
          onConfirm={async () => {
            await api.post(`/v1/campaigns/${id}/cancel`, {});
            setCancelling(false);
            reload();
          }}
        >
          <p>
            Messages of <strong>{campaign.name}</strong> still queued are not sent. Those already
            sent stay sent. This cannot be undone.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}

function Tile({ label, value }: { label: string; value: number }) {
  return (
    <div className="tile">
      <div className="tile-value">{value.toLocaleString()}</div>
      <div className="tile-label">{label}</div>
    </div>
  );
}
