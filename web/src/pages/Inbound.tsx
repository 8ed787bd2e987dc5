/** Inbound: texts received on the credentials' numbers, what the keyword engine did, live. */
import { useState } from 'react';
import type { InboundMessage, Page } from '../api';
import { Link } from '../router';
import { useEvents, useSession } from '../session';
import { Badge, Empty, ErrorBanner, formatDate, Loading, useLoad } from '../ui';
import { InboundMedia } from '../inbound-parts';

const CATEGORIES = [
  'opt_out',
  'opt_in',
  'help',
  'double_opt_in',
  'custom',
  'fuzzy_opt_out',
  'none',
];

export function InboundPage() {
  const { api } = useSession();
  const [from, setFrom] = useState('');
  const [category, setCategory] = useState('');
  const list = useLoad(
    () =>
      api.get<Page<InboundMessage>>('/v1/inbound', {
        from: from.trim(),
        category,
        limit: 100,
      }),
    [api, from, category],
  );
  useEvents(['inbound.received'], list.reload);
  return (
    <div className="page">
      <h1>Inbound</h1>
      <p className="muted">Texts people sent to your inbound numbers, newest first.</p>
      <div className="toolbar">
        <label>
          <span>From</span>
          <input
            type="search"
            placeholder="+14155550100"
            value={from}
            onChange={(e) => setFrom(e.target.value)}
          />
        </label>
        <label>
          <span>Keyword category</span>
          <select value={category} onChange={(e) => setCategory(e.target.value)}>
            <option value="">Any</option>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {c.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </label>
      </div>
      {list.error ? <ErrorBanner error={list.error} onRetry={list.reload} /> : null}
      {list.loading && !list.data ? <Loading what="Loading inbound texts" /> : null}
      {list.data && list.data.items.length === 0 ? (
        <Empty title="No inbound texts yet">
          <p>
            Give your API credentials an inbound number and paste its inbound webhook URL into
            Infobip; texts to that number appear here as they arrive.
          </p>
        </Empty>
      ) : null}
      {list.data && list.data.items.length > 0 ? (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Received</th>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">Text</th>
                <th scope="col">Keyword</th>
                <th scope="col">Action</th>
                <th scope="col">Reply</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((m) => (
                <tr key={m.id}>
                  <td>{formatDate(m.receivedAt)}</td>
                  <td>
                    <Link to={`/profiles/${encodeURIComponent(m.from)}`}>{m.from}</Link>
                  </td>
                  <td>{m.to}</td>
                  <td className="cell-text">
                    {m.text} <InboundMedia message={m} />
                  </td>
                  <td>{m.category ? <Badge value={m.category} /> : '—'}</td>
                  <td>{m.action?.replace(/_/g, ' ') ?? '—'}</td>
                  <td>
                    {m.replyMessageId ? (
                      <Link to={`/messages/${m.replyMessageId}`}>View reply</Link>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}
