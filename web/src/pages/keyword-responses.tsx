/**
 * The reply and actions behind each custom inbound keyword of a credential (issue 17), on the
 * credential's screen: a template picker and an action list per keyword, saved with PUT and
 * If-Match; the server's problems shown next to the template or the action they name.
 */
import { useState, type ReactNode } from 'react';
import {
  ApiError,
  type AudienceList,
  type Credential,
  type ErrorDetail,
  type Page,
  type Template,
} from '../api';
import { ConfirmDialog } from '../confirm-dialog';
import { approvalOr } from '../approval-notice';
import { useSession } from '../session';
import { Button, useAccess } from '../access';
import { BinIcon, ErrorBanner, errorText, Field, Loading, useLoad } from '../ui';

type Scalar = string | number | boolean;

/** An action as the API takes it (src/automation/action.ts). */
type Action =
  | { type: 'set_attribute'; name: string; value: Scalar }
  | { type: 'clear_attribute'; name: string }
  | { type: 'set_consent'; to: 'subscribed' | 'unsubscribed' }
  | { type: 'add_to_list' | 'remove_from_list'; listId: string }
  | { type: 'webhook'; name: string; data?: Record<string, Scalar | null> }
  | { type: 'start_flow'; flowId: string };

type ActionType = Action['type'];

export interface KeywordResponse {
  credentialId: string;
  keyword: string;
  templateId: string | null;
  actions: Action[];
  active: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}

interface FlowSummary {
  id: string;
  name: string;
  status: string;
}

const ACTION_TYPES: [ActionType, string][] = [
  ['set_attribute', 'Set an attribute'],
  ['clear_attribute', 'Clear an attribute'],
  ['add_to_list', 'Add to a list'],
  ['remove_from_list', 'Remove from a list'],
  ['set_consent', 'Set consent'],
  ['webhook', 'Send a webhook event'],
  ['start_flow', 'Start a flow'],
];
/** As the API bounds it (ACTIONS_MAX). */
const ACTIONS_MAX = 10;

/** One action row as edited: every field as typed, whatever the type. */
interface ActionDraft {
  type: ActionType;
  name: string;
  value: string;
  valueKind: 'text' | 'number' | 'true' | 'false';
  to: 'subscribed' | 'unsubscribed';
  listId: string;
  flowId: string;
  /** The webhook's data as JSON text ({} when empty). */
  data: string;
}

const BLANK: ActionDraft = {
  type: 'set_attribute',
  name: '',
  value: '',
  valueKind: 'text',
  to: 'subscribed',
  listId: '',
  flowId: '',
  data: '',
};

function toDraft(action: Action): ActionDraft {
  switch (action.type) {
    case 'set_attribute':
      return {
        ...BLANK,
        type: action.type,
        name: action.name,
        value: typeof action.value === 'boolean' ? '' : String(action.value),
        valueKind:
          typeof action.value === 'boolean'
            ? action.value
              ? 'true'
              : 'false'
            : typeof action.value === 'number'
              ? 'number'
              : 'text',
      };
    case 'clear_attribute':
      return { ...BLANK, type: action.type, name: action.name };
    case 'set_consent':
      return { ...BLANK, type: action.type, to: action.to };
    case 'add_to_list':
    case 'remove_from_list':
      return { ...BLANK, type: action.type, listId: action.listId };
    case 'webhook':
      return {
        ...BLANK,
        type: action.type,
        name: action.name,
        data: action.data && Object.keys(action.data).length > 0 ? JSON.stringify(action.data) : '',
      };
    case 'start_flow':
      return { ...BLANK, type: action.type, flowId: action.flowId };
  }
}

/** The action the API takes, or the problem of the row as typed (bad JSON data). */
function toAction(d: ActionDraft): Action | { problem: string } {
  switch (d.type) {
    case 'set_attribute': {
      const value: Scalar =
        d.valueKind === 'true'
          ? true
          : d.valueKind === 'false'
            ? false
            : d.valueKind === 'number' && d.value.trim() !== '' && Number.isFinite(Number(d.value))
              ? Number(d.value)
              : d.value;
      return { type: d.type, name: d.name.trim(), value };
    }
    case 'clear_attribute':
      return { type: d.type, name: d.name.trim() };
    case 'set_consent':
      return { type: d.type, to: d.to };
    case 'add_to_list':
    case 'remove_from_list':
      return { type: d.type, listId: d.listId };
    case 'start_flow':
      return { type: d.type, flowId: d.flowId };
    case 'webhook': {
      if (d.data.trim() === '') return { type: d.type, name: d.name.trim() };
      try {
        const data: unknown = JSON.parse(d.data);
        if (typeof data !== 'object' || data === null || Array.isArray(data))
          return { problem: 'Data must be a JSON object, e.g. {"campaign": "winter"}' };
        return { type: d.type, name: d.name.trim(), data: data as Record<string, Scalar | null> };
      } catch {
        return { problem: 'Data is not valid JSON, e.g. {"campaign": "winter"}' };
      }
    }
  }
}

