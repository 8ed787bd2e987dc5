/**
 * Automation › Flows › edit: the trigger, the channel and guards, and the steps as a list of
 * rows. The definition is checked by the API as it is typed (`POST /v1/flows/validate`) and on
 * save (If-Match); every problem shows under the field its path names, the rest in a banner.
 * A saved flow can be simulated, unsaved edits included.
 */
import { useEffect, useState, type FormEvent } from 'react';
import {
  ApiError,
  type AudienceList,
  type ChannelConfiguration,
  type Credential,
  type CredentialSummary,
  type ErrorDetail,
  type Page,
  type Segment,
  type Template,
} from '../../api';
import { useEditForm } from '../../edit-form';
import { Link, navigate } from '../../router';
import { useSession } from '../../session';
import { Button, useAccess } from '../../access';
import { Badge, describedBy, ErrorBanner, Field, formatDate, Loading, useLoad } from '../../ui';
import { placeErrors } from '../policy/place-errors';
import {
  definitionOf,
  EMPTY_FLOW,
  formOf,
  slotsOf,
  type FlowForm,
  type TriggerType,
} from './flow-form';
import {
  FLOW_STATUSES,
  type Flow,
  type FlowDefinition,
  type FlowStatus,
  type ValidateAnswer,
} from './flow-types';
import { SimulatePanel } from './SimulatePanel';
import { StepList } from './StepList';
import './flows.css';

/** The definition's problems as the API sees it now, asked a moment after the last edit. */
function useLiveCheck(definition: unknown): ErrorDetail[] {
  const { api } = useSession();
  const [problems, setProblems] = useState<ErrorDetail[]>([]);
  const key = JSON.stringify(definition);
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      api.post<ValidateAnswer>('/v1/flows/validate', { definition }).then(
        (answer) => live && setProblems(answer.ok ? [] : answer.problems),
        (err: unknown) => live && setProblems(err instanceof ApiError ? err.details : []),
      );
    }, 400);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, key]);
  return problems;
}

function useRefs() {
  const { api } = useSession();
  return useLoad(async () => {
    const [templates, lists, segments, channels, credentials] = await Promise.all([
      api.get<Page<Template>>('/v1/templates', { limit: 200 }),
      api.get<Page<AudienceList>>('/v1/lists', { limit: 200 }),
      api.get<Page<Segment>>('/v1/segments', { limit: 200 }),
      api.get<Page<ChannelConfiguration>>('/v1/channel-configurations', { limit: 200 }),
      api.get<Page<CredentialSummary>>('/v1/credentials', { limit: 200 }),
    ]);
    return {
      templates: templates.items,
      lists: lists.items,
      segments: segments.items,
      channels: channels.items,
      credentials: credentials.items,
    };
  }, [api]);
}

