/**
 * Audience › Segments › edit: the rule builder with a live count (`POST /v1/segments/count`
 * a moment after each change), the server's problems next to the condition they name, and
 * the members.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, type AudienceMember, type ErrorDetail, type Segment } from '../../api';
import { useEditForm } from '../../edit-form';
import { ListTable, useList } from '../../list';
import { Link, navigate } from '../../router';
import { useSession } from '../../session';
import { Button, useAccess } from '../../access';
import { Badge, describedBy, ErrorBanner, Field, Loading, errorText } from '../../ui';
import { conditionErrors, RuleBuilder } from './RuleBuilder';
import { fromRule, newCondition, toRule, type RuleModel } from './rule-model';
import '../../marketing.css';

interface SegmentForm {
  name: string;
  description: string;
  live: boolean;
  model: RuleModel | null;
  /** The rule as JSON, when the builder cannot show it (or the user asked for JSON). */
  json: string;
}

const START: RuleModel = {
  combine: 'all',
  conditions: [newCondition('consent'), newCondition('keyword')],
};

function ruleOf(form: SegmentForm): unknown {
  if (form.model) return toRule(form.model);
  try {
    return JSON.parse(form.json) as unknown;
  } catch {
    return null;
  }
}

/** The live count of a rule, asked a moment after it last changed. */
function useLiveCount(
  rule: unknown,
  missing: string,
): {
  count: number | undefined;
  details: ErrorDetail[];
  error: string | undefined;
  busy: boolean;
} {
  const { api } = useSession();
  const [count, setCount] = useState<number>();
  const [details, setDetails] = useState<ErrorDetail[]>([]);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const key = JSON.stringify(rule);
  useEffect(() => {
    if (rule === null) {
      setCount(undefined);
      setDetails([]);
      setError(missing);
      setBusy(false);
      return;
    }
    let live = true;
    setBusy(true);
    const timer = setTimeout(() => {
      api.post<{ count: number }>('/v1/segments/count', { rule }).then(
        (answer) => {
          if (!live) return;
          setCount(answer.count);
          setDetails([]);
          setError(undefined);
          setBusy(false);
        },
        (err: unknown) => {
          if (!live) return;
          setCount(undefined);
          setDetails(err instanceof ApiError ? err.details : []);
          setError(errorText(err));
          setBusy(false);
        },
      );
    }, 300);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, key]);
  return { count, details, error, busy };
}

