/**
 * The flow's steps as rows (not a canvas): each row its type and fields, moved up or down,
 * removed, or added at the end; the API's problem for a field shows under that field.
 */
import type { AudienceList, Template } from '../../api';
import { describedBy, Field } from '../../ui';
import {
  blankStep,
  freshId,
  moveStep,
  newKey,
  renameStep,
  STEP_TYPES,
  stepLabel,
  type CaseForm,
  type MatchKind,
  type StepForm,
  type StepType,
  type ValueKind,
} from './flow-form';
import { UNITS, type DurationUnit } from './script';

export interface StepRefs {
  templates: Template[];
  lists: AudienceList[];
}

export function StepList({
  steps,
  onChange,
  errors,
  refs,
}: {
  steps: StepForm[];
  onChange: (steps: StepForm[]) => void;
  /** Problems by JSON-pointer slot (`/definition/steps/2/seconds`). */
  errors: Record<string, string>;
  refs: StepRefs;
}) {
  const add = (type: StepType) => onChange([...steps, blankStep(type, freshId(type, steps))]);
  return (
    <div className="flow-steps">
      {errors['/definition/steps'] ? (
        <p className="field-error" role="alert">
          {errors['/definition/steps']}
        </p>
      ) : null}
      {steps.length === 0 ? (
        <p className="muted">No steps yet: add the first below (a wait, then a send, say).</p>
      ) : (
        <ol className="flow-step-list">
          {steps.map((step, i) => (
            <StepRow
              key={step.key}
              index={i}
              steps={steps}
              errors={errors}
              refs={refs}
              onChange={onChange}
            />
          ))}
        </ol>
      )}
      <label className="rule-checks flow-add">
        <span>Add a step</span>
        <select
          aria-label="Add a step"
          value=""
          onChange={(e) => e.target.value && add(e.target.value as StepType)}
        >
          <option value="">Choose…</option>
          {STEP_TYPES.map((t) => (
            <option key={t.type} value={t.type}>
              {t.label}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

/** A select of the steps a jump may name, keeping a name that no longer exists visible. */
function TargetSelect({
  id,
  value,
  steps,
  empty,
  onChange,
  error,
}: {
  id: string;
  value: string;
  steps: StepForm[];
  empty: string;
  onChange: (value: string) => void;
  error: string | undefined;
}) {
  const ids = steps.map((s) => s.id).filter((s) => s !== '');
  return (
    <select
      id={id}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      aria-invalid={error ? true : undefined}
      aria-describedby={describedBy(id, error)}
    >
      <option value="">{empty}</option>
      {ids.map((s) => (
        <option key={s} value={s}>
          {s}
        </option>
      ))}
      {value !== '' && !ids.includes(value) ? (
        <option value={value}>{value} (no such step)</option>
      ) : null}
    </select>
  );
}

function StepRow({
  index,
  steps,
  errors,
  refs,
  onChange,
}: {
  index: number;
  steps: StepForm[];
  errors: Record<string, string>;
  refs: StepRefs;
  onChange: (steps: StepForm[]) => void;
}) {
  const step = steps[index] as StepForm;
  const at = `/definition/steps/${index}`;
  const err = (field: string) => errors[`${at}/${field}`];
  const fid = (field: string) => `step-${step.key}-${field}`;
  const put = (patch: Partial<StepForm>) =>
    onChange(steps.map((s, i) => (i === index ? { ...s, ...patch } : s)));
  const number = index + 1;
  const label = `Step ${number}: ${stepLabel(step.type)}`;

  const text = (
    field: 'name' | 'value' | 'data',
    title: string,
    slot: string = field,
    hint?: string,
  ) => (
    <Field id={fid(field)} label={title} error={err(slot)} hint={hint}>
      <input
        id={fid(field)}
        type="text"
        value={step[field]}
        maxLength={field === 'data' ? 4000 : 500}
        onChange={(e) => put({ [field]: e.target.value })}
        aria-invalid={err(slot) ? true : undefined}
        aria-describedby={describedBy(fid(field), err(slot), Boolean(hint))}
      />
    </Field>
  );

  const setCase = (j: number, patch: Partial<CaseForm>) =>
    put({ cases: step.cases.map((c, k) => (k === j ? { ...c, ...patch } : c)) });

  return (
    <li className="flow-step" role="group" aria-label={label}>
      <div className="flow-step-head">
        <span className="flow-step-number" aria-hidden="true">
          {number}
        </span>
        <Field id={fid('type')} label="Type">
          <select
            id={fid('type')}
            value={step.type}
            onChange={(e) => {
              const type = e.target.value as StepType;
              put({ ...blankStep(type, step.id), key: step.key, next: step.next });
            }}
          >
            {STEP_TYPES.map((t) => (
              <option key={t.type} value={t.type}>
                {t.label}
              </option>
            ))}
          </select>
        </Field>
        <Field id={fid('id')} label="Step ID" error={err('id')}>
          <input
            id={fid('id')}
            type="text"
            value={step.id}
            maxLength={40}
            onChange={(e) => onChange(renameStep(steps, index, e.target.value))}
            aria-invalid={err('id') ? true : undefined}
            aria-describedby={describedBy(fid('id'), err('id'))}
          />
        </Field>
        <div className="flow-step-actions">
          <button
            type="button"
            className="btn btn-small"
            aria-label={`Move step ${number} up`}
            disabled={index === 0}
            onClick={() => onChange(moveStep(steps, index, -1))}
          >
            ↑
          </button>
          <button
            type="button"
            className="btn btn-small"
            aria-label={`Move step ${number} down`}
            disabled={index === steps.length - 1}
            onClick={() => onChange(moveStep(steps, index, 1))}
          >
            ↓
          </button>
          <button
            type="button"
            className="btn btn-small btn-danger-outline"
            aria-label={`Remove step ${number}`}
            onClick={() => onChange(steps.filter((_, i) => i !== index))}
          >
            Remove
          </button>
        </div>
      </div>
      {errors[at] ? (
        <p className="field-error" role="alert">
          {errors[at]}
        </p>
      ) : null}
      <div className="flow-step-fields">
        {step.type === 'send' ? (
          <Field id={fid('templateId')} label="Template" error={err('templateId')}>
            <select
              id={fid('templateId')}
              value={step.templateId}
              onChange={(e) => put({ templateId: e.target.value })}
              aria-invalid={err('templateId') ? true : undefined}
              aria-describedby={describedBy(fid('templateId'), err('templateId'))}
            >
              <option value="">Choose a template…</option>
              {refs.templates.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name} ({t.messageType})
                </option>
              ))}
              {step.templateId !== '' && !refs.templates.some((t) => t.id === step.templateId) ? (
                <option value={step.templateId}>{step.templateId}</option>
              ) : null}
            </select>
          </Field>
        ) : null}
        {step.type === 'wait' ? (
          <>
            <Field id={fid('amount')} label="Wait for" error={err('seconds')}>
              <input
                id={fid('amount')}
                type="text"
                inputMode="decimal"
                value={step.amount}
                maxLength={12}
                onChange={(e) => put({ amount: e.target.value })}
                aria-invalid={err('seconds') ? true : undefined}
                aria-describedby={describedBy(fid('amount'), err('seconds'))}
              />
            </Field>
            <Field id={fid('unit')} label="Unit">
              <select
                id={fid('unit')}
                value={step.unit}
                onChange={(e) => put({ unit: e.target.value as DurationUnit })}
              >
                {UNITS.map((u) => (
                  <option key={u.unit} value={u.unit}>
                    {u.label}
                  </option>
                ))}
              </select>
            </Field>
            <label className="rule-checks flow-check">
              <input
                type="checkbox"
                checked={step.untilReply}
                onChange={(e) => put({ untilReply: e.target.checked })}
              />
              <span>or until they reply</span>
            </label>
            {err('untilReply') ? <p className="field-error">{err('untilReply')}</p> : null}
          </>
        ) : null}
        {step.type === 'branch' ? (
          <div className="flow-cases">
            {err('cases') ? (
              <p className="field-error" role="alert">
                {err('cases')}
              </p>
            ) : null}
            {step.cases.map((c, j) => {
              const caseError = errors[`${at}/cases/${j}`];
              const cid = (f: string) => `step-${step.key}-case-${c.key}-${f}`;
              return (
                <div className="flow-case" role="group" aria-label={`Case ${j + 1}`} key={c.key}>
                  <Field id={cid('kind')} label="When the reply">
                    <select
                      id={cid('kind')}
                      value={c.kind}
                      onChange={(e) => setCase(j, { kind: e.target.value as MatchKind })}
                    >
                      <option value="keyword">is the keyword</option>
                      <option value="contains">contains</option>
                      <option value="any">is anything</option>
                    </select>
                  </Field>
                  {c.kind !== 'any' ? (
                    <Field id={cid('value')} label={c.kind === 'keyword' ? 'Keyword' : 'Text'}>
                      <input
                        id={cid('value')}
                        type="text"
                        value={c.value}
                        maxLength={160}
                        onChange={(e) => setCase(j, { value: e.target.value })}
                      />
                    </Field>
                  ) : null}
                  <Field id={cid('goto')} label="Go to">
                    <TargetSelect
                      id={cid('goto')}
                      value={c.goto}
                      steps={steps}
                      empty="Choose a step…"
                      error={caseError}
                      onChange={(goto) => setCase(j, { goto })}
                    />
                  </Field>
                  <button
                    type="button"
                    className="icon-btn icon-danger"
                    aria-label={`Remove case ${j + 1}`}
                    onClick={() => put({ cases: step.cases.filter((_, k) => k !== j) })}
                  >
                    ×
                  </button>
                  {caseError ? (
                    <p className="field-error rule-error" role="alert">
                      {caseError}
                    </p>
                  ) : null}
                </div>
              );
            })}
            <button
              type="button"
              className="btn btn-small"
              onClick={() =>
                put({
                  cases: [...step.cases, { key: newKey(), kind: 'keyword', value: '', goto: '' }],
                })
              }
            >
              Add a case
            </button>
            <div className="grid-2">
              <Field id={fid('otherwise')} label="Any other reply" error={err('otherwise')}>
                <TargetSelect
                  id={fid('otherwise')}
                  value={step.otherwise}
                  steps={steps}
                  empty="Then (below)"
                  error={err('otherwise')}
                  onChange={(otherwise) => put({ otherwise })}
                />
              </Field>
              <Field id={fid('noReply')} label="No reply (timed out)" error={err('noReply')}>
                <TargetSelect
                  id={fid('noReply')}
                  value={step.noReply}
                  steps={steps}
                  empty="Then (below)"
                  error={err('noReply')}
                  onChange={(noReply) => put({ noReply })}
                />
              </Field>
            </div>
          </div>
        ) : null}
        {step.type === 'set_attribute' ? (
          <>
            {text('name', 'Attribute')}
            {text('value', 'Value')}
            <Field id={fid('valueKind')} label="As">
              <select
                id={fid('valueKind')}
                value={step.valueKind}
                onChange={(e) => put({ valueKind: e.target.value as ValueKind })}
              >
                <option value="string">text</option>
                <option value="number">number</option>
                <option value="boolean">true / false</option>
              </select>
            </Field>
          </>
        ) : null}
        {step.type === 'clear_attribute' ? text('name', 'Attribute') : null}
        {step.type === 'set_consent' ? (
          <Field id={fid('to')} label="Consent" error={err('to')}>
            <select
              id={fid('to')}
              value={step.to}
              onChange={(e) => put({ to: e.target.value as StepForm['to'] })}
            >
              <option value="subscribed">subscribed</option>
              <option value="unsubscribed">unsubscribed</option>
            </select>
          </Field>
        ) : null}
        {step.type === 'add_to_list' || step.type === 'remove_from_list' ? (
          <Field id={fid('listId')} label="List" error={err('listId')}>
            <select
              id={fid('listId')}
              value={step.listId}
              onChange={(e) => put({ listId: e.target.value })}
              aria-invalid={err('listId') ? true : undefined}
              aria-describedby={describedBy(fid('listId'), err('listId'))}
            >
              <option value="">Choose a list…</option>
              {refs.lists.map((l) => (
                <option key={l.id} value={l.id}>
                  {l.name}
                </option>
              ))}
              {step.listId !== '' && !refs.lists.some((l) => l.id === step.listId) ? (
                <option value={step.listId}>{step.listId}</option>
              ) : null}
            </select>
          </Field>
        ) : null}
        {step.type === 'webhook' ? (
          <>
            {text('name', 'Webhook name', 'name', 'Sent as the flow.webhook event, signed')}
            {text('data', 'Data (JSON object)', 'data', '{"offer": "spring"}; values are scalars')}
          </>
        ) : null}
        {step.type !== 'end' ? (
          <Field id={fid('next')} label="Then" error={err('next')}>
            <TargetSelect
              id={fid('next')}
              value={step.next}
              steps={steps}
              empty={index === steps.length - 1 ? 'End the run' : 'The next step below'}
              error={err('next')}
              onChange={(next) => put({ next })}
            />
          </Field>
        ) : null}
      </div>
    </li>
  );
}
