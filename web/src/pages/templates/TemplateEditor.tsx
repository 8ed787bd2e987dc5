/**
 * Templates › edit: the text with a live parts counter (rendered by the server as a send
 * renders it), previews against real profiles with parts and encoding each, and the versions.
 */
import { useEffect, useState, type FormEvent } from 'react';
import type {
  ChannelConfiguration,
  Page,
  Profile,
  RenderedPreview,
  Template,
  TemplateVersion,
} from '../../api';
import { useEditForm } from '../../edit-form';
import { Link, navigate } from '../../router';
import { useSession } from '../../session';
import { Button, useAccess } from '../../access';
import { describedBy, ErrorBanner, Field, formatDate, Loading, useLoad } from '../../ui';
import { PartsLine, PreviewCard, useLiveRender } from './render-preview';
import '../../marketing.css';

interface TemplateForm {
  name: string;
  messageType: 'marketing' | 'transactional';
  body: string;
  media: string;
  dltContentTemplateId: string;
  dltTemplateText: string;
}

const EMPTY: TemplateForm = {
  name: '',
  messageType: 'marketing',
  body: 'Hi {{ profile.attributes.firstName | default: "there" }}, this week’s offers are in.',
  media: '',
  dltContentTemplateId: '',
  dltTemplateText: '',
};

const mediaOf = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((url) => ({ url }));
const orNull = (text: string) => (text.trim() === '' ? null : text.trim());