interface Options {
  templates: Template[];
  lists: AudienceList[];
  /** Null when the flows API could not be read: a flow id is then typed. */
  flows: FlowSummary[] | null;
}

/** The keyword responses of a saved credential: one card per custom keyword. */
export function KeywordResponses({ credential }: { credential: Credential }) {
  const { api } = useSession();
  const base = `/v1/credentials/${credential.id}/keyword-responses`;
  const data = useLoad(async () => {
    const [responses, templates, lists, flows] = await Promise.all([
      api.get<{ items: KeywordResponse[] }>(base),
      api.get<Page<Template>>('/v1/templates', { limit: 200 }),
      api.get<Page<AudienceList>>('/v1/lists', { limit: 200 }),
      api
        .get<Page<FlowSummary>>('/v1/flows', { limit: 200 })
        .then((page) => page.items)
        .catch(() => null),
    ]);
    return {
      responses: responses.items,
      options: { templates: templates.items, lists: lists.items, flows },
    };
  }, [api, base, credential.version]);

  let body: ReactNode;
  if (data.error) body = <ErrorBanner error={data.error} onRetry={data.reload} />;
  else if (!data.data) body = <Loading what="Loading keyword responses" />;
  else {
    const { responses, options } = data.data;
    const byKeyword = new Map(responses.map((r) => [r.keyword, r]));
    // Custom keywords first, then responses whose keyword is no longer custom.
    const keywords = [
      ...credential.customInboundKeywords,
      ...responses.filter((r) => !r.active).map((r) => r.keyword),
    ];
    body =
      keywords.length === 0 ? (
        <p className="muted">
          This credential has no custom inbound keywords. Add some (e.g. OFFERS) under Inbound and
          save; each can then have its own reply and actions here.
        </p>
      ) : (
        keywords.map((keyword) => (
          <KeywordCard
            key={`${keyword}:${byKeyword.get(keyword)?.version ?? 0}`}
            path={`${base}/${encodeURIComponent(keyword)}`}
            keyword={keyword}
            response={byKeyword.get(keyword)}
            active={credential.customInboundKeywords.includes(keyword)}
            options={options}
            onChanged={data.reload}
          />
        ))
      );
  }
  return (
    <section className="card" aria-labelledby="keyword-responses-heading">
      <h2 id="keyword-responses-heading">Keyword responses</h2>
      <p className="hint">
        What each custom keyword answers and does. The actions run in order, then the reply is
        rendered for the texter (their attributes, after the actions) and sent from the inbound
        number. Consent and the automatic-reply limits apply; STOP, START and HELP always win.
        Without a response, a keyword is only recorded on the profile.
      </p>
      {body}
    </section>
  );
}

