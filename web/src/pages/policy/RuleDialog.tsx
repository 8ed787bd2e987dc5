/**
 * Add a custom send-time rule, edit one, or override a shipped rule for this sandbox: a window
 * per weekday (any number of intervals a day, none for a day without sends) or a cap, with the
 * server's field errors under the field, interval or day they name.
 */
import { useState } from 'react';
import { WEEKDAYS, type PolicyInterval, type PolicyRule, type Weekday } from '../../api';
import { pendingApproval, type PendingApproval } from '../../approval-notice';
import { useSession } from '../../session';
import { describedBy, Dialog, errorText, Field } from '../../ui';
import { detailsOf, placeErrors, type PlacedErrors } from './place-errors';
import { blankRule, ruleBody, ruleToForm, todayInput, type RuleForm } from './rule-form';
import { DAY_LABEL } from './rule-view';

/** Every path the form shows an error under (interval slots are added per interval). */
const FIXED_SLOTS = [
  '/name',
  '/scope',
  '/scope/country',
  '/scope/region',
  '/kind',
  '/window',
  '/window/days',
  '/window/timeZoneFrom',
  '/window/timeZone',
  '/window/holidays',
  '/cap',
  '/cap/max',
  '/cap/windowHours',
  '/cap/per',
  '/outside',
  '/exempt',
  '/source',
  '/effectiveFrom',
  '/effectiveUntil',
];

function slotsOf(form: RuleForm): string[] {
  const slots = [...FIXED_SLOTS];
  for (const day of WEEKDAYS) {
    slots.push(`/window/days/${day}`);
    form.days[day].forEach((_, i) => {
      slots.push(`/window/days/${day}/${i}`);
      slots.push(`/window/days/${day}/${i}/start`);
      slots.push(`/window/days/${day}/${i}/end`);
    });
  }
  return slots;
}

export type RuleDialogMode =
  { kind: 'create' } | { kind: 'edit'; rule: PolicyRule } | { kind: 'override'; rule: PolicyRule };

