/**
 * Campaigns › new: a short wizard, audience → template → configuration → schedule and pacing →
 * estimate → confirm. The draft is saved when the estimate is asked for; the server's field
 * errors take the wizard back to the step of the field they name and show next to it.
 */
import { useEffect, useState, type ReactNode } from 'react';
import {
  type AudienceList,
  type AudienceMember,
  type Campaign,
  type CampaignEstimate,
  type ChannelConfiguration,
  type Credential,
  type Page,
  type RenderedPreview,
  type Segment,
  type Template,
} from '../../api';
import { fieldErrors } from '../../edit-form';
import { Link, navigate, useLocation } from '../../router';
import { useSession } from '../../session';
import { Button, useAccess } from '../../access';
import { ApprovalNotice, pendingApproval, type PendingApproval } from '../../approval-notice';
import { describedBy, ErrorBanner, Field, errorText, Loading, useLoad } from '../../ui';
import { PreviewCard } from '../templates/render-preview';
import { EstimateView } from './EstimateView';
import '../../marketing.css';

const STEPS = ['Audience', 'Template', 'Configuration', 'Schedule', 'Estimate', 'Confirm'] as const;
type Step = (typeof STEPS)[number];

interface WizardForm {
  name: string;
  audienceKind: 'segment' | 'list';
  segmentId: string;
  listId: string;
  templateId: string;
  channelConfigurationId: string;
  when: 'now' | 'later';
  sendAt: string;
  rateUnit: 'perSecond' | 'perMinute';
  rate: string;
  seedPhones: string;
  optOutRate: string;
  failureRate: string;
}

/** Which step shows a body field (`/audience/segmentId` → Audience). */
const STEP_OF: Record<string, Step> = {
  audience: 'Audience',
  templateId: 'Template',
  templateVersion: 'Template',
  name: 'Configuration',
  channelConfigurationId: 'Configuration',
  sendAt: 'Schedule',
  pacing: 'Schedule',
  seedPhones: 'Schedule',
  autoPause: 'Schedule',
};

const phonesOf = (text: string) =>
  text
    .split(/[\s,;]+/)
    .map((p) => p.trim())
    .filter(Boolean);