export function SegmentEditor({ id }: { id?: string | undefined }) {
  const { reason } = useAccess();
  const edit = useEditForm<Segment, SegmentForm>({
    path: id ? `/v1/segments/${id}` : undefined,
    createPath: '/v1/segments',
    initial: {
      name: '',
      description: '',
      live: false,
      model: START,
      json: '',
    },
    toForm: (s) => ({
      name: s.name,
      description: s.description ?? '',
      live: s.live,
      model: fromRule(s.rule),
      json: JSON.stringify(s.rule, null, 2),
    }),
    toBody: (f) => ({
      name: f.name.trim(),
      description: f.description.trim() || null,
      live: f.live,
      rule: ruleOf(f),
    }),
  });
  const { form, set, setForm, errors } = edit;
  const rule = ruleOf(form);
  const count = useLiveCount(
    rule,
    form.model ? 'Add a condition to count the profiles.' : 'The rule is not valid JSON.',
  );
  const [saved, setSaved] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    const result = await edit.save();
    if (!result) return;
    if (edit.creating) navigate(`/segments/${result.id}`, { replace: true });
    else setSaved(true);
  };

  if (edit.loadError) return <ErrorBanner error={edit.loadError} onRetry={edit.reload} />;
  if (edit.loading) return <Loading what="Loading segment" />;
  const perCondition = form.model
    ? conditionErrors(count.details, form.model.combine)
    : new Map<number, string>();
  const ruleError = errors.rule ?? (form.model ? undefined : count.error);

  return (
    <div className="page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        Audience › <Link to="/segments">Segments</Link> ›{' '}
        <span aria-current="page">{edit.stored?.name ?? 'Create'}</span>
      </nav>
      <div className="page-header">
        <h1>{edit.creating ? 'Create segment' : `Edit ${edit.stored?.name ?? ''}`}</h1>
        {edit.stored ? (
          <div className="actions">
            <Link to={`/campaigns/new?segmentId=${edit.stored.id}`} className="btn">
              Send a campaign to it
            </Link>
          </div>
        ) : null}
      </div>
      <form className="form" onSubmit={(e) => void submit(e)} noValidate>
        {edit.formError ? (
          <div className="banner banner-error" role="alert">
            {edit.formError}
          </div>
        ) : null}
        {edit.conflict ? (
          <div className="banner banner-warn" role="alert">
            <div>
              <strong>Someone else changed this segment</strong> after you opened it; your changes
              were not saved.
            </div>
            <button type="button" className="btn btn-small" onClick={edit.reload}>
              Reload latest
            </button>
          </div>
        ) : null}
        {saved ? (
          <div className="banner banner-ok" role="status">
            Segment saved.
          </div>
        ) : null}
        <fieldset>
          <legend>Segment</legend>
          <div className="grid-2">
            <Field id="seg-name" label="Name" error={errors.name}>
              <input
                id="seg-name"
                type="text"
                value={form.name}
                onChange={(e) => set('name', e.target.value)}
                aria-invalid={errors.name ? true : undefined}
                aria-describedby={describedBy('seg-name', errors.name)}
              />
            </Field>
            <Field id="seg-description" label="Description" error={errors.description}>
              <input
                id="seg-description"
                type="text"
                value={form.description}
                onChange={(e) => set('description', e.target.value)}
              />
            </Field>
          </div>
          <label className="rule-checks field">
            <input
              type="checkbox"
              checked={form.live}
              onChange={(e) => set('live', e.target.checked)}
            />
            <span>
              Live: emit <code>segment.entered</code> / <code>segment.left</code> as profiles change
            </span>
          </label>
        </fieldset>
        <fieldset>
          <legend>Rule</legend>
          <div className="toolbar">
            <div className="live-count" aria-live="polite" data-testid="live-count">
              {count.count !== undefined ? (
                <>
                  <strong>{count.count.toLocaleString()}</strong>{' '}
                  {count.count === 1 ? 'profile matches' : 'profiles match'}
                </>
              ) : count.busy ? (
                'Counting…'
              ) : (
                'No count'
              )}
              {count.busy && count.count !== undefined ? (
                <span className="muted small">updating…</span>
              ) : null}
            </div>
            <button
              type="button"
              className="btn btn-small"
              onClick={() =>
                setForm((f) =>
                  f.model
                    ? { ...f, model: null, json: JSON.stringify(toRule(f.model), null, 2) }
                    : { ...f, model: fromRule(ruleOf(f)) ?? f.model },
                )
              }
            >
              {form.model ? 'Edit as JSON' : 'Back to the builder'}
            </button>
          </div>
          {form.model ? (
            <RuleBuilder
              model={form.model}
              onChange={(model) => set('model', model)}
              errors={perCondition}
            />
          ) : (
            <Field id="seg-json" label="Rule (JSON)" error={ruleError}>
              <textarea
                id="seg-json"
                className="body-input"
                rows={12}
                value={form.json}
                onChange={(e) => set('json', e.target.value)}
                aria-invalid={ruleError ? true : undefined}
              />
            </Field>
          )}
          {form.model && count.error && perCondition.size === 0 ? (
            <div className="field-error" role="alert">
              {count.error}
            </div>
          ) : null}
          {form.model && errors.rule ? (
            <div className="field-error" role="alert">
              {errors.rule}
            </div>
          ) : null}
        </fieldset>
        <div className="form-actions">
          <Button
            disabledReason={reason('send')}
            type="submit"
            className="btn btn-primary"
            disabled={edit.busy}
          >
            {edit.busy ? 'Saving…' : edit.creating ? 'Create segment' : 'Save changes'}
          </Button>
          <Link to="/segments" className="btn">
            Cancel
          </Link>
        </div>
      </form>
      {edit.stored ? (
        <Members
          path={`/v1/segments/${edit.stored.id}/members`}
          events={['segment.entered', 'segment.left', 'consent.changed', 'profile.keyword']}
        />
      ) : null}
    </div>
  );
}

/** A segment's or a list's members, paged. */
export function Members({ path, events }: { path: string; events?: string[] }) {
  const list = useList<AudienceMember>(
    path,
    {},
    {
      events: events ?? ['consent.changed', 'profile.keyword'],
      limit: 50,
    },
  );
  return (
    <section aria-labelledby="members-heading">
      <h2 id="members-heading">Members</h2>
      {list.error ? <ErrorBanner error={list.error} onRetry={list.reload} /> : null}
      {list.loading && !list.loaded ? <Loading what="Loading members" /> : null}
      {list.loaded && list.items.length === 0 ? <p className="muted">No members.</p> : null}
      {list.items.length > 0 ? (
        <ListTable
          list={list}
          label="Members"
          rowKey={(m) => m.id}
          columns={[
            {
              header: 'Phone',
              cell: (m) => <Link to={`/profiles/${encodeURIComponent(m.phone)}`}>{m.phone}</Link>,
            },
            { header: 'Consent', cell: (m) => <Badge value={m.consent} /> },
            {
              header: 'Attributes',
              cell: (m) => (
                <code className="small">
                  {Object.keys(m.attributes ?? {})
                    .filter((k) => k !== 'keywords')
                    .join(', ') || '—'}
                </code>
              ),
            },
          ]}
        />
      ) : null}
    </section>
  );
}