export function RuleDialog({
  mode,
  onClose,
  onSaved,
}: {
  mode: RuleDialogMode;
  onClose: () => void;
  onSaved: (rule: PolicyRule, approval?: PendingApproval) => void;
}) {
  const { api } = useSession();
  const today = todayInput();
  const [form, setForm] = useState<RuleForm>(() =>
    mode.kind === 'create' ? blankRule(today) : ruleToForm(mode.rule, today),
  );
  const [placed, setPlaced] = useState<PlacedErrors>({ bySlot: {}, rest: [] });
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof RuleForm>(key: K, value: RuleForm[K]) =>
    setForm((f) => ({ ...f, [key]: value }));
  const setDay = (day: Weekday, intervals: PolicyInterval[]) =>
    setForm((f) => ({ ...f, days: { ...f.days, [day]: intervals } }));
  const err = (slot: string) => placed.bySlot[slot];

  const save = async () => {
    setBusy(true);
    setPlaced({ bySlot: {}, rest: [] });
    setError(undefined);
    try {
      const body = ruleBody(form);
      const saved =
        mode.kind === 'create'
          ? await api.request<PolicyRule>('POST', '/v1/policy/rules', { body })
          : await api.request<PolicyRule>(
              'PATCH',
              `/v1/policy/rules/${encodeURIComponent(mode.rule.id)}`,
              // The version shown: a change made elsewhere meanwhile gets 412, not overwritten.
              { body, ifMatch: `"${mode.rule.version}"` },
            );
      // 202 when compliance approvals are on: the rule is unchanged until approved.
      onSaved(saved.body, saved.status === 202 ? pendingApproval(saved.body) : undefined);
    } catch (e) {
      setPlaced(placeErrors(detailsOf(e), slotsOf(form)));
      setError(errorText(e));
      setBusy(false);
      // The first field the server named, brought into view (the form is longer than the dialog).
      requestAnimationFrame(() =>
        document.querySelector<HTMLElement>('#policy-rule-form [aria-invalid="true"]')?.focus(),
      );
    }
  };

  const title =
    mode.kind === 'create'
      ? 'Add a send-time rule'
      : mode.kind === 'override'
        ? `Override “${mode.rule.name}” for this sandbox`
        : `Edit “${mode.rule.name}”`;
  return (
    <Dialog
      title={title}
      onClose={onClose}
      actions={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            form="policy-rule-form"
            className="btn btn-primary"
            disabled={busy}
            aria-busy={busy}
          >
            {mode.kind === 'create' ? 'Add rule' : 'Save rule'}
          </button>
        </>
      }
    >
      <form
        id="policy-rule-form"
        className="policy-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        {mode.kind === 'override' ? (
          <p className="muted small">
            The shipped rule stays as Tern ships it; this sandbox uses your version instead until
            you restore it.
          </p>
        ) : null}
        {error ? (
          <div className="banner banner-error" role="alert">
            <div>
              {error}
              {placed.rest.length > 0 ? (
                <ul className="problems">
                  {placed.rest.map((m) => (
                    <li key={m}>{m}</li>
                  ))}
                </ul>
              ) : null}
            </div>
          </div>
        ) : null}
        <Field id="rule-name" label="Name" error={err('/name')}>
          <input
            id="rule-name"
            type="text"
            value={form.name}
            maxLength={200}
            onChange={(e) => set('name', e.target.value)}
            aria-invalid={err('/name') ? true : undefined}
            aria-describedby={describedBy('rule-name', err('/name'))}
          />
        </Field>

        <fieldset className="policy-fieldset">
          <legend>Applies to</legend>
          <label className="radio">
            <input
              type="checkbox"
              checked={form.everywhere}
              onChange={(e) => set('everywhere', e.target.checked)}
            />{' '}
            Every recipient, wherever they are
          </label>
          {!form.everywhere ? (
            <div className="pair">
              <Field
                id="rule-country"
                label="Country"
                hint="ISO code, e.g. US, FR"
                error={err('/scope/country') ?? err('/scope')}
              >
                <input
                  id="rule-country"
                  type="text"
                  value={form.country}
                  maxLength={2}
                  onChange={(e) => set('country', e.target.value)}
                  aria-invalid={err('/scope/country') || err('/scope') ? true : undefined}
                  aria-describedby={describedBy(
                    'rule-country',
                    err('/scope/country') ?? err('/scope'),
                    true,
                  )}
                />
              </Field>
              <Field
                id="rule-region"
                label="State or region"
                hint="Optional, e.g. FL"
                error={err('/scope/region')}
              >
                <input
                  id="rule-region"
                  type="text"
                  value={form.region}
                  maxLength={3}
                  onChange={(e) => set('region', e.target.value)}
                  aria-invalid={err('/scope/region') ? true : undefined}
                  aria-describedby={describedBy('rule-region', err('/scope/region'), true)}
                />
              </Field>
            </div>
          ) : null}
        </fieldset>

        <Field id="rule-kind" label="Kind" error={err('/kind')}>
          <select
            id="rule-kind"
            value={form.kind}
            disabled={mode.kind !== 'create'}
            aria-describedby={mode.kind !== 'create' ? 'rule-kind-hint' : undefined}
            onChange={(e) => set('kind', e.target.value as RuleForm['kind'])}
          >
            <option value="window">Window: the hours a marketing text may go</option>
            <option value="cap">Cap: at most so many in a rolling period</option>
          </select>
          {mode.kind !== 'create' ? (
            <div className="hint" id="rule-kind-hint">
              A rule keeps its kind; add another rule for the other kind.
            </div>
          ) : null}
        </Field>

        {form.kind === 'window' ? (
          <fieldset className="policy-fieldset" aria-describedby="rule-days-hint">
            <legend>Hours per weekday</legend>
            <div className="pair">
              <Field id="rule-zone-from" label="Read in" error={err('/window/timeZoneFrom')}>
                <select
                  id="rule-zone-from"
                  value={form.zoneFrom}
                  onChange={(e) => set('zoneFrom', e.target.value as RuleForm['zoneFrom'])}
                >
                  <option value="recipient">the recipient&apos;s local time</option>
                  <option value="fixed">one fixed time zone</option>
                </select>
              </Field>
              {form.zoneFrom === 'fixed' ? (
                <Field
                  id="rule-zone"
                  label="Time zone"
                  hint="IANA, e.g. Asia/Kolkata"
                  error={err('/window/timeZone')}
                >
                  <input
                    id="rule-zone"
                    type="text"
                    value={form.timeZone}
                    maxLength={64}
                    onChange={(e) => set('timeZone', e.target.value)}
                    aria-invalid={err('/window/timeZone') ? true : undefined}
                    aria-describedby={describedBy('rule-zone', err('/window/timeZone'), true)}
                  />
                </Field>
              ) : null}
            </div>
            <p className="hint" id="rule-days-hint">
              A day with no interval allows no marketing texts.{' '}
              <button
                type="button"
                className="btn-link"
                onClick={() =>
                  setForm((f) => ({
                    ...f,
                    days: Object.fromEntries(
                      WEEKDAYS.map((d) => [d, f.days.mon.map((i) => ({ ...i }))]),
                    ) as RuleForm['days'],
                  }))
                }
              >
                Copy Monday to every day
              </button>
            </p>
            {err('/window') || err('/window/days') ? (
              <div className="field-error" role="alert">
                {err('/window') ?? err('/window/days')}
              </div>
            ) : null}
            {WEEKDAYS.map((day) => (
              <DayRow
                key={day}
                day={day}
                intervals={form.days[day]}
                onChange={(intervals) => setDay(day, intervals)}
                err={err}
              />
            ))}
            <Field
              id="rule-holidays"
              label="No sends on the public holidays of"
              hint="Optional calendar, e.g. FR"
              error={err('/window/holidays')}
            >
              <input
                id="rule-holidays"
                type="text"
                value={form.holidays}
                maxLength={10}
                onChange={(e) => set('holidays', e.target.value)}
                aria-invalid={err('/window/holidays') ? true : undefined}
                aria-describedby={describedBy('rule-holidays', err('/window/holidays'), true)}
              />
            </Field>
          </fieldset>
        ) : (
          <fieldset className="policy-fieldset">
            <legend>Cap</legend>
            {err('/cap') ? (
              <div className="field-error" role="alert">
                {err('/cap')}
              </div>
            ) : null}
            <div className="pair">
              <Field id="rule-cap-max" label="At most" error={err('/cap/max')}>
                <input
                  id="rule-cap-max"
                  type="number"
                  min={1}
                  value={form.capMax}
                  onChange={(e) => set('capMax', e.target.value)}
                  aria-invalid={err('/cap/max') ? true : undefined}
                  aria-describedby={describedBy('rule-cap-max', err('/cap/max'))}
                />
              </Field>
              <Field id="rule-cap-hours" label="In any (hours)" error={err('/cap/windowHours')}>
                <input
                  id="rule-cap-hours"
                  type="number"
                  min={1}
                  value={form.capWindowHours}
                  onChange={(e) => set('capWindowHours', e.target.value)}
                  aria-invalid={err('/cap/windowHours') ? true : undefined}
                  aria-describedby={describedBy('rule-cap-hours', err('/cap/windowHours'))}
                />
              </Field>
              <Field id="rule-cap-per" label="Counted" error={err('/cap/per')}>
                <select
                  id="rule-cap-per"
                  value={form.capPer}
                  onChange={(e) => set('capPer', e.target.value as RuleForm['capPer'])}
                >
                  <option value="subject">per number, on one subject</option>
                  <option value="number">per number, any subject</option>
                </select>
              </Field>
            </div>
          </fieldset>
        )}

        <fieldset className="policy-fieldset">
          <legend>Outside the window or over the cap</legend>
          <div className="radios">
            {(
              [
                ['hold', 'Hold it in Tern until the window opens'],
                ['drop', 'Drop it, with a coded reason'],
              ] as const
            ).map(([value, label]) => (
              <label className="radio" key={value}>
                <input
                  type="radio"
                  name="rule-outside"
                  value={value}
                  checked={form.outside === value}
                  onChange={() => set('outside', value)}
                />{' '}
                {label}
              </label>
            ))}
          </div>
          {err('/outside') ? (
            <div className="field-error" role="alert">
              {err('/outside')}
            </div>
          ) : null}
        </fieldset>

        <fieldset className="policy-fieldset">
          <legend>Exempt (sent at any hour)</legend>
          <label className="radio">
            <input
              type="checkbox"
              checked={form.exemptTransactional}
              onChange={(e) => set('exemptTransactional', e.target.checked)}
            />{' '}
            Transactional texts
          </label>
          <label className="radio">
            <input
              type="checkbox"
              checked={form.exemptOneTimeCodes}
              onChange={(e) => set('exemptOneTimeCodes', e.target.checked)}
            />{' '}
            One-time codes
          </label>
          <p className="hint">The opt-out confirmation and HELP replies always go out.</p>
          {err('/exempt') ? (
            <div className="field-error" role="alert">
              {err('/exempt')}
            </div>
          ) : null}
        </fieldset>

        <Field
          id="rule-source"
          label="Source"
          hint="The law or policy this follows, e.g. Fla. Stat. §501.059"
          error={err('/source')}
        >
          <input
            id="rule-source"
            type="text"
            value={form.source}
            maxLength={500}
            onChange={(e) => set('source', e.target.value)}
            aria-invalid={err('/source') ? true : undefined}
            aria-describedby={describedBy('rule-source', err('/source'), true)}
          />
        </Field>
        <div className="pair">
          <Field id="rule-from" label="In force from" error={err('/effectiveFrom')}>
            <input
              id="rule-from"
              type="date"
              value={form.effectiveFrom}
              onChange={(e) => set('effectiveFrom', e.target.value)}
              aria-invalid={err('/effectiveFrom') ? true : undefined}
              aria-describedby={describedBy('rule-from', err('/effectiveFrom'))}
            />
          </Field>
          <Field id="rule-until" label="Until" hint="Optional" error={err('/effectiveUntil')}>
            <input
              id="rule-until"
              type="date"
              value={form.effectiveUntil}
              onChange={(e) => set('effectiveUntil', e.target.value)}
              aria-invalid={err('/effectiveUntil') ? true : undefined}
              aria-describedby={describedBy('rule-until', err('/effectiveUntil'), true)}
            />
          </Field>
        </div>
      </form>
    </Dialog>
  );
}