function KeywordCard({
  path,
  keyword,
  response,
  active,
  options,
  onChanged,
}: {
  path: string;
  keyword: string;
  response: KeywordResponse | undefined;
  active: boolean;
  options: Options;
  onChanged: () => void;
}) {
  const { api } = useSession();
  const id = `kw-${keyword}`;
  const { reason } = useAccess();
  const [templateId, setTemplateId] = useState(response?.templateId ?? '');
  const [actions, setActions] = useState<ActionDraft[]>(response?.actions.map(toDraft) ?? []);
  const [details, setDetails] = useState<ErrorDetail[]>([]);
  const [rowProblems, setRowProblems] = useState<Record<number, string>>({});
  const [formError, setFormError] = useState<string>();
  const [conflict, setConflict] = useState(false);
  const [saved, setSaved] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [deleting, setDeleting] = useState(false);
  // What the server holds now: the answer of the last save (the parent reloads only on delete).
  const [current, setCurrent] = useState(response);
  const etag = current ? `"${current.version}"` : null;

  const edited = () => {
    setSaved(undefined);
  };
  const setRow = (i: number, change: Partial<ActionDraft>) => {
    setActions((rows) => rows.map((row, j) => (j === i ? { ...row, ...change } : row)));
    edited();
  };

  const failed = (err: unknown) => {
    if (err instanceof ApiError && err.code === 'precondition_failed') setConflict(true);
    else {
      setDetails(err instanceof ApiError ? err.details : []);
      setFormError(errorText(err));
    }
  };

  const save = async () => {
    setDetails([]);
    setFormError(undefined);
    setConflict(false);
    const built = actions.map(toAction);
    const problems: Record<number, string> = {};
    built.forEach((a, i) => {
      if ('problem' in a) problems[i] = a.problem;
    });
    setRowProblems(problems);
    if (Object.keys(problems).length > 0) return;
    setBusy(true);
    try {
      const res = await api.request<KeywordResponse>('PUT', path, {
        body: { templateId: templateId === '' ? null : templateId, actions: built },
        ifMatch: etag,
      });
      // 202 when compliance approvals are on: the response is unchanged until approved.
      if (res.status === 202) setSaved(approvalOr(res, ''));
      else {
        setCurrent(res.body);
        setSaved(`Saved the response to ${keyword}.`);
      }
    } catch (err) {
      failed(err);
    } finally {
      setBusy(false);
    }
  };

  const problemsAt = (prefix: string) =>
    details
      .filter((d) => d.path === prefix || d.path?.startsWith(`${prefix}/`))
      .map((d) => d.message)
      .join(' ');
  const templateError = problemsAt('/templateId') || undefined;
  const keywordError = problemsAt('/params/keyword') || undefined;

  return (
    <fieldset className="keyword-response" aria-labelledby={`${id}-legend`}>
      <legend id={`${id}-legend`}>
        {keyword}{' '}
        {!active ? (
          <span className="badge badge-warn">no longer a custom keyword</span>
        ) : current ? null : (
          <span className="badge">recorded only</span>
        )}
      </legend>
      {formError ? (
        <div className="banner banner-error" role="alert">
          {formError}
          {keywordError ? ` ${keywordError}` : ''}
        </div>
      ) : null}
      {conflict ? (
        <div className="banner banner-warn" role="alert">
          <div>
            <strong>Someone else changed the response to {keyword}</strong> after you opened it.
            Your changes were not saved. Reload to see the latest, then make them again.
          </div>
          <button type="button" className="btn btn-small" onClick={onChanged}>
            Reload latest
          </button>
        </div>
      ) : null}
      {saved ? (
        <div className="banner banner-ok" role="status">
          {saved}
        </div>
      ) : null}

      <Field
        id={`${id}-template`}
        label="Reply with template"
        error={templateError}
        hint="Rendered for the texter; a marketing template must say how to opt out (no footer is added)"
      >
        <select
          id={`${id}-template`}
          value={templateId}
          onChange={(e) => {
            setTemplateId(e.target.value);
            edited();
          }}
          aria-invalid={templateError ? true : undefined}
        >
          <option value="">No reply</option>
          {options.templates.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name} ({t.messageType})
            </option>
          ))}
          {templateId !== '' && !options.templates.some((t) => t.id === templateId) ? (
            <option value={templateId}>Deleted template {templateId}</option>
          ) : null}
        </select>
      </Field>

      <div className="field">
        <span className="label" id={`${id}-actions-label`}>
          Actions
        </span>
        {actions.length === 0 ? <p className="muted small">No actions.</p> : null}
        <ol className="action-list" aria-labelledby={`${id}-actions-label`}>
          {actions.map((row, i) => (
            <ActionRow
              key={i}
              id={`${id}-action-${i}`}
              index={i}
              row={row}
              options={options}
              error={rowProblems[i] ?? (problemsAt(`/actions/${i}`) || undefined)}
              onChange={(change) => setRow(i, change)}
              onRemove={() => {
                setActions((rows) => rows.filter((_, j) => j !== i));
                edited();
              }}
            />
          ))}
        </ol>
        {problemsAt('/actions') && !actions.some((_, i) => problemsAt(`/actions/${i}`)) ? (
          <div className="field-error" role="alert">
            {problemsAt('/actions')}
          </div>
        ) : null}
        <button
          type="button"
          className="btn btn-small"
          disabled={actions.length >= ACTIONS_MAX}
          onClick={() => {
            setActions((rows) => [...rows, { ...BLANK }]);
            edited();
          }}
        >
          Add action
        </button>
      </div>

      <div className="form-actions">
        <Button
          disabledReason={reason('compliance')}
          type="button"
          className="btn btn-primary"
          disabled={busy}
          onClick={() => void save()}
        >
          {busy ? 'Saving…' : `Save response to ${keyword}`}
        </Button>
        {current ? (
          <Button
            disabledReason={reason('compliance')}
            type="button"
            className="btn btn-danger-outline"
            onClick={() => setDeleting(true)}
          >
            <BinIcon /> Remove response
          </Button>
        ) : null}
      </div>
      {deleting ? (
        <ConfirmDialog
          title={`Remove the response to ${keyword}?`}
          confirmLabel="Remove"
          danger
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            const res = await api.request('DELETE', path, { ifMatch: etag });
            setDeleting(false);
            if (res.status === 202) setSaved(approvalOr(res, ''));
            onChanged();
          }}
        >
          Texting {keyword} will then only be recorded on the profile: no reply, no actions.
        </ConfirmDialog>
      ) : null}
    </fieldset>
  );
}

