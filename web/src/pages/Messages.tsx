/** Messages: the outbound log with filters and live updates, a message's history, test sends. */
import { useCallback, useState, type FormEvent } from 'react';
import {
  type Api,
  ApiError,
  type ChannelConfiguration,
  type Message,
  type MessageDetail,
  type Page,
} from '../api';
import { Link, navigate } from '../router';
import { MessageHold } from './policy/MessageHold';
import { Button, useAccess } from '../access';
import { useEvents, useSession } from '../session';
import {
  Badge,
  describedBy,
  Dialog,
  Empty,
  ErrorBanner,
  errorText,
  Field,
  formatTime,
  Loading,
  SegmentCounter,
  useLoad,
} from '../ui';

export const MESSAGE_STATUSES = [
  'queued',
  'paused',
  'sending',
  'accepted',
  'delivered',
  'undeliverable',
  'expired',
  'rejected',
  'failed',
  'suppressed',
  'cancelled',
] as const;

export function MessagesPage() {
  const { api } = useSession();
  const { reason } = useAccess();
  const [status, setStatus] = useState('');
  const [to, setTo] = useState('');
  const [channelId, setChannelId] = useState('');
  const [sending, setSending] = useState(false);
  const channels = useLoad(
    () => api.get<Page<ChannelConfiguration>>('/v1/channel-configurations', { limit: 200 }),
    [api],
  );
  const list = useLoad(
    () =>
      api.get<Page<Message>>('/v1/messages', {
        status,
        to: to.trim(),
        channelConfigurationId: channelId,
        limit: 100,
      }),
    [api, status, to, channelId],
  );
  const [more, setMore] = useState<Message[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const reload = list.reload;
  const refresh = useCallback(() => {
    setMore([]);
    setCursor(undefined);
    reload();
  }, [reload]);
  useEvents(['message.status_changed'], refresh);
  const items = [...(list.data?.items ?? []), ...more];
  const next = cursor === undefined ? list.data?.nextCursor : cursor;
  const loadMore = async () => {
    if (!next) return;
    const page = await api.get<Page<Message>>('/v1/messages', {
      status,
      to: to.trim(),
      channelConfigurationId: channelId,
      limit: 100,
      cursor: next,
    });
    setMore((m) => [...m, ...page.items]);
    setCursor(page.nextCursor);
  };
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<unknown>(null);
  const exportCsv = async () => {
    setExporting(true);
    setExportError(null);
    try {
      await downloadExport(api, { status, to: to.trim(), channelConfigurationId: channelId });
    } catch (error) {
      setExportError(error);
    } finally {
      setExporting(false);
    }
  };
  const channelName = (id: string | null) =>
    (id && channels.data?.items.find((c) => c.id === id)?.name) ?? '—';

  return (
    <div className="page">
      <div className="page-header">
        <h1>Messages</h1>
        <div className="actions">
          <button
            type="button"
            className="btn"
            onClick={() => void exportCsv()}
            disabled={exporting}
            aria-busy={exporting}
          >
            {exporting ? 'Exporting…' : 'Export CSV'}
          </button>
          <Button
            className="btn btn-primary"
            onClick={() => setSending(true)}
            disabled={channels.data?.items.length === 0}
            disabledReason={reason('send')}
          >
            Send test message
          </Button>
        </div>
      </div>
      {exportError ? <ErrorBanner error={exportError} onRetry={() => void exportCsv()} /> : null}
      <div className="toolbar">
        <label>
          <span>Status</span>
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">Any</option>
            {MESSAGE_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>To</span>
          <input
            type="search"
            value={to}
            placeholder="+14155550100"
            onChange={(e) => setTo(e.target.value)}
          />
        </label>
        <label>
          <span>Channel configuration</span>
          <select value={channelId} onChange={(e) => setChannelId(e.target.value)}>
            <option value="">Any</option>
            {channels.data?.items.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      {list.error ? <ErrorBanner error={list.error} onRetry={list.reload} /> : null}
      {list.loading && !list.data ? <Loading what="Loading messages" /> : null}
      {list.data && items.length === 0 ? (
        <Empty title={status || to || channelId ? 'No messages match' : 'No messages yet'}>
          {channels.data?.items.length === 0 ? (
            <p>
              Create a <Link to="/channels/new">channel configuration</Link>, then send a test
              message.
            </p>
          ) : (
            <p>Send a test message, or send through the API: they appear here as they go.</p>
          )}
        </Empty>
      ) : null}
      {items.length > 0 ? (
        <div className="table-wrap">
          <table className="table table-clickable">
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">To</th>
                <th scope="col">Text</th>
                <th scope="col">Channel configuration</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {items.map((m) => (
                <tr key={m.id} onClick={() => navigate(`/messages/${m.id}`)}>
                  <td>
                    <Link to={`/messages/${m.id}`}>{formatTime(m.createdAt)}</Link>
                  </td>
                  <td>{m.to}</td>
                  <td className="cell-text">{m.text ?? <span className="muted">(media)</span>}</td>
                  <td>{channelName(m.channelConfigurationId)}</td>
                  <td>{m.origin === 'reply' ? 'reply' : m.messageType}</td>
                  <td>
                    <Badge value={m.status} />
                    {isRetrying(m) ? (
                      <span
                        className="badge badge-bad"
                        title={m.lastProviderError?.message ?? undefined}
                      >
                        provider error
                      </span>
                    ) : null}
                    {m.lastProviderError ? (
                      <div className="small muted cell-text">
                        Last provider error: {m.lastProviderError.message}
                      </div>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {next ? (
        <button type="button" className="btn" onClick={() => void loadMore()}>
          Load more
        </button>
      ) : null}
      {sending ? (
        <SendTestDialog
          channels={channels.data?.items ?? []}
          onClose={() => setSending(false)}
          onSent={refresh}
        />
      ) : null}
    </div>
  );
}

/**
 * Downloads `GET /v1/messages/export` with the page's filters. The API wants the bearer token in
 * a header, which a plain link cannot send: the CSV is fetched, held as a blob and saved
 * through a temporary object URL (the server streams it; the browser keeps the file until it
 * is saved). For logs of millions of messages, use the API with curl.
 */
async function downloadExport(api: Api, filters: Record<string, string>): Promise<void> {
  const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== ''));
  const qs = query.toString();
  let res: Response;
  try {
    res = await fetch(`/api/v1/messages/export${qs ? `?${qs}` : ''}`, { headers: api.headers() });
  } catch (error) {
    throw new ApiError(0, 'network_error', `Tern did not answer (${String(error)}).`);
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as {
      error?: { code?: string; message?: string };
    } | null;
    throw new ApiError(
      res.status,
      body?.error?.code ?? 'http_error',
      body?.error?.message ?? `Tern answered ${res.status}.`,
    );
  }
  const name =
    /filename="([^"]{1,200})"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ??
    'messages.csv';
  const url = URL.createObjectURL(await res.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // Freed once the download has surely taken it (revoked at once, some browsers lose the file).
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/** Queued, but the last provider call failed: waiting for a retry, not on its way. */
export function isRetrying(m: Message): boolean {
  return (m.status === 'queued' || m.status === 'sending') && m.lastProviderError !== null;
}

export function MessageDetailPage({ id }: { id: string }) {
  const { api } = useSession();
  const detail = useLoad(() => api.get<MessageDetail>(`/v1/messages/${id}`), [api, id]);
  const channelId = detail.data?.message.channelConfigurationId ?? null;
  // The channel configuration's name (it may have been deleted since: then its id).
  const channel = useLoad(
    () =>
      channelId
        ? api
            .get<ChannelConfiguration>(`/v1/channel-configurations/${channelId}`)
            .then((c) => c.name)
            .catch(() => channelId)
        : Promise.resolve(null),
    [api, channelId],
  );
  useEvents(['message.status_changed'], detail.reload);
  if (detail.error) return <ErrorBanner error={detail.error} onRetry={detail.reload} />;
  if (!detail.data) return <Loading what="Loading message" />;
  const { message, history, reports } = detail.data;
  return (
    <div className="page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to="/messages">Messages</Link> › <span aria-current="page">{message.id}</span>
      </nav>
      <div className="page-header">
        <h1>Message to {message.to}</h1>
        <Badge value={message.status} />
      </div>
      {isRetrying(message) ? (
        <div className="banner banner-error" role="alert" data-testid="last-provider-error">
          <span>
            Not sent yet: the last provider call failed ({message.lastProviderError?.message}, at{' '}
            {formatTime(message.lastProviderError?.at)}). Tern retries until the message is valid no
            more ({formatTime(message.validUntil)}); check the API credentials&apos; health.
          </span>
        </div>
      ) : null}
      <MessageHold message={message} />
      <div className="card">
        <dl className="facts">
          <dt>Text</dt>
          <dd className="pre">{message.text ?? '(media only)'}</dd>
          <dt>From</dt>
          <dd>{message.sender}</dd>
          <dt>Channel configuration</dt>
          <dd data-testid="message-channel">
            {channelId ? (
              <Link to={`/channels/${channelId}`}>{channel.data ?? channelId}</Link>
            ) : (
              '— (a reply or a send without one)'
            )}
          </dd>
          <dt>Provider message id</dt>
          <dd data-testid="provider-message-id">
            {message.providerMessageId ? (
              <code>{message.providerMessageId}</code>
            ) : (
              'none yet (the provider has not accepted it)'
            )}
          </dd>
          <dt>Type</dt>
          <dd>
            {message.channel.toUpperCase()} · {message.messageType} · {message.origin}
          </dd>
          <dt>Segments</dt>
          <dd>
            {message.segments} ({message.encoding})
          </dd>
          <dt>Attempts</dt>
          <dd>{message.attempts}</dd>
          <dt>Status reason</dt>
          <dd>{message.statusReason ?? '—'}</dd>
          <dt>Last provider error</dt>
          <dd data-testid="last-provider-error-fact">
            {message.lastProviderError
              ? `${message.lastProviderError.message} (${formatTime(message.lastProviderError.at)})`
              : '—'}
          </dd>
          <dt>Scheduled for</dt>
          <dd data-testid="scheduled-for">
            {message.scheduledFor ? formatTime(message.scheduledFor) : 'never (not sent)'}
          </dd>
          <dt>Valid until</dt>
          <dd>{formatTime(message.validUntil)}</dd>
          <dt>Profile</dt>
          <dd>
            <Link to={`/profiles/${encodeURIComponent(message.to)}`}>{message.to}</Link>
          </dd>
        </dl>
      </div>
      <h2>Status history</h2>
      <ol className="timeline">
        {history.map((h) => (
          <li key={h.id}>
            <span className="timeline-at">{formatTime(h.at)}</span>
            <Badge value={h.status} />
            {h.reason ? <span className="muted"> {h.reason}</span> : null}
          </li>
        ))}
      </ol>
      {reports.length > 0 ? (
        <details>
          <summary>Raw delivery reports ({reports.length})</summary>
          <pre className="code">{JSON.stringify(reports, null, 2)}</pre>
        </details>
      ) : null}
    </div>
  );
}

/** Sends one message through `POST /api/v1/messages`, as an API caller would. */
export function SendTestDialog({
  channels,
  initialChannelId,
  onClose,
  onSent,
}: {
  channels: ChannelConfiguration[];
  initialChannelId?: string;
  onClose: () => void;
  onSent?: () => void;
}) {
  const { api } = useSession();
  const [channelId, setChannelId] = useState(initialChannelId ?? channels[0]?.id ?? '');
  const [to, setTo] = useState('');
  const [text, setText] = useState('Hello from Tern');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    setBusy(true);
    setErrors({});
    setError(undefined);
    try {
      const message = await api.post<Message>('/v1/messages', {
        channelConfigurationId: channelId,
        to: to.trim(),
        text,
      });
      onSent?.();
      onClose();
      navigate(`/messages/${message.id}`);
    } catch (err) {
      if (err instanceof ApiError) setErrors(err.fieldErrors());
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <Dialog
      title="Send test message"
      onClose={onClose}
      actions={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            form="send-test"
            className="btn btn-primary"
            disabled={busy || channelId === ''}
          >
            {busy ? 'Sending…' : 'Send'}
          </button>
        </>
      }
    >
      <form id="send-test" onSubmit={(e) => void submit(e)} noValidate>
        {error ? (
          <p className="banner banner-error" role="alert">
            {error}
          </p>
        ) : null}
        <Field
          id="send-channel"
          label="Channel configuration"
          error={errors.channelConfigurationId}
        >
          <select
            id="send-channel"
            value={channelId}
            onChange={(e) => setChannelId(e.target.value)}
          >
            {channels.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} ({c.messageType})
              </option>
            ))}
          </select>
        </Field>
        <Field
          id="send-to"
          label="To"
          error={errors.to}
          hint="Phone number in international format"
        >
          <input
            id="send-to"
            type="tel"
            value={to}
            placeholder="+14155550100"
            onChange={(e) => setTo(e.target.value)}
            aria-invalid={errors.to ? true : undefined}
            aria-describedby={describedBy('send-to', errors.to, true)}
          />
        </Field>
        <Field
          id="send-text"
          label="Text"
          error={errors.text}
          hint={<SegmentCounter text={text} />}
        >
          <textarea
            id="send-text"
            rows={3}
            value={text}
            onChange={(e) => setText(e.target.value)}
            aria-describedby={describedBy('send-text', errors.text, true)}
          />
        </Field>
      </form>
    </Dialog>
  );
}