/** An ISO instant as a datetime-local input's value, in the browser's time zone. */
function localInput(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A percentage typed as text, as the fraction the API takes; null when empty (the default). */
const fraction = (text: string) => (text.trim() === '' ? null : Number(text) / 100);

export function CampaignWizard({ id }: { id?: string | undefined }) {
  const { api } = useSession();
  const { reason } = useAccess();
  const { query } = useLocation();
  const [step, setStep] = useState<Step>('Audience');
  const [form, setForm] = useState<WizardForm>(() => ({
    name: '',
    audienceKind: query.get('listId') ? 'list' : 'segment',
    segmentId: query.get('segmentId') ?? '',
    listId: query.get('listId') ?? '',
    templateId: query.get('templateId') ?? '',
    channelConfigurationId: '',
    when: 'now',
    sendAt: '',
    rateUnit: 'perSecond',
    rate: '10',
    seedPhones: '',
    optOutRate: '2',
    failureRate: '20',
  }));
  const set = <K extends keyof WizardForm>(key: K, value: WizardForm[K]) =>
    setForm((f) => ({ ...f, [key]: value }));

  const data = useLoad(async () => {
    const [segments, lists, templates, channels] = await Promise.all([
      api.get<Page<Segment>>('/v1/segments', { limit: 200 }),
      api.get<Page<AudienceList>>('/v1/lists', { limit: 200 }),
      api.get<Page<Template>>('/v1/templates', { limit: 200 }),
      api.get<Page<ChannelConfiguration>>('/v1/channel-configurations', { limit: 200 }),
    ]);
    return {
      segments: segments.items,
      lists: lists.items,
      templates: templates.items,
      channels: channels.items,
    };
  }, [api]);

  // Sensible first choices once the options are known.
  useEffect(() => {
    const d = data.data;
    if (!d) return;
    setForm((f) => ({
      ...f,
      segmentId: f.segmentId || (d.segments[0]?.id ?? ''),
      listId: f.listId || (d.lists[0]?.id ?? ''),
      templateId: f.templateId || (d.templates[0]?.id ?? ''),
      channelConfigurationId:
        f.channelConfigurationId ||
        (d.channels.find((c) => c.messageType === 'marketing')?.id ?? ''),
    }));
  }, [data.data]);

  const [campaign, setCampaign] = useState<Campaign>();
  const [etag, setEtag] = useState<string | null>(null);
  // A draft left earlier: its settings back into the steps, its ETag for the next save.
  const draft = useLoad(async () => {
    if (!id) return null;
    const res = await api.request<Campaign>('GET', `/v1/campaigns/${id}`);
    const c = res.body;
    setCampaign(c);
    setEtag(res.etag);
    setForm((f) => ({
      ...f,
      name: c.name,
      audienceKind: 'listId' in c.audience ? 'list' : 'segment',
      segmentId: 'segmentId' in c.audience ? c.audience.segmentId : f.segmentId,
      listId: 'listId' in c.audience ? c.audience.listId : f.listId,
      templateId: c.templateId,
      channelConfigurationId: c.channelConfigurationId,
      when: c.sendAt ? 'later' : 'now',
      sendAt: c.sendAt ? localInput(c.sendAt) : '',
      rateUnit: c.pacing.perMinute !== undefined ? 'perMinute' : 'perSecond',
      rate: String(c.pacing.perMinute ?? c.pacing.perSecond ?? ''),
      seedPhones: c.seedPhones.join(', '),
      optOutRate: String(100 * c.autoPause.optOutRate),
      failureRate: String(100 * c.autoPause.failureRate),
    }));
    return c;
  }, [api, id]);
  const [estimate, setEstimate] = useState<CampaignEstimate>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [waiting, setWaiting] = useState<PendingApproval>();

  const template = data.data?.templates.find((t) => t.id === form.templateId);
  const channel = data.data?.channels.find((c) => c.id === form.channelConfigurationId);
  const audience =
    form.audienceKind === 'segment' ? { segmentId: form.segmentId } : { listId: form.listId };

  const body = () => ({
    name: form.name.trim(),
    audience,
    templateId: form.templateId,
    templateVersion: template?.version,
    channelConfigurationId: form.channelConfigurationId,
    sendAt: form.when === 'later' && form.sendAt ? new Date(form.sendAt).toISOString() : null,
    pacing: { [form.rateUnit]: Number(form.rate) },
    seedPhones: phonesOf(form.seedPhones),
    autoPause: {
      ...(fraction(form.optOutRate) !== null ? { optOutRate: fraction(form.optOutRate) } : {}),
      ...(fraction(form.failureRate) !== null ? { failureRate: fraction(form.failureRate) } : {}),
    },
  });

  /** Shows the server's refusal: field errors next to their fields, on their step. */
  const refused = (err: unknown) => {
    const fields = fieldErrors(err);
    setErrors(fields);
    setFormError(errorText(err));
    const first = Object.keys(fields)
      .map((f) => STEP_OF[f])
      .filter((s): s is Step => s !== undefined)
      .sort((a, b) => STEPS.indexOf(a) - STEPS.indexOf(b))[0];
    if (first) setStep(first);
  };

  /** Saves the draft (create, or edit with If-Match), then asks for the estimate. */
  const toEstimate = async () => {
    setBusy(true);
    setErrors({});
    setFormError(undefined);
    try {
      const saved = campaign
        ? await api.request<Campaign>('PATCH', `/v1/campaigns/${campaign.id}`, {
            body: body(),
            ifMatch: etag,
          })
        : await api.request<Campaign>('POST', '/v1/campaigns', { body: body() });
      setCampaign(saved.body);
      setEtag(saved.etag);
      setEstimate(undefined);
      setStep('Estimate');
      setEstimate(await api.post<CampaignEstimate>(`/v1/campaigns/${saved.body.id}/estimate`));
    } catch (err) {
      refused(err);
    } finally {
      setBusy(false);
    }
  };

  const confirm = async () => {
    if (!campaign) return;
    setBusy(true);
    setFormError(undefined);
    try {
      // The version reviewed in the estimate, and the draft as estimated (409 / 412 otherwise).
      const res = await api.request<unknown>('POST', `/v1/campaigns/${campaign.id}/confirm`, {
        body: { templateVersion: campaign.templateVersion },
        ifMatch: etag,
      });
      // 202: the audience is above the sandbox's threshold, nothing is sent until approved.
      const approval = res.status === 202 ? pendingApproval(res.body) : undefined;
      if (approval) {
        setWaiting(approval);
        setBusy(false);
        return;
      }
      navigate(`/campaigns/${campaign.id}`);
    } catch (err) {
      refused(err);
      setBusy(false);
    }
  };

  if (draft.error) return <ErrorBanner error={draft.error} onRetry={draft.reload} />;
  if (id && !draft.data) return <Loading what="Loading the draft" />;
  if (id && draft.data?.status !== undefined && draft.data.status !== 'draft')
    return (
      <div className="banner banner-warn" role="alert">
        This campaign is {draft.data.status}: only a draft is edited.{' '}
        <Link to={`/campaigns/${id}`}>See its progress</Link>.
      </div>
    );
  if (data.error) return <ErrorBanner error={data.error} onRetry={data.reload} />;
  if (!data.data) return <Loading what="Loading audiences, templates and channels" />;
  const d = data.data;
  const index = STEPS.indexOf(step);
  const input = (
    key: keyof WizardForm,
    label: string,
    error: string | undefined,
    hint?: ReactNode,
    type = 'text',
  ) => {
    const id = `cmp-${key}`;
    return (
      <Field id={id} label={label} error={error} hint={hint}>
        <input
          id={id}
          type={type}
          value={form[key]}
          onChange={(e) => set(key, e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy(id, error, Boolean(hint))}
        />
      </Field>
    );
  };

  return (
    <div className="page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        Messaging › <Link to="/campaigns">Campaigns</Link> ›{' '}
        <span aria-current="page">{campaign ? campaign.name : 'New campaign'}</span>
      </nav>
      <h1>{campaign ? `Draft: ${campaign.name}` : 'New campaign'}</h1>
      <ol className="steps" aria-label="Steps">
        {STEPS.map((s, i) => (
          <li
            key={s}
            aria-current={s === step ? 'step' : undefined}
            className={i < index ? 'step-done' : undefined}
          >
            {i + 1}. {s}
          </li>
        ))}
      </ol>
      {formError ? (
        <div className="banner banner-error" role="alert">
          {formError}
        </div>
      ) : null}
      <section className="form" aria-label={`Step ${index + 1}: ${step}`}>
        {step === 'Audience' ? (
          <AudienceStep
            form={form}
            set={set}
            segments={d.segments}
            lists={d.lists}
            errors={errors}
          />
        ) : null}
        {step === 'Template' ? (
          <TemplateStep
            form={form}
            set={set}
            templates={d.templates}
            audience={audience}
            errors={errors}
          />
        ) : null}
        {step === 'Configuration' ? (
          <fieldset>
            <legend>Configuration</legend>
            {input('name', 'Campaign name', errors.name)}
            <Field
              id="cmp-channelConfigurationId"
              label="Channel configuration"
              error={errors.channelConfigurationId}
              hint="Marketing configurations only: a campaign needs consent and the opt-out footer"
            >
              <select
                id="cmp-channelConfigurationId"
                value={form.channelConfigurationId}
                onChange={(e) => set('channelConfigurationId', e.target.value)}
                aria-invalid={errors.channelConfigurationId ? true : undefined}
                aria-describedby={describedBy(
                  'cmp-channelConfigurationId',
                  errors.channelConfigurationId,
                  true,
                )}
              >
                <option value="">Choose…</option>
                {d.channels.map((c) => (
                  <option key={c.id} value={c.id} disabled={c.messageType !== 'marketing'}>
                    {c.name} ({c.messageType})
                  </option>
                ))}
              </select>
            </Field>
          </fieldset>
        ) : null}
        {step === 'Schedule' ? (
          <ScheduleStep form={form} set={set} channel={channel} errors={errors} input={input} />
        ) : null}
        {step === 'Estimate' ? (
          <>
            {busy && !estimate ? <Loading what="Estimating" /> : null}
            {estimate ? <EstimateView estimate={estimate} /> : null}
            {campaign && form.seedPhones.trim() ? <TestSend campaignId={campaign.id} /> : null}
          </>
        ) : null}
        {step === 'Confirm' && campaign ? (
          <section className="card">
            <h2 className="h3">Send {campaign.name}?</h2>
            <dl className="summary">
              <dt>Audience</dt>
              <dd>
                {form.audienceKind === 'segment'
                  ? `Segment ${d.segments.find((s) => s.id === form.segmentId)?.name ?? ''}`
                  : `List ${d.lists.find((l) => l.id === form.listId)?.name ?? ''}`}
              </dd>
              <dt>Template</dt>
              <dd>
                {template?.name} v{campaign.templateVersion}
              </dd>
              <dt>Channel configuration</dt>
              <dd>{channel?.name}</dd>
              <dt>When</dt>
              <dd>
                {form.when === 'now' ? 'Now' : new Date(form.sendAt).toLocaleString()}, at most{' '}
                {form.rate} messages {form.rateUnit === 'perSecond' ? 'a second' : 'a minute'}
              </dd>
              <dt>Recipients</dt>
              <dd data-testid="confirm-recipients">
                {estimate ? estimate.eligible.toLocaleString() : '—'}
              </dd>
            </dl>
            {waiting ? (
              <>
                <ApprovalNotice approval={waiting} title="Waiting for approval" />
                <p>
                  <Link to={`/campaigns/${campaign.id}`}>Go to the campaign</Link>: it sends once
                  approved.
                </p>
              </>
            ) : null}
          </section>
        ) : null}
      </section>
      <div className="form-actions wizard-actions">
        {index > 0 ? (
          <button
            type="button"
            className="btn"
            disabled={busy}
            onClick={() => setStep(STEPS[index - 1] ?? 'Audience')}
          >
            Back
          </button>
        ) : null}
        {index < STEPS.indexOf('Schedule') ? (
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => setStep(STEPS[index + 1] ?? 'Audience')}
          >
            Next
          </button>
        ) : null}
        {step === 'Schedule' ? (
          <Button
            disabledReason={reason('send')}
            type="button"
            className="btn btn-primary"
            disabled={busy}
            onClick={() => void toEstimate()}
          >
            Estimate
          </Button>
        ) : null}
        {step === 'Estimate' ? (
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy || !estimate || estimate.eligible === 0}
            onClick={() => setStep('Confirm')}
          >
            Next
          </button>
        ) : null}
        {step === 'Confirm' ? (
          <Button
            disabledReason={reason('send')}
            type="button"
            className="btn btn-primary"
            disabled={busy || waiting !== undefined}
            onClick={() => void confirm()}
          >
            {busy
              ? 'Confirming…'
              : form.when === 'now'
                ? 'Confirm and send'
                : 'Confirm and schedule'}
          </Button>
        ) : null}
      </div>
    </div>
  );
}