/** One weekday's intervals: start and end inputs each, add and remove. */
function DayRow({
  day,
  intervals,
  onChange,
  err,
}: {
  day: Weekday;
  intervals: PolicyInterval[];
  onChange: (intervals: PolicyInterval[]) => void;
  err: (slot: string) => string | undefined;
}) {
  const dayError = err(`/window/days/${day}`);
  const update = (i: number, patch: Partial<PolicyInterval>) =>
    onChange(intervals.map((iv, j) => (j === i ? { ...iv, ...patch } : iv)));
  return (
    <div className="policy-day" role="group" aria-label={DAY_LABEL[day]}>
      <div className="policy-day-name">{DAY_LABEL[day]}</div>
      <div className="policy-day-intervals">
        {intervals.length === 0 ? <span className="muted small">No sends</span> : null}
        {intervals.map((iv, i) => {
          const base = `/window/days/${day}/${i}`;
          const startId = `rule-${day}-${i}-start`;
          const endId = `rule-${day}-${i}-end`;
          const startErr = err(`${base}/start`);
          const endErr = err(`${base}/end`);
          const rowErr = err(base);
          return (
            <div className="policy-interval" key={i}>
              <label htmlFor={startId} className="visually-hidden">
                {`${DAY_LABEL[day]} from${intervals.length > 1 ? ` (${i + 1})` : ''}`}
              </label>
              <input
                id={startId}
                type="text"
                className="policy-hhmm"
                inputMode="numeric"
                placeholder="HH:MM"
                maxLength={5}
                value={iv.start}
                onChange={(e) => update(i, { start: e.target.value })}
                aria-invalid={startErr || rowErr ? true : undefined}
                aria-describedby={describedBy(startId, startErr)}
              />
              <span aria-hidden="true">–</span>
              <label htmlFor={endId} className="visually-hidden">
                {`${DAY_LABEL[day]} until${intervals.length > 1 ? ` (${i + 1})` : ''}`}
              </label>
              <input
                id={endId}
                type="text"
                className="policy-hhmm"
                inputMode="numeric"
                placeholder="HH:MM"
                maxLength={5}
                value={iv.end}
                onChange={(e) => update(i, { end: e.target.value })}
                aria-invalid={endErr || rowErr ? true : undefined}
                aria-describedby={describedBy(endId, endErr ?? rowErr)}
              />
              <button
                type="button"
                className="icon-btn"
                aria-label={`Remove ${DAY_LABEL[day]} interval ${i + 1}`}
                title="Remove"
                onClick={() => onChange(intervals.filter((_, j) => j !== i))}
              >
                ×
              </button>
              {startErr ? (
                <div className="field-error" id={`${startId}-error`} role="alert">
                  {startErr}
                </div>
              ) : null}
              {(endErr ?? rowErr) ? (
                <div className="field-error" id={`${endId}-error`} role="alert">
                  {endErr ?? rowErr}
                </div>
              ) : null}
            </div>
          );
        })}
        <button
          type="button"
          className="btn btn-small"
          aria-label={`Add ${DAY_LABEL[day]} interval`}
          onClick={() =>
            onChange([
              ...intervals,
              intervals.length === 0
                ? { start: '08:00', end: '21:00' }
                : { start: '18:00', end: '20:00' },
            ])
          }
        >
          + interval
        </button>
      </div>
      {dayError ? (
        <div className="field-error policy-day-error" role="alert">
          {dayError}
        </div>
      ) : null}
    </div>
  );
}
