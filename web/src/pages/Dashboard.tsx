/**
 * Dashboard: sent (handed to the provider) / delivered / failed per hour (24 h) or per UTC day
 * (7 d, 30 d), what waits in the queue now (apart: what waits after a failed provider call) and
 * opt-ins / opt-outs, from `GET /v1/stats`: the server's rollups, exact at any volume.
 */
import { useCallback, useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { Stats, StatsRange } from '../api';
import { Link } from '../router';
import { useEvents, useSession } from '../session';
import { ErrorBanner, Loading, useLoad } from '../ui';

const RANGES: { range: StatsRange; label: string }[] = [
  { range: '24h', label: '24 h' },
  { range: '7d', label: '7 d' },
  { range: '30d', label: '30 d' },
];

/** Events arrive in bursts (a batch settles 500 at once): at most one reload per second. */
const RELOAD_MS = 1000;

export function DashboardPage() {
  const { api, session } = useSession();
  const [range, setRange] = useState<StatsRange>('24h');
  const stats = useLoad(() => api.get<Stats>('/v1/stats', { range }), [api, range]);
  const reload = stats.reload;
  const [pending, setPending] = useState(false);
  const refresh = useCallback(() => {
    if (pending) return;
    setPending(true);
    setTimeout(() => {
      setPending(false);
      reload();
    }, RELOAD_MS);
  }, [pending, reload]);
  useEvents(['message.status_changed', 'inbound.received'], refresh);

  const label = RANGES.find((r) => r.range === range)?.label ?? range;
  const data = stats.data;
  const chart = data?.series.map((b) => ({
    ...b,
    label:
      data.bucket === 'hour'
        ? new Date(b.start).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
        : new Date(b.start).toLocaleDateString(undefined, {
            month: 'short',
            day: 'numeric',
            timeZone: 'UTC',
          }),
  }));
  const per = data?.bucket === 'day' ? 'day (UTC)' : 'hour';

  return (
    <div className="page">
      <h1>Dashboard</h1>
      <p className="muted">
        Sandbox <strong>{session.sandbox}</strong>: sending and opt-ins / opt-outs over the last{' '}
        {label}. Updates live.
      </p>
      <div className="toolbar" role="group" aria-label="Range">
        {RANGES.map((r) => (
          <button
            key={r.range}
            type="button"
            className={r.range === range ? 'btn btn-small btn-primary' : 'btn btn-small'}
            aria-pressed={r.range === range}
            onClick={() => setRange(r.range)}
          >
            {r.label}
          </button>
        ))}
      </div>
      {stats.error ? <ErrorBanner error={stats.error} onRetry={stats.reload} /> : null}
      {!data && stats.loading ? <Loading what="Counting" /> : null}
      {data && chart ? (
        <>
          <div className="tiles">
            <Tile label={`Sent (${label})`} value={data.events.sent} />
            <Tile label="Delivered" value={data.events.delivered} tone="good" />
            <Tile
              label="Failed"
              value={
                data.events.undeliverable +
                data.events.expired +
                data.events.rejected +
                data.events.failed
              }
              tone="bad"
            />
            <Tile label="Suppressed (no consent)" value={data.messages.suppressed} />
            <Tile label="Queued" value={data.queue.queued} />
            <Tile
              label="Queued after provider errors"
              value={data.queue.retrying}
              tone={data.queue.retrying > 0 ? 'bad' : undefined}
            />
            <Tile label={`Opt-ins (${label})`} value={data.consent.optIns} tone="good" />
            <Tile label={`Opt-outs (${label})`} value={data.consent.optOuts} tone="bad" />
          </div>
          {data.messages.total + data.queue.queued + data.queue.retrying === 0 &&
          data.consent.optIns + data.consent.optOuts === 0 ? (
            <div className="empty">
              <h3>Nothing sent yet</h3>
              <p>
                Set up <Link to="/credentials">API credentials</Link> and a{' '}
                <Link to="/channels">channel configuration</Link>, then send a test message from{' '}
                <Link to="/messages">Messages</Link>.
              </p>
            </div>
          ) : null}
          <section className="card chart-card">
            <h2 className="h3">Messages per {per}</h2>
            <div
              className="chart"
              role="img"
              aria-label={`Bar chart of sent, delivered and failed messages per ${per}`}
            >
              <ResponsiveContainer width="100%" height={260}>
                <BarChart data={chart}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} />
                  <XAxis
                    dataKey="label"
                    fontSize={11}
                    interval={data.bucket === 'hour' ? 2 : 'preserveStartEnd'}
                  />
                  <YAxis allowDecimals={false} fontSize={11} width={40} />
                  <Tooltip />
                  <Legend />
                  <Bar dataKey="sent" name="Sent" fill="#5b8def" isAnimationActive={false} />
                  <Bar
                    dataKey="delivered"
                    name="Delivered"
                    fill="#2e9e6a"
                    isAnimationActive={false}
                  />
                  <Bar dataKey="failed" name="Failed" fill="#d64545" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </div>
          </section>
          <section className="card chart-card">
            <h2 className="h3">Opt-ins and opt-outs per {per}</h2>
            <div
              className="chart"
              role="img"
              aria-label={`Bar chart of opt-ins and opt-outs per ${per}`}
            >
              <ResponsiveContainer width="100%" height={220}>
                <BarChart data={chart}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} />
                  <XAxis
                    dataKey="label"
                    fontSize={11}
                    interval={data.bucket === 'hour' ? 2 : 'preserveStartEnd'}
                  />
                  <YAxis allowDecimals={false} fontSize={11} width={40} />
                  <Tooltip />
                  <Legend />
                  <Bar dataKey="optIns" name="Opt-ins" fill="#2e9e6a" isAnimationActive={false} />
                  <Bar dataKey="optOuts" name="Opt-outs" fill="#d64545" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </div>
          </section>
        </>
      ) : null}
    </div>
  );
}

function Tile({ label, value, tone }: { label: string; value: number; tone?: 'good' | 'bad' }) {
  return (
    <div className={`tile${tone ? ` tile-${tone}` : ''}`}>
      <div className="tile-value">{value.toLocaleString()}</div>
      <div className="tile-label">{label}</div>
    </div>
  );
}
