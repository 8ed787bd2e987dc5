/** Administration › Channels › Channel configurations: list, create, edit, delete. */
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, type ChannelConfiguration, type CredentialSummary, type Page } from '../api';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import {
  describedBy,
  Dialog,
  Field,
  formatDate,
  Loading,
  Empty,
  RowEditDelete,
  ErrorBanner,
  errorText,
  useAction,
  useLoad,
} from '../ui';
import { SendTestDialog } from './Messages';

export function ChannelsPage() {
  const { api } = useSession();
  const [search, setSearch] = useState('');
  const data = useLoad(async () => {
    const [channels, credentials] = await Promise.all([
      api.get<Page<ChannelConfiguration>>('/v1/channel-configurations', {
        name: search,
        limit: 200,
      }),
      api.get<Page<CredentialSummary>>('/v1/credentials', { limit: 200 }),
    ]);
    return { channels: channels.items, credentials: credentials.items };
  }, [api, search]);
  const [deleting, setDeleting] = useState<ChannelConfiguration>();
  const [sending, setSending] = useState<ChannelConfiguration>();
  const credentialName = (id: string) =>
    data.data?.credentials.find((c) => c.id === id)?.name ?? id;

  return (
    <div className="page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        Administration › Channels › <span aria-current="page">Channel configurations</span>
      </nav>
      <div className="page-header">
        <h1>Channel configurations</h1>
        <Link to="/channels/new" className="btn btn-primary">
          Create channel configuration
        </Link>
      </div>
      <p className="muted">
        What a message is sent as: SMS or MMS, marketing or transactional, from which sender, with
        which API credentials.
      </p>
      <div className="toolbar">
        <label className="search">
          <span className="visually-hidden">Search channel configurations by name</span>
          <input
            type="search"
            placeholder="Search by name"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </label>
      </div>
      {data.error ? <ErrorBanner error={data.error} onRetry={data.reload} /> : null}
      {data.loading && !data.data ? <Loading what="Loading channel configurations" /> : null}
      {data.data && data.data.channels.length === 0 ? (
        data.data.credentials.length === 0 ? (
          <Empty title="Create API credentials first">
            <p>A channel configuration sends with API credentials; there are none yet.</p>
            <Link to="/credentials/new" className="btn btn-primary">
              Create API credentials
            </Link>
          </Empty>
        ) : (
          <Empty title={search ? `Nothing matches “${search}”` : 'No channel configurations yet'}>
            <p>Create one to start sending messages.</p>
            <Link to="/channels/new" className="btn btn-primary">
              Create channel configuration
            </Link>
          </Empty>
        )
      ) : null}
      {data.data && data.data.channels.length > 0 ? (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Channel</th>
                <th scope="col">Type</th>
                <th scope="col">Sender</th>
                <th scope="col">API credentials</th>
                <th scope="col">Updated</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.data.channels.map((c) => (
                <tr key={c.id}>
                  <td>
                    <Link to={`/channels/${c.id}`}>{c.name}</Link>
                    {c.description ? <div className="muted small">{c.description}</div> : null}
                  </td>
                  <td>{c.channel.toUpperCase()}</td>
                  <td>{c.messageType}</td>
                  <td>
                    <code>{c.sender}</code>
                  </td>
                  <td>
                    <Link to={`/credentials/${c.credentialId}`}>
                      {credentialName(c.credentialId)}
                    </Link>
                  </td>
                  <td>{formatDate(c.updatedAt)}</td>
                  <td className="row-actions">
                    <button type="button" className="btn btn-small" onClick={() => setSending(c)}>
                      Send test
                    </button>
                    <RowEditDelete
                      name={c.name}
                      onEdit={() => navigate(`/channels/${c.id}`)}
                      onDelete={() => setDeleting(c)}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {deleting ? (
        <DeleteChannelDialog
          channel={deleting}
          onClose={() => setDeleting(undefined)}
          onDeleted={() => {
            setDeleting(undefined);
            data.reload();
          }}
        />
      ) : null}
      {sending ? (
        <SendTestDialog
          channels={data.data?.channels ?? []}
          initialChannelId={sending.id}
          onClose={() => setSending(undefined)}
        />
      ) : null}
    </div>
  );
}

function DeleteChannelDialog({
  channel,
  onClose,
  onDeleted,
}: {
  channel: ChannelConfiguration;
  onClose: () => void;
  onDeleted: () => void;
}) {
  const { api } = useSession();
  const {
    busy,
    error,
    run: remove,
  } = useAction(async () => {
    await api.delete(`/v1/channel-configurations/${channel.id}`);
    onDeleted();
  });
  return (
    <Dialog
      title="Delete channel configuration?"
      onClose={onClose}
      actions={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-danger"
            disabled={busy}
            onClick={() => void remove()}
          >
            Delete
          </button>
        </>
      }
    >
      <p>
        Delete <strong>{channel.name}</strong>? Messages already sent with it stay in the log.
      </p>
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </Dialog>
  );
}

interface ChannelFormState {
  name: string;
  description: string;
  channel: 'sms' | 'mms';
  messageType: 'marketing' | 'transactional';
  credentialId: string;
  sender: string;
  marketingFooter: string;
  dltContentTemplateId: string;
  dltTelemarketerId: string;
}

const optional = (value: string) => (value.trim() === '' ? null : value.trim());

export function ChannelForm({ id }: { id?: string | undefined }) {
  const { api } = useSession();
  const creating = id === undefined;
  const credentials = useLoad(
    () => api.get<Page<CredentialSummary>>('/v1/credentials', { limit: 200 }),
    [api],
  );
  const [form, setForm] = useState<ChannelFormState>({
    name: '',
    description: '',
    channel: 'sms',
    messageType: 'transactional',
    credentialId: '',
    sender: '',
    marketingFooter: 'Reply STOP to opt out',
    dltContentTemplateId: '',
    dltTelemarketerId: '',
  });
  const [stored, setStored] = useState<ChannelConfiguration>();
  const [etag, setEtag] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<unknown>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string>();
  const [conflict, setConflict] = useState(false);
  const [busy, setBusy] = useState(false);

  const load = async () => {
    if (!id) return;
    try {
      const res = await api.request<ChannelConfiguration>(
        'GET',
        `/v1/channel-configurations/${id}`,
      );
      setStored(res.body);
      setEtag(res.etag);
      setForm({
        name: res.body.name,
        description: res.body.description ?? '',
        channel: res.body.channel,
        messageType: res.body.messageType,
        credentialId: res.body.credentialId,
        sender: res.body.sender,
        marketingFooter: res.body.marketingFooter ?? '',
        dltContentTemplateId: res.body.dltContentTemplateId ?? '',
        dltTelemarketerId: res.body.dltTelemarketerId ?? '',
      });
      setLoadError(undefined);
      setConflict(false);
    } catch (err) {
      setLoadError(err);
    }
  };
  useEffect(() => {
    void load();
  }, [id]);
  useEffect(() => {
    const first = credentials.data?.items[0];
    if (creating && first && form.credentialId === '')
      setForm((f) => ({ ...f, credentialId: first.id }));
  }, [credentials.data, creating, form.credentialId]);

  const set = <K extends keyof ChannelFormState>(key: K, value: ChannelFormState[K]) =>
    setForm((f) => ({ ...f, [key]: value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setFormError(undefined);
    setConflict(false);
    const body = {
      name: form.name.trim(),
      description: form.description.trim() === '' ? null : form.description.trim(),
      channel: form.channel,
      messageType: form.messageType,
      credentialId: form.credentialId,
      sender: form.sender.trim(),
      marketingFooter: form.marketingFooter.trim() === '' ? null : form.marketingFooter.trim(),
      // SMS only (MMS carries no DLT ids); empty: the credential's.
      ...(form.channel === 'sms'
        ? {
            dltContentTemplateId: optional(form.dltContentTemplateId),
            dltTelemarketerId: optional(form.dltTelemarketerId),
          }
        : {}),
    };
    try {
      if (creating) await api.request('POST', '/v1/channel-configurations', { body });
      else await api.request('PATCH', `/v1/channel-configurations/${id}`, { body, ifMatch: etag });
      navigate('/channels');
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) setConflict(true);
      else if (err instanceof ApiError) {
        setErrors(err.fieldErrors());
        setFormError(err.message);
      } else setFormError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  if (loadError) return <ErrorBanner error={loadError} onRetry={() => void load()} />;
  if (!creating && !stored) return <Loading what="Loading channel configuration" />;

  const text = (
    key:
      | 'name'
      | 'description'
      | 'sender'
      | 'marketingFooter'
      | 'dltContentTemplateId'
      | 'dltTelemarketerId',
    label: string,
    hint?: string,
  ) => {
    const fieldId = `chan-${key}`;
    return (
      <Field id={fieldId} label={label} error={errors[key]} hint={hint}>
        <input
          id={fieldId}
          name={key}
          type="text"
          value={form[key]}
          onChange={(e) => set(key, e.target.value)}
          aria-invalid={errors[key] ? true : undefined}
          aria-describedby={describedBy(fieldId, errors[key], Boolean(hint))}
        />
      </Field>
    );
  };

  return (
    <div className="page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        Administration › Channels › <Link to="/channels">Channel configurations</Link> ›{' '}
        <span aria-current="page">{creating ? 'Create' : stored?.name}</span>
      </nav>
      <h1>{creating ? 'Create channel configuration' : `Edit ${stored?.name ?? ''}`}</h1>
      <form className="form" onSubmit={(e) => void submit(e)} noValidate>
        {formError ? (
          <div className="banner banner-error" role="alert">
            {formError}
          </div>
        ) : null}
        {conflict ? (
          <div className="banner banner-warn" role="alert">
            <div>
              <strong>Someone else changed this channel configuration</strong> after you opened it;
              your changes were not saved. Reload the latest values and make your changes again.
            </div>
            <button type="button" className="btn btn-small" onClick={() => void load()}>
              Reload latest
            </button>
          </div>
        ) : null}
        <fieldset>
          <legend>Channel</legend>
          {text('name', 'Name', 'Starts with a letter; letters, digits, _ . -')}
          {text('description', 'Description')}
          <div className="grid-2">
            <Field id="chan-channel" label="Channel" error={errors.channel}>
              <select
                id="chan-channel"
                value={form.channel}
                onChange={(e) => set('channel', e.target.value as 'sms' | 'mms')}
              >
                <option value="sms">SMS</option>
                <option value="mms">MMS</option>
              </select>
            </Field>
            <Field id="chan-messageType" label="Message type" error={errors.messageType}>
              <select
                id="chan-messageType"
                value={form.messageType}
                onChange={(e) =>
                  set('messageType', e.target.value as 'marketing' | 'transactional')
                }
              >
                <option value="transactional">Transactional</option>
                <option value="marketing">Marketing (needs consent)</option>
              </select>
            </Field>
          </div>
          <Field
            id="chan-credentialId"
            label="API credentials"
            error={errors.credentialId}
            hint={
              credentials.data?.items.length === 0 ? (
                <>
                  None yet: <Link to="/credentials/new">create API credentials</Link> first.
                </>
              ) : undefined
            }
          >
            <select
              id="chan-credentialId"
              value={form.credentialId}
              onChange={(e) => set('credentialId', e.target.value)}
              aria-invalid={errors.credentialId ? true : undefined}
            >
              {creating && form.credentialId === '' ? <option value="">Choose…</option> : null}
              {credentials.data?.items.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </Field>
          {text(
            'sender',
            'Sender',
            'E.164 number, short code, or alphanumeric sender ID (3-11 characters)',
          )}
          {form.messageType === 'marketing'
            ? text('marketingFooter', 'Marketing footer', 'Appended to marketing messages')
            : null}
          {form.channel === 'sms'
            ? text(
                'dltContentTemplateId',
                'DLT content template ID',
                "India only: the template this configuration's texts were registered under; empty: the credential's",
              )
            : null}
          {form.channel === 'sms'
            ? text(
                'dltTelemarketerId',
                'DLT telemarketer ID',
                "India only; empty: the credential's",
              )
            : null}
        </fieldset>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Submitting…' : creating ? 'Submit' : 'Save changes'}
          </button>
          <Link to="/channels" className="btn">
            Cancel
          </Link>
        </div>
      </form>
    </div>
  );
}