type Setter = <K extends keyof WizardForm>(key: K, value: WizardForm[K]) => void;

function AudienceCount({ audience }: { audience: { segmentId: string } | { listId: string } }) {
  const { api } = useSession();
  const segmentId = 'segmentId' in audience ? audience.segmentId : '';
  const count = useLoad(
    () =>
      segmentId
        ? api.get<{ count: number }>(`/v1/segments/${segmentId}/count`)
        : Promise.resolve(null),
    [api, segmentId],
  );
  if (!segmentId) return <p className="muted">The estimate counts the list&apos;s members.</p>;
  return (
    <div className="live-count" aria-live="polite" data-testid="audience-count">
      {count.data ? (
        <>
          <strong>{count.data.count.toLocaleString()}</strong> profiles
        </>
      ) : count.error ? (
        errorText(count.error)
      ) : (
        'Counting…'
      )}
    </div>
  );
}

function AudienceStep({
  form,
  set,
  segments,
  lists,
  errors,
}: {
  form: WizardForm;
  set: Setter;
  segments: Segment[];
  lists: AudienceList[];
  errors: Record<string, string>;
}) {
  return (
    <fieldset>
      <legend>Audience</legend>
      <div className="radios" role="radiogroup" aria-label="Audience kind">
        <label className="radio">
          <input
            type="radio"
            name="audienceKind"
            checked={form.audienceKind === 'segment'}
            onChange={() => set('audienceKind', 'segment')}
          />
          A segment
        </label>
        <label className="radio">
          <input
            type="radio"
            name="audienceKind"
            checked={form.audienceKind === 'list'}
            onChange={() => set('audienceKind', 'list')}
          />
          A list
        </label>
      </div>
      {form.audienceKind === 'segment' ? (
        <Field
          id="cmp-segment"
          label="Segment"
          error={errors.audience}
          hint={
            segments.length === 0 ? (
              <>
                None yet: <Link to="/segments/new">create a segment</Link>.
              </>
            ) : undefined
          }
        >
          <select
            id="cmp-segment"
            value={form.segmentId}
            onChange={(e) => set('segmentId', e.target.value)}
            aria-invalid={errors.audience ? true : undefined}
          >
            {segments.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </Field>
      ) : (
        <Field id="cmp-list" label="List" error={errors.audience}>
          <select
            id="cmp-list"
            value={form.listId}
            onChange={(e) => set('listId', e.target.value)}
            aria-invalid={errors.audience ? true : undefined}
          >
            {lists.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </select>
        </Field>
      )}
      <AudienceCount
        audience={
          form.audienceKind === 'segment' ? { segmentId: form.segmentId } : { listId: form.listId }
        }
      />
    </fieldset>
  );
}

function TemplateStep({
  form,
  set,
  templates,
  audience,
  errors,
}: {
  form: WizardForm;
  set: Setter;
  templates: Template[];
  audience: { segmentId: string } | { listId: string };
  errors: Record<string, string>;
}) {
  const { api } = useSession();
  const template = templates.find((t) => t.id === form.templateId);
  const version = template?.version;
  // The template rendered for the first few people of the audience, as they will get it.
  const previews = useLoad(async () => {
    if (!template) return [];
    const path =
      'segmentId' in audience
        ? `/v1/segments/${audience.segmentId}/members`
        : `/v1/lists/${audience.listId}/members`;
    const members = await api.get<Page<AudienceMember>>(path, { limit: 3 });
    if (members.items.length === 0) return [];
    const answer = await api.post<{ items: RenderedPreview[] }>(
      `/v1/templates/${template.id}/preview`,
      {
        profileIds: members.items.map((m) => m.id),
        ...(version !== undefined ? { version } : {}),
        ...(form.channelConfigurationId
          ? { channelConfigurationId: form.channelConfigurationId }
          : {}),
      },
    );
    return answer.items;
  }, [api, form.templateId, JSON.stringify(audience)]);
  const error = errors.templateId ?? errors.templateVersion;
  return (
    <fieldset>
      <legend>Template</legend>
      <Field
        id="cmp-template"
        label="Template"
        error={error}
        hint={
          templates.length === 0 ? (
            <>
              None yet: <Link to="/templates/new">create a template</Link>.
            </>
          ) : (
            'The campaign sends this version even if the template is edited later.'
          )
        }
      >
        <select
          id="cmp-template"
          value={form.templateId}
          onChange={(e) => set('templateId', e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy('cmp-template', error, true)}
        >
          {templates.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name} (v{t.version}, {t.messageType})
            </option>
          ))}
        </select>
      </Field>
      {previews.error ? <ErrorBanner error={previews.error} /> : null}
      {previews.data && previews.data.length > 0 ? (
        <div className="grid-2" aria-label="Previews for the audience">
          {previews.data.map((item, i) => (
            <PreviewCard key={i} item={item} title={item.phone ?? '—'} />
          ))}
        </div>
      ) : null}
    </fieldset>
  );
}

