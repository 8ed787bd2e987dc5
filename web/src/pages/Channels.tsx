/** Administration › Channels › Channel configurations: list, create, edit, delete. */
import { useEffect, useState, type FormEvent } from 'react';
import type { ChannelConfiguration, CredentialSummary, Page } from '../api';
import { ConfirmDialog } from '../confirm-dialog';
import { useEditForm } from '../edit-form';
import { ListPage, useList } from '../list';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import { Button, LinkButton, useAccess } from '../access';
import {
  describedBy,
  Field,
  formatDate,
  Loading,
  RowEditDelete,
  ErrorBanner,
  useLoad,
} from '../ui';
import { SendTestDialog } from './Messages';

export function ChannelsPage() {
  const { api } = useSession();
  const { reason } = useAccess();
  const [search, setSearch] = useState('');
  const list = useList<ChannelConfiguration>('/v1/channel-configurations', { name: search });
  const credentials = useLoad(
    () => api.get<Page<CredentialSummary>>('/v1/credentials', { limit: 200 }),
    [api],
  );
  const [deleting, setDeleting] = useState<ChannelConfiguration>();
  const [sending, setSending] = useState<ChannelConfiguration>();
  const credentialName = (id: string) =>
    credentials.data?.items.find((c) => c.id === id)?.name ?? id;
  const noCredentials = credentials.data?.items.length === 0;

  return (
    <ListPage
      breadcrumb={['Administration', 'Channels']}
      title="Channel configurations"
      intro="What a message is sent as: SMS or MMS, marketing or transactional, from which sender, with which API credentials."
      actions={
        <LinkButton
          to="/channels/new"
          className="btn btn-primary"
          disabledReason={reason('manage')}
        >
          Create channel configuration
        </LinkButton>
      }
      toolbar={
        <label className="search">
          <span className="visually-hidden">Search channel configurations by name</span>
          <input
            type="search"
            placeholder="Search by name"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </label>
      }
      list={list}
      rowKey={(c) => c.id}
      emptyTitle={
        noCredentials
          ? 'Create API credentials first'
          : search
            ? `Nothing matches “${search}”`
            : 'No channel configurations yet'
      }
      empty={
        noCredentials ? (
          <>
            <p>A channel configuration sends with API credentials; there are none yet.</p>
            <Link to="/credentials/new" className="btn btn-primary">
              Create API credentials
            </Link>
          </>
        ) : (
          <>
            <p>Create one to start sending messages.</p>
            <LinkButton
              to="/channels/new"
              className="btn btn-primary"
              disabledReason={reason('manage')}
            >
              Create channel configuration
            </LinkButton>
          </>
        )
      }
      columns={[
        {
          header: 'Name',
          cell: (c) => (
            <>
              <Link to={`/channels/${c.id}`}>{c.name}</Link>
              {c.description ? <div className="muted small">{c.description}</div> : null}
            </>
          ),
        },
        { header: 'Channel', cell: (c) => c.channel.toUpperCase() },
        { header: 'Type', cell: (c) => c.messageType },
        { header: 'Sender', cell: (c) => <code>{c.sender}</code> },
        {
          header: 'API credentials',
          cell: (c) => (
            <Link to={`/credentials/${c.credentialId}`}>{credentialName(c.credentialId)}</Link>
          ),
        },
        { header: 'Updated', cell: (c) => formatDate(c.updatedAt) },
        {
          header: 'Actions',
          hiddenHeader: true,
          className: 'row-actions',
          cell: (c) => (
            <>
              <Button
                disabledReason={reason('send')}
                compact
                className="btn btn-small"
                onClick={() => setSending(c)}
              >
                Send test
              </Button>
              <RowEditDelete
                name={c.name}
                onEdit={() => navigate(`/channels/${c.id}`)}
                disabledReason={reason('manage')}
                onDelete={() => setDeleting(c)}
              />
            </>
          ),
        },
      ]}
    >
      {deleting ? (
        <ConfirmDialog
          title="Delete channel configuration?"
          confirmLabel="Delete"
          danger
          onClose={() => setDeleting(undefined)}
          onConfirm={async () => {
            await api.delete(`/v1/channel-configurations/${deleting.id}`);
            setDeleting(undefined);
            list.reload();
          }}
        >
          <p>
            Delete <strong>{deleting.name}</strong>? Messages already sent with it stay in the log.
          </p>
        </ConfirmDialog>
      ) : null}
      {sending ? (
        <SendTestDialog
          channels={list.items}
          initialChannelId={sending.id}
          onClose={() => setSending(undefined)}
        />
      ) : null}
    </ListPage>
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
  const { reason } = useAccess();
  const credentials = useLoad(
    () => api.get<Page<CredentialSummary>>('/v1/credentials', { limit: 200 }),
    [api],
  );
  const edit = useEditForm<ChannelConfiguration, ChannelFormState>({
    path: id ? `/v1/channel-configurations/${id}` : undefined,
    createPath: '/v1/channel-configurations',
    initial: {
      name: '',
      description: '',
      channel: 'sms',
      messageType: 'transactional',
      credentialId: '',
      sender: '',
      marketingFooter: 'Reply STOP to opt out',
      dltContentTemplateId: '',
      dltTelemarketerId: '',
    },
    toForm: (c) => ({
      name: c.name,
      description: c.description ?? '',
      channel: c.channel,
      messageType: c.messageType,
      credentialId: c.credentialId,
      sender: c.sender,
      marketingFooter: c.marketingFooter ?? '',
      dltContentTemplateId: c.dltContentTemplateId ?? '',
      dltTelemarketerId: c.dltTelemarketerId ?? '',
    }),
    toBody: (form) => ({
      name: form.name.trim(),
      description: optional(form.description),
      channel: form.channel,
      messageType: form.messageType,
      credentialId: form.credentialId,
      sender: form.sender.trim(),
      marketingFooter: optional(form.marketingFooter),
      // SMS only (MMS carries no DLT ids); empty: the credential's.
      ...(form.channel === 'sms'
        ? {
            dltContentTemplateId: optional(form.dltContentTemplateId),
            dltTelemarketerId: optional(form.dltTelemarketerId),
          }
        : {}),
    }),
  });
  const { form, set, errors, creating, stored } = edit;
  useEffect(() => {
    const first = credentials.data?.items[0];
    if (creating && first && form.credentialId === '') set('credentialId', first.id);
  }, [credentials.data, creating, form.credentialId, set]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await edit.save()) navigate('/channels');
  };

  if (edit.loadError) return <ErrorBanner error={edit.loadError} onRetry={edit.reload} />;
  if (edit.loading) return <Loading what="Loading channel configuration" />;

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
        {edit.formError ? (
          <div className="banner banner-error" role="alert">
            {edit.formError}
          </div>
        ) : null}
        {edit.conflict ? (
          <div className="banner banner-warn" role="alert">
            <div>
              <strong>Someone else changed this channel configuration</strong> after you opened it;
              your changes were not saved. Reload the latest values and make your changes again.
            </div>
            <button type="button" className="btn btn-small" onClick={edit.reload}>
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
          <Button
            disabledReason={reason('manage')}
            type="submit"
            className="btn btn-primary"
            disabled={edit.busy}
          >
            {edit.busy ? (creating ? 'Creating…' : 'Saving…') : creating ? 'Create' : 'Save'}
          </Button>
          <Link to="/channels" className="btn">
            Cancel
          </Link>
        </div>
      </form>
    </div>
  );
}