function ActionRow({
  id,
  index,
  row,
  options,
  error,
  onChange,
  onRemove,
}: {
  id: string;
  index: number;
  row: ActionDraft;
  options: Options;
  error: string | undefined;
  onChange: (change: Partial<ActionDraft>) => void;
  onRemove: () => void;
}) {
  const input = (key: 'name' | 'value' | 'data', label: string, placeholder: string) => (
    <label className="inline-form">
      <span className="visually-hidden">{label}</span>
      <input
        type="text"
        id={`${id}-${key}`}
        aria-label={`Action ${index + 1} ${label}`}
        placeholder={placeholder}
        value={row[key]}
        maxLength={key === 'data' ? 4000 : 500}
        onChange={(e) => onChange({ [key]: e.target.value })}
      />
    </label>
  );
  const select = (
    key: 'listId' | 'flowId' | 'to' | 'valueKind',
    label: string,
    choices: [string, string][],
    empty?: string,
  ) => (
    <select
      id={`${id}-${key}`}
      aria-label={`Action ${index + 1} ${label}`}
      value={row[key]}
      onChange={(e) => onChange({ [key]: e.target.value })}
    >
      {empty !== undefined ? <option value="">{empty}</option> : null}
      {choices.map(([value, text]) => (
        <option key={value} value={value}>
          {text}
        </option>
      ))}
    </select>
  );

  let fields: ReactNode;
  switch (row.type) {
    case 'set_attribute':
      fields = (
        <>
          {input('name', 'attribute name', 'attribute, e.g. tier')}
          {select('valueKind', 'value kind', [
            ['text', 'text'],
            ['number', 'number'],
            ['true', 'yes (true)'],
            ['false', 'no (false)'],
          ])}
          {row.valueKind === 'text' || row.valueKind === 'number'
            ? input('value', 'value', 'value, e.g. gold')
            : null}
        </>
      );
      break;
    case 'clear_attribute':
      fields = input('name', 'attribute name', 'attribute, e.g. tier');
      break;
    case 'set_consent':
      fields = select('to', 'consent', [
        ['subscribed', 'subscribed'],
        ['unsubscribed', 'unsubscribed'],
      ]);
      break;
    case 'add_to_list':
    case 'remove_from_list':
      fields = select(
        'listId',
        'list',
        [
          ...options.lists.map((l): [string, string] => [l.id, l.name]),
          ...(row.listId !== '' && !options.lists.some((l) => l.id === row.listId)
            ? [[row.listId, `Deleted list ${row.listId}`] as [string, string]]
            : []),
        ],
        'Choose a list',
      );
      break;
    case 'webhook':
      fields = (
        <>
          {input('name', 'event name', 'event name, e.g. offers_requested')}
          {input('data', 'data (JSON)', 'data (JSON, optional), e.g. {"campaign": "winter"}')}
        </>
      );
      break;
    case 'start_flow':
      fields =
        options.flows === null ? (
          <label className="inline-form">
            <span className="visually-hidden">flow id</span>
            <input
              type="text"
              aria-label={`Action ${index + 1} flow id`}
              placeholder="flow id"
              value={row.flowId}
              maxLength={100}
              onChange={(e) => onChange({ flowId: e.target.value })}
            />
          </label>
        ) : (
          select(
            'flowId',
            'flow',
            options.flows.map((f): [string, string] => [f.id, `${f.name} (${f.status})`]),
            'Choose a flow',
          )
        );
      break;
  }

  return (
    <li className={`action-row${error ? ' field-invalid' : ''}`}>
      <div className="toolbar">
        <select
          id={`${id}-type`}
          aria-label={`Action ${index + 1} type`}
          value={row.type}
          onChange={(e) => onChange({ type: e.target.value as ActionType })}
        >
          {ACTION_TYPES.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
        {fields}
        <button
          type="button"
          className="icon-btn icon-danger"
          aria-label={`Remove action ${index + 1}`}
          onClick={onRemove}
        >
          <BinIcon />
        </button>
      </div>
      {error ? (
        <div className="field-error" role="alert">
          {error}
        </div>
      ) : null}
    </li>
  );
}