function ScheduleStep({
  form,
  set,
  channel,
  errors,
  input,
}: {
  form: WizardForm;
  set: Setter;
  channel: ChannelConfiguration | undefined;
  errors: Record<string, string>;
  input: (
    key: keyof WizardForm,
    label: string,
    error: string | undefined,
    hint?: ReactNode,
    type?: string,
  ) => ReactNode;
}) {
  const { api } = useSession();
  const credential = useLoad(
    () =>
      channel
        ? api.get<Credential>(`/v1/credentials/${channel.credentialId}`)
        : Promise.resolve(undefined),
    [api, channel?.credentialId],
  );
  const max = credential.data?.sendRatePerSecond;
  return (
    <fieldset>
      <legend>Schedule and pacing</legend>
      <div className="radios" role="radiogroup" aria-label="When">
        <label className="radio">
          <input
            type="radio"
            name="when"
            checked={form.when === 'now'}
            onChange={() => set('when', 'now')}
          />
          Send now, once confirmed
        </label>
        <label className="radio">
          <input
            type="radio"
            name="when"
            checked={form.when === 'later'}
            onChange={() => set('when', 'later')}
          />
          Send later
        </label>
      </div>
      {form.when === 'later'
        ? input('sendAt', 'Send at', errors.sendAt, undefined, 'datetime-local')
        : null}
      <div className="grid-2">
        {input(
          'rate',
          'Pace',
          errors.pacing,
          max ? `At most ${max} a second (the API credentials' rate)` : undefined,
          'number',
        )}
        <Field id="cmp-rateUnit" label="Per">
          <select
            id="cmp-rateUnit"
            value={form.rateUnit}
            onChange={(e) => set('rateUnit', e.target.value as WizardForm['rateUnit'])}
          >
            <option value="perSecond">second</option>
            <option value="perMinute">minute</option>
          </select>
        </Field>
      </div>
      {input(
        'seedPhones',
        'Seed numbers for a test send',
        errors.seedPhones,
        'Optional: E.164 numbers, comma-separated; a test send goes to them only',
      )}
      <div className="grid-2">
        {input(
          'optOutRate',
          'Auto-pause at opt-out rate (%)',
          errors.autoPause,
          'Empty: the default',
          'number',
        )}
        {input(
          'failureRate',
          'Auto-pause at failure rate (%)',
          undefined,
          'Empty: the default',
          'number',
        )}
      </div>
    </fieldset>
  );
}