export function FlowEditor({ id }: { id?: string | undefined }) {
  const { api } = useSession();
  const { reason } = useAccess();
  const edit = useEditForm<Flow, FlowForm>({
    path: id ? `/v1/flows/${id}` : undefined,
    createPath: '/v1/flows',
    initial: EMPTY_FLOW,
    toForm: formOf,
    toBody: (f) => ({
      name: f.name.trim(),
      status: f.status,
      definition: definitionOf(f),
    }),
  });
  const { form, set, setForm } = edit;
  const refs = useRefs();
  const credential = useLoad(
    () =>
      form.credentialId
        ? api.get<Credential>(`/v1/credentials/${form.credentialId}`).catch(() => undefined)
        : Promise.resolve(undefined),
    [api, form.credentialId],
  );
  const [saved, setSaved] = useState(false);
  const [savedKey, setSavedKey] = useState<string>();
  const definition = definitionOf(form);
  const live = useLiveCheck(definition);

  // A new flow starts on the first inbound number and the first channel configuration.
  useEffect(() => {
    if (!edit.creating || !refs.data) return;
    const inbound = refs.data.credentials.find((c) => c.inboundNumber);
    setForm((f) => ({
      ...f,
      credentialId: f.credentialId || inbound?.id || '',
      channelConfigurationId: f.channelConfigurationId || refs.data?.channels[0]?.id || '',
    }));
  }, [refs.data, edit.creating]);

  const formKey = JSON.stringify(form);
  // The save's answer names the form as it was sent; once edited, the live check speaks.
  const details = savedKey === formKey ? edit.details : live;
  const placed = placeErrors(details, slotsOf(form));
  const err = (slot: string) => placed.bySlot[slot];

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    setSavedKey(formKey);
    const result = await edit.save();
    if (!result) return;
    if (edit.creating) navigate(`/flows/${result.id}`, { replace: true });
    else setSaved(true);
  };

  if (edit.loadError) return <ErrorBanner error={edit.loadError} onRetry={edit.reload} />;
  if (edit.loading) return <Loading what="Loading flow" />;
  const stored = edit.stored;
  const withInbound = refs.data?.credentials.filter((c) => c.inboundNumber) ?? [];

  const input = (
    key: 'name' | 'keyword' | 'event' | 'maxSendsPerRun' | 'maxSendsPerDay',
    label: string,
    slot: string,
    options: { hint?: string | undefined; list?: string; maxLength?: number } = {},
  ) => {
    const fieldId = `flow-${key}`;
    const error = err(slot);
    return (
      <Field id={fieldId} label={label} error={error} hint={options.hint}>
        <input
          id={fieldId}
          type="text"
          value={form[key]}
          list={options.list}
          maxLength={options.maxLength ?? 200}
          onChange={(e) => set(key, e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy(fieldId, error, Boolean(options.hint))}
        />
      </Field>
    );
  };

  return (
    <div className="page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        Automation › <Link to="/flows">Flows</Link> ›{' '}
        <span aria-current="page">{stored?.name ?? 'Create'}</span>
      </nav>
      <div className="page-header">
        <h1>
          {edit.creating ? 'Create flow' : `Edit ${stored?.name ?? ''}`}
          {stored ? <span className="badge">v{stored.version}</span> : null}
          {stored ? <Badge value={stored.status} /> : null}
        </h1>
        {stored ? (
          <div className="actions">
            <Link to={`/flows/${stored.id}/runs`} className="btn">
              Runs ({stored.activeRuns} active)
            </Link>
          </div>
        ) : null}
      </div>
      <form className="form flow-form" onSubmit={(e) => void submit(e)} noValidate>
        {edit.formError && savedKey === formKey ? (
          <div className="banner banner-error" role="alert">
            {edit.formError}
          </div>
        ) : null}
        {edit.conflict ? (
          <div className="banner banner-warn" role="alert">
            <div>
              <strong>Someone else saved this flow</strong> after you opened it; your changes were
              not saved. Reload the latest and make your change again.
            </div>
            <button type="button" className="btn btn-small" onClick={edit.reload}>
              Reload latest
            </button>
          </div>
        ) : null}
        {saved ? (
          <div className="banner banner-ok" role="status">
            Saved as version {stored?.version}. Runs already going keep the version they started on.
          </div>
        ) : null}
        {placed.rest.length > 0 ? (
          <div className="banner banner-error" role="alert" data-testid="flow-problems">
            <ul className="flow-problem-list">
              {placed.rest.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </div>
        ) : null}
        <fieldset>
          <legend>Flow</legend>
          <div className="grid-2">
            {input('name', 'Name', '/name', { hint: 'Unique in the sandbox', maxLength: 100 })}
            <Field id="flow-status" label="Status" error={err('/status')}>
              <select
                id="flow-status"
                value={form.status}
                onChange={(e) => set('status', e.target.value as FlowStatus)}
              >
                {FLOW_STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {s === 'draft'
                      ? 'Draft (starts no runs)'
                      : s === 'active'
                        ? 'Active (its trigger starts runs)'
                        : 'Paused (runs wait; none start)'}
                  </option>
                ))}
              </select>
            </Field>
          </div>
        </fieldset>
        <fieldset>
          <legend>Trigger</legend>
          <div className="grid-2">
            <Field
              id="flow-trigger"
              label="Starts when"
              error={err('/definition/trigger/type') ?? err('/definition/trigger')}
            >
              <select
                id="flow-trigger"
                value={form.triggerType}
                onChange={(e) => set('triggerType', e.target.value as TriggerType)}
              >
                <option value="keyword">someone texts a keyword</option>
                <option value="segment_entered">someone enters a live segment</option>
                <option value="api_event">the API posts an event</option>
              </select>
            </Field>
            {form.triggerType === 'keyword' ? (
              <Field
                id="flow-credential"
                label="To the inbound number of"
                error={err('/definition/trigger/credentialId')}
              >
                <select
                  id="flow-credential"
                  value={form.credentialId}
                  onChange={(e) => set('credentialId', e.target.value)}
                  aria-invalid={err('/definition/trigger/credentialId') ? true : undefined}
                >
                  <option value="">Choose API credentials…</option>
                  {withInbound.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.name} ({c.inboundNumber})
                    </option>
                  ))}
                </select>
              </Field>
            ) : null}
            {form.triggerType === 'keyword'
              ? input('keyword', 'Keyword', '/definition/trigger/keyword', {
                  list: 'flow-keywords',
                  maxLength: 160,
                  hint: credential.data
                    ? `One of its custom keywords: ${credential.data.customInboundKeywords.join(', ') || 'none yet'}`
                    : undefined,
                })
              : null}
            {form.triggerType === 'segment_entered' ? (
              <Field
                id="flow-segment"
                label="Segment"
                error={err('/definition/trigger/segmentId')}
                hint="Live segments only: a profile entering it starts a run"
              >
                <select
                  id="flow-segment"
                  value={form.segmentId}
                  onChange={(e) => set('segmentId', e.target.value)}
                >
                  <option value="">Choose a segment…</option>
                  {refs.data?.segments.map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.name}
                      {s.live ? '' : ' (not live)'}
                    </option>
                  ))}
                </select>
              </Field>
            ) : null}
            {form.triggerType === 'api_event'
              ? input('event', 'Event name', '/definition/trigger/event', {
                  maxLength: 64,
                  hint: 'POST /api/v1/flow-events {"event": …, "phone": …}',
                })
              : null}
          </div>
          <datalist id="flow-keywords">
            {credential.data?.customInboundKeywords.map((k) => (
              <option key={k} value={k} />
            ))}
          </datalist>
        </fieldset>
        <fieldset>
          <legend>Sending and guards</legend>
          <div className="grid-2">
            <Field
              id="flow-channel"
              label="Channel configuration"
              error={err('/definition/channelConfigurationId')}
              hint="The flow's texts go out on it; needed when a step sends"
            >
              <select
                id="flow-channel"
                value={form.channelConfigurationId}
                onChange={(e) => set('channelConfigurationId', e.target.value)}
              >
                <option value="">None</option>
                {refs.data?.channels.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name} ({c.messageType})
                  </option>
                ))}
              </select>
            </Field>
            <label className="rule-checks flow-check">
              <input
                type="checkbox"
                checked={form.oneRunPerPerson}
                onChange={(e) => set('oneRunPerPerson', e.target.checked)}
              />
              <span>A person is in one run of this flow at a time</span>
            </label>
            {input(
              'maxSendsPerRun',
              'Sends per run at most',
              '/definition/settings/maxSendsPerRun',
              {
                maxLength: 6,
              },
            )}
            {input(
              'maxSendsPerDay',
              'Sends per person per 24 h at most',
              '/definition/settings/maxSendsPerDay',
              { maxLength: 6 },
            )}
          </div>
          {err('/definition/settings') ? (
            <p className="field-error">{err('/definition/settings')}</p>
          ) : null}
        </fieldset>
        <fieldset>
          <legend>Steps</legend>
          <StepList
            steps={form.steps}
            onChange={(steps) => set('steps', steps)}
            errors={placed.bySlot}
            refs={{ templates: refs.data?.templates ?? [], lists: refs.data?.lists ?? [] }}
          />
        </fieldset>
        <div className="form-actions">
          <Button
            disabledReason={reason('send')}
            type="submit"
            className="btn btn-primary"
            disabled={edit.busy}
          >
            {edit.busy ? 'Saving…' : edit.creating ? 'Create flow' : 'Save as new version'}
          </Button>
          <Link to="/flows" className="btn">
            Cancel
          </Link>
        </div>
      </form>
      {refs.error ? <ErrorBanner error={refs.error} onRetry={refs.reload} /> : null}
      {stored ? <SimulatePanel flowId={stored.id} definition={definition} trigger={form} /> : null}
      {stored ? (
        <Versions flow={stored} />
      ) : (
        <p className="muted">Create the flow to simulate it against a scripted conversation.</p>
      )}
    </div>
  );
}

/** The flow's saved versions, newest first: runs keep the version they started on. */
function Versions({ flow }: { flow: Flow }) {
  const { api } = useSession();
  const versions = useLoad(
    () =>
      api.get<Page<{ version: number; definition: FlowDefinition; createdAt: string }>>(
        `/v1/flows/${flow.id}/versions`,
        { limit: 20 },
      ),
    [api, flow.id, flow.version],
  );
  return (
    <section aria-labelledby="flow-versions-heading">
      <h2 id="flow-versions-heading">Versions</h2>
      {versions.error ? <ErrorBanner error={versions.error} onRetry={versions.reload} /> : null}
      {versions.data ? (
        <table className="table" aria-label="Versions">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Steps</th>
              <th scope="col">Saved</th>
            </tr>
          </thead>
          <tbody>
            {versions.data.items.map((v) => (
              <tr key={v.version}>
                <td>v{v.version}</td>
                <td className="cell-text">
                  {v.definition.steps.map((s) => `${s.id} (${s.type})`).join(' → ')}
                </td>
                <td>{formatDate(v.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