export function TemplateEditor({ id }: { id?: string | undefined }) {
  const { api } = useSession();
  const { reason } = useAccess();
  const edit = useEditForm<Template, TemplateForm>({
    path: id ? `/v1/templates/${id}` : undefined,
    createPath: '/v1/templates',
    initial: EMPTY,
    toForm: (t) => ({
      name: t.name,
      messageType: t.messageType,
      body: t.body,
      media: t.media.map((m) => m.url).join('\n'),
      dltContentTemplateId: t.dltContentTemplateId ?? '',
      dltTemplateText: t.dltTemplateText ?? '',
    }),
    toBody: (f, creating) => ({
      ...(creating ? { name: f.name.trim() } : {}),
      messageType: f.messageType,
      body: f.body,
      media: mediaOf(f.media),
      dltContentTemplateId: orNull(f.dltContentTemplateId),
      dltTemplateText: orNull(f.dltTemplateText),
    }),
  });
  const { form, set, errors } = edit;
  const channels = useLoad(
    () => api.get<Page<ChannelConfiguration>>('/v1/channel-configurations', { limit: 200 }),
    [api],
  );
  const [phone, setPhone] = useState('');
  const [channelId, setChannelId] = useState('');
  const live = useLiveRender({
    body: form.body,
    messageType: form.messageType,
    media: mediaOf(form.media),
    dltTemplateText: orNull(form.dltTemplateText),
    phone,
    channelConfigurationId: channelId,
  });
  const [saved, setSaved] = useState(false);
  // The footer a send adds comes from the channel configuration: preview with one of the type.
  useEffect(() => {
    const first = channels.data?.items.find((c) => c.messageType === form.messageType);
    if (channelId === '' && first) setChannelId(first.id);
  }, [channels.data, form.messageType]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    const result = await edit.save();
    if (!result) return;
    if (edit.creating) navigate(`/templates/${result.id}`, { replace: true });
    else setSaved(true);
  };

  if (edit.loadError) return <ErrorBanner error={edit.loadError} onRetry={edit.reload} />;
  if (edit.loading) return <Loading what="Loading template" />;
  const bodyError = errors.body ?? live.errors.body;

  const text = (key: 'name' | 'dltContentTemplateId', label: string, hint?: string) => {
    const fieldId = `tpl-${key}`;
    return (
      <Field id={fieldId} label={label} error={errors[key]} hint={hint}>
        <input
          id={fieldId}
          type="text"
          value={form[key]}
          disabled={key === 'name' && !edit.creating}
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
        Messaging › <Link to="/templates">Templates</Link> ›{' '}
        <span aria-current="page">{edit.stored?.name ?? 'Create'}</span>
      </nav>
      <h1>
        {edit.creating ? 'Create template' : `Edit ${edit.stored?.name ?? ''}`}
        {edit.stored ? <span className="badge">v{edit.stored.version}</span> : null}
      </h1>
      <div className="split">
        <form className="form" onSubmit={(e) => void submit(e)} noValidate>
          {edit.formError ? (
            <div className="banner banner-error" role="alert">
              {edit.formError}
            </div>
          ) : null}
          {edit.conflict ? (
            <div className="banner banner-warn" role="alert">
              <div>
                <strong>Someone else saved a newer version</strong> after you opened this template;
                yours was not saved. Reload the latest and make your change again.
              </div>
              <button type="button" className="btn btn-small" onClick={edit.reload}>
                Reload latest
              </button>
            </div>
          ) : null}
          {saved ? (
            <div className="banner banner-ok" role="status">
              Saved as version {edit.stored?.version}.
            </div>
          ) : null}
          <fieldset>
            <legend>Template</legend>
            {text('name', 'Name', edit.creating ? 'Unique in the sandbox' : undefined)}
            <Field id="tpl-messageType" label="Message type" error={errors.messageType}>
              <select
                id="tpl-messageType"
                value={form.messageType}
                onChange={(e) => set('messageType', e.target.value as TemplateForm['messageType'])}
              >
                <option value="marketing">Marketing (consent and opt-out footer)</option>
                <option value="transactional">Transactional</option>
              </select>
            </Field>
            <Field
              id="tpl-body"
              label="Text"
              error={bodyError}
              hint={
                <>
                  Liquid: <code>{'{{ profile.attributes.firstName | default: "there" }}'}</code>,{' '}
                  <code>{'{{ profile.phone }}'}</code>, <code>{'{{ sandbox.name }}'}</code>,{' '}
                  <code>{'{{ campaign.name }}'}</code>
                </>
              }
            >
              <textarea
                id="tpl-body"
                className="body-input"
                value={form.body}
                onChange={(e) => set('body', e.target.value)}
                aria-invalid={bodyError ? true : undefined}
                aria-describedby={`${describedBy('tpl-body', bodyError, true) ?? ''} tpl-live-parts`}
              />
            </Field>
            <div aria-live="polite" aria-label="Parts counter">
              {live.item ? <PartsLine item={live.item} id="tpl-live-parts" /> : null}
              {!live.item && live.busy ? <span className="muted">Counting…</span> : null}
            </div>
            <Field
              id="tpl-media"
              label="Media URLs (MMS)"
              error={errors.media}
              hint="One https URL per line; empty for SMS"
            >
              <textarea
                id="tpl-media"
                rows={2}
                value={form.media}
                onChange={(e) => set('media', e.target.value)}
                aria-invalid={errors.media ? true : undefined}
              />
            </Field>
            {text(
              'dltContentTemplateId',
              'DLT content template ID',
              'India only: rides on every message of this template',
            )}
            <Field
              id="tpl-dltTemplateText"
              label="DLT registered text"
              error={errors.dltTemplateText}
              hint="India only: the text as registered, with {#var#} slots; the rendered text must fit it"
            >
              <textarea
                id="tpl-dltTemplateText"
                rows={2}
                value={form.dltTemplateText}
                onChange={(e) => set('dltTemplateText', e.target.value)}
                aria-invalid={errors.dltTemplateText ? true : undefined}
              />
            </Field>
          </fieldset>
          <div className="form-actions">
            <Button
              disabledReason={reason('send')}
              type="submit"
              className="btn btn-primary"
              disabled={edit.busy}
            >
              {edit.busy ? 'Saving…' : edit.creating ? 'Create template' : 'Save as new version'}
            </Button>
            <Link to="/templates" className="btn">
              Cancel
            </Link>
          </div>
        </form>
        <section className="card" aria-labelledby="live-heading">
          <h2 id="live-heading" className="h3">
            Live preview
          </h2>
          <div className="grid-2">
            <Field id="tpl-preview-phone" label="Preview as (phone)">
              <input
                id="tpl-preview-phone"
                type="text"
                placeholder="+447911123456"
                value={phone}
                onChange={(e) => setPhone(e.target.value)}
              />
            </Field>
            <Field id="tpl-preview-channel" label="Channel configuration">
              <select
                id="tpl-preview-channel"
                value={channelId}
                onChange={(e) => setChannelId(e.target.value)}
              >
                <option value="">Default footer</option>
                {channels.data?.items.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name} ({c.messageType})
                  </option>
                ))}
              </select>
            </Field>
          </div>
          {live.item ? (
            <PreviewCard item={live.item} title={phone.trim() || 'a profile with no attributes'} />
          ) : null}
          {live.error ? (
            <div className="banner banner-error" role="alert" data-testid="render-error">
              {live.error}
            </div>
          ) : null}
        </section>
      </div>
      {edit.stored ? <ProfilePreviews template={edit.stored} channelId={channelId} /> : null}
      {edit.stored ? <Versions template={edit.stored} /> : null}
    </div>
  );
}