interface TestSendItem {
  phone: string;
  ok: boolean;
  messageId: string | null;
  text: string | null;
  problems: { path?: string; message: string }[];
}

/** `POST /v1/campaigns/:id/test-send`: the saved draft to its seed numbers, each one's outcome. */
function TestSend({ campaignId }: { campaignId: string }) {
  const { api } = useSession();
  const { reason } = useAccess();
  const [busy, setBusy] = useState(false);
  const [items, setItems] = useState<TestSendItem[]>();
  const [error, setError] = useState<string>();
  const send = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const answer = await api.post<{ items: TestSendItem[] }>(
        `/v1/campaigns/${campaignId}/test-send`,
        {},
      );
      setItems(answer.items);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-label="Test send">
      <Button
        disabledReason={reason('send')}
        type="button"
        className="btn"
        disabled={busy}
        onClick={() => void send()}
      >
        Send a test to the seed numbers
      </Button>
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
      {items ? (
        <ul className="radios" data-testid="test-send">
          {items.map((item) => (
            <li key={item.phone}>
              <strong>{item.phone}</strong>:{' '}
              {item.ok && item.messageId ? (
                <Link to={`/messages/${item.messageId}`}>sent</Link>
              ) : (
                <span className="field-error">
                  not sent ({item.problems.map((p) => p.message).join('; ') || 'refused'})
                </span>
              )}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
