/**
 * Dashboard: sent (handed to the provider) / delivered / failed per hour (last 24 h), what waits
 * in the queue (apart: what waits after a failed provider call) and keyword opt-ins / opt-outs per
 * day (last 14 days), counted from the list APIs (there is no statistics endpoint).
 */
import { useCallback } from 'react';
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
import type { Api, InboundMessage, Message, Page } from '../api';
import { Link } from '../router';
import { isRetrying } from './Messages';
import { useEvents, useSession } from '../session';
import { ErrorBanner, Loading, useLoad } from '../ui';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** At most this many pages of 200 are read per chart: enough for a demo or a small sandbox. */
const MAX_PAGES = 10;

async function readAll<T>(
  api: Api,
  path: string,
  query: Record<string, string>,
): Promise<{ items: T[]; truncated: boolean }> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res: Page<T> = await api.get<Page<T>>(path, {
      ...query,
      limit: 200,
      ...(cursor ? { cursor } : {}),
    });
    items.push(...res.items);
    cursor = res.nextCursor;
    if (!cursor) return { items, truncated: false };
  }
  return { items, truncated: true };
}

const FAILED = new Set(['undeliverable', 'expired', 'rejected', 'failed']);
/** Handed to the provider: only these count as sent (a queued message may never have gone out). */
const SENT = new Set(['accepted', 'delivered', 'undeliverable']);

export function DashboardPage() {
  const { api, session } = useSession();
  const stats = useLoad(async () => {
    const now = Date.now();
    const hourStart = Math.floor(now / HOUR) * HOUR - 23 * HOUR;
    const dayStart = new Date(now - 13 * DAY);
    dayStart.setHours(0, 0, 0, 0);
    const [messages, optOuts, optIns] = await Promise.all([
      readAll<Message>(api, '/v1/messages', { from: new Date(hourStart).toISOString() }),
      readAll<InboundMessage>(api, '/v1/inbound', {
        category: 'opt_out',
        since: dayStart.toISOString(),
      }),
      readAll<InboundMessage>(api, '/v1/inbound', {
        category: 'opt_in',
        since: dayStart.toISOString(),
      }),
    ]);
    const hours = Array.from({ length: 24 }, (_, i) => ({
      at: hourStart + i * HOUR,
      label: new Date(hourStart + i * HOUR).toLocaleTimeString(undefined, {
        hour: '2-digit',
        minute: '2-digit',
      }),
      sent: 0,
      delivered: 0,
      failed: 0,
    }));
    let suppressed = 0;
    let waiting = 0;
    let retrying = 0;
    for (const m of messages.items) {
      const slot = hours[Math.floor((Date.parse(m.createdAt) - hourStart) / HOUR)];
      if (!slot) continue;
      if (m.status === 'suppressed') {
        suppressed++;
        continue;
      }
      if (m.status === 'queued' || m.status === 'sending') {
        // Queued after a failed provider call (a wrong base URL, the provider unreachable) is
        // not sent: it waits for a retry and may expire.
        if (isRetrying(m)) retrying++;
        else waiting++;
        continue;
      }
      if (SENT.has(m.status)) slot.sent++;
      if (m.status === 'delivered') slot.delivered++;
      if (FAILED.has(m.status)) slot.failed++;
    }
    const days = Array.from({ length: 14 }, (_, i) => {
      const start = new Date(dayStart);
      start.setDate(start.getDate() + i);
      return {
        at: start.getTime(),
        label: start.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }),
        optIns: 0,
        optOuts: 0,
      };
    });
    const dayOf = (iso: string) => {
      const t = Date.parse(iso);
      for (let i = days.length - 1; i >= 0; i--) if (t >= (days[i]?.at ?? 0)) return days[i];
      return undefined;
    };
    for (const m of optIns.items) {
      const d = dayOf(m.receivedAt);
      if (d) d.optIns++;
    }
    for (const m of optOuts.items) {
      const d = dayOf(m.receivedAt);
      if (d) d.optOuts++;
    }
    const total = (key: 'sent' | 'delivered' | 'failed') => hours.reduce((n, h) => n + h[key], 0);
    return {
      hours,
      days,
      totals: {
        sent: total('sent'),
        delivered: total('delivered'),
        failed: total('failed'),
        suppressed,
        waiting,
        retrying,
        optIns: optIns.items.length,
        optOuts: optOuts.items.length,
      },
      truncated: messages.truncated || optIns.truncated || optOuts.truncated,
    };
  }, [api]);
  const reload = stats.reload;
  const refresh = useCallback(() => reload(), [reload]);
  useEvents(['message.status_changed', 'inbound.received'], refresh);

  return (
    <div className="page">
      <h1>Dashboard</h1>
      <p className="muted">
        Sandbox <strong>{session.sandbox}</strong>: the last 24 hours of sending and the last 14
        days of keyword opt-ins and opt-outs. Updates live.
      </p>
      {stats.error ? <ErrorBanner error={stats.error} onRetry={stats.reload} /> : null}
      {!stats.data && stats.loading ? <Loading what="Counting" /> : null}
      {stats.data ? (
        <>
          <div className="tiles">
            <Tile label="Sent (24 h)" value={stats.data.totals.sent} />
            <Tile label="Delivered" value={stats.data.totals.delivered} tone="good" />
            <Tile label="Failed" value={stats.data.totals.failed} tone="bad" />
            <Tile label="Suppressed (no consent)" value={stats.data.totals.suppressed} />
            <Tile label="Queued" value={stats.data.totals.waiting} />
            <Tile
              label="Queued after provider errors"
              value={stats.data.totals.retrying}
              tone={stats.data.totals.retrying > 0 ? 'bad' : undefined}
            />
            <Tile label="Opt-ins (14 d)" value={stats.data.totals.optIns} tone="good" />
            <Tile label="Opt-outs (14 d)" value={stats.data.totals.optOuts} tone="bad" />
          </div>
          {stats.data.truncated ? (
            <p className="muted small">Counted from the newest 2,000 items of each list.</p>
          ) : null}
          {stats.data.totals.sent + stats.data.totals.waiting + stats.data.totals.retrying === 0 &&
          stats.data.totals.optIns + stats.data.totals.optOuts === 0 ? (
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
            <h2 className="h3">Messages per hour</h2>
            <div
              className="chart"
              role="img"
              aria-label="Bar chart of sent, delivered and failed messages per hour"
            >
              <ResponsiveContainer width="100%" height={260}>
                <BarChart data={stats.data.hours}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} />
                  <XAxis dataKey="label" fontSize={11} interval={2} />
                  <YAxis allowDecimals={false} fontSize={11} width={32} />
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
            <h2 className="h3">Keyword opt-ins and opt-outs per day</h2>
            <div
              className="chart"
              role="img"
              aria-label="Bar chart of opt-ins and opt-outs per day"
            >
              <ResponsiveContainer width="100%" height={220}>
                <BarChart data={stats.data.days}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} />
                  <XAxis dataKey="label" fontSize={11} />
                  <YAxis allowDecimals={false} fontSize={11} width={32} />
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
      <div className="tile-value">{value}</div>
      <div className="tile-label">{label}</div>
    </div>
  );
}