/** `POST /v1/templates/:id/preview` for numbers typed in, or the newest profiles. */
function ProfilePreviews({ template, channelId }: { template: Template; channelId: string }) {
  const { api } = useSession();
  const [phones, setPhones] = useState('');
  const [items, setItems] = useState<RenderedPreview[]>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const run = async (target: { phones?: string[]; profileIds?: string[] }) => {
    setBusy(true);
    setError(undefined);
    try {
      const answer = await api.post<{ items: RenderedPreview[] }>(
        `/v1/templates/${template.id}/preview`,
        {
          ...target,
          version: template.version,
          ...(channelId ? { channelConfigurationId: channelId } : {}),
        },
      );
      setItems(answer.items);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const recent = async () => {
    const profiles = await api.get<Page<Profile>>('/v1/profiles', { limit: 5 });
    await run({ profileIds: profiles.items.map((p) => p.id) });
  };
  const typed = phones
    .split(/[\s,]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  return (
    <section aria-labelledby="previews-heading">
      <h2 id="previews-heading">Preview with real profiles (v{template.version})</h2>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run({ phones: typed });
        }}
      >
        <Field id="tpl-preview-phones" label="Phone numbers">
          <input
            id="tpl-preview-phones"
            type="text"
            placeholder="+447911123456, +447911123457"
            value={phones}
            onChange={(e) => setPhones(e.target.value)}
          />
        </Field>
        <button type="submit" className="btn" disabled={busy || typed.length === 0}>
          Preview
        </button>
        <button type="button" className="btn" disabled={busy} onClick={() => void recent()}>
          Preview with newest profiles
        </button>
      </form>
      {error ? <ErrorBanner error={error} /> : null}
      {items && items.length === 0 ? <p className="muted">No profiles to preview.</p> : null}
      {items ? (
        <div className="grid-2" data-testid="profile-previews">
          {items.map((item, i) => (
            <PreviewCard key={`${item.phone ?? ''}-${i}`} item={item} title={item.phone ?? '—'} />
          ))}
        </div>
      ) : null}
    </section>
  );
}

function Versions({ template }: { template: Template }) {
  const { api } = useSession();
  const versions = useLoad(
    () => api.get<{ items: TemplateVersion[] }>(`/v1/templates/${template.id}/versions`),
    [api, template.id, template.version],
  );
  return (
    <section aria-labelledby="versions-heading">
      <h2 id="versions-heading">Versions</h2>
      {versions.error ? <ErrorBanner error={versions.error} onRetry={versions.reload} /> : null}
      {versions.data ? (
        <table className="table" aria-label="Versions">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Type</th>
              <th scope="col">Text</th>
              <th scope="col">Saved</th>
            </tr>
          </thead>
          <tbody>
            {versions.data.items.map((v) => (
              <tr key={v.version}>
                <td>v{v.version}</td>
                <td>{v.messageType}</td>
                <td className="cell-text">{v.body}</td>
                <td>{formatDate(v.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
