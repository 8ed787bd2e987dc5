/**
 * The dry run (`POST /v1/policy/check`): when would a text to this number go if sent at this
 * moment, which rule decided, which signal placed the recipient, and the zone it resolved to.
 * Nothing is sent or stored.
 */
import { useState, type FormEvent } from 'react';
import type { PolicyCheck, PolicyRule } from '../../api';
import { fieldErrors } from '../../edit-form';
import { useSession } from '../../session';
import { describedBy, errorText, Field } from '../../ui';
import { formatInZone, sourceLabel } from './rule-view';

interface CheckForm {
  to: string;
  messageType: 'marketing' | 'transactional';
  at: string;
  timeZone: string;
  region: string;
  subject: string;
}

/** A datetime-local value (the browser's zone) as an ISO instant; undefined when empty. */
function atOf(local: string): string | undefined {
  if (local.trim() === '') return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? local : date.toISOString();
}

export function DryRun({ rules }: { rules: PolicyRule[] }) {
  const { api } = useSession();
  const [form, setForm] = useState<CheckForm>({
    to: '',
    messageType: 'marketing',
    at: '',
    timeZone: '',
    region: '',
    subject: '',
  });
  const [result, setResult] = useState<{ check: PolicyCheck; at: string | undefined }>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof CheckForm>(key: K, value: CheckForm[K]) =>
    setForm((f) => ({ ...f, [key]: value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setError(undefined);
    try {
      const at = atOf(form.at);
      const attributes = {
        ...(form.timeZone.trim() ? { timeZone: form.timeZone.trim() } : {}),
        ...(form.region.trim() ? { state: form.region.trim() } : {}),
      };
      const check = await api.post<PolicyCheck>('/v1/policy/check', {
        to: form.to.trim(),
        messageType: form.messageType,
        ...(at ? { at } : {}),
        // The caps count this subject's sends to the number (a campaign id, a template category).
        ...(form.subject.trim() ? { subject: form.subject.trim() } : {}),
        ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
      });
      setResult({ check, at });
    } catch (err) {
      setResult(undefined);
      setErrors(fieldErrors(err));
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const placed = Object.keys(errors).some((k) =>
    ['to', 'messageType', 'at', 'attributes', 'subject'].includes(k),
  );
  return (
    <section className="card" id="dry-run" aria-labelledby="dry-run-title">
      <h2 className="h3" id="dry-run-title">
        Dry run: when would it go?
      </h2>
      <form className="policy-check" onSubmit={(e) => void submit(e)} noValidate>
        <div className="policy-check-fields">
          <Field id="check-to" label="To" error={errors.to} hint="International format">
            <input
              id="check-to"
              type="tel"
              value={form.to}
              placeholder="+13055550100"
              maxLength={32}
              onChange={(e) => set('to', e.target.value)}
              aria-invalid={errors.to ? true : undefined}
              aria-describedby={describedBy('check-to', errors.to, true)}
            />
          </Field>
          <Field id="check-type" label="Message type" error={errors.messageType}>
            <select
              id="check-type"
              value={form.messageType}
              onChange={(e) => set('messageType', e.target.value as CheckForm['messageType'])}
            >
              <option value="marketing">marketing</option>
              <option value="transactional">transactional</option>
            </select>
          </Field>
          <Field
            id="check-at"
            label="Sent at"
            error={errors.at}
            hint="Your local time; empty for now"
          >
            <input
              id="check-at"
              type="datetime-local"
              value={form.at}
              onChange={(e) => set('at', e.target.value)}
              aria-invalid={errors.at ? true : undefined}
              aria-describedby={describedBy('check-at', errors.at, true)}
            />
          </Field>
        </div>
        <details className="policy-check-profile">
          <summary>Profile attributes and subject (optional)</summary>
          <div className="policy-check-fields">
            <Field
              id="check-tz"
              label="Time zone attribute"
              hint="IANA, e.g. America/Chicago"
              error={errors.attributes}
            >
              <input
                id="check-tz"
                type="text"
                value={form.timeZone}
                maxLength={64}
                onChange={(e) => set('timeZone', e.target.value)}
                aria-describedby={describedBy('check-tz', errors.attributes, true)}
              />
            </Field>
            <Field id="check-state" label="State attribute" hint="e.g. VA">
              <input
                id="check-state"
                type="text"
                value={form.region}
                maxLength={64}
                onChange={(e) => set('region', e.target.value)}
                aria-describedby="check-state-hint"
              />
            </Field>
            <Field
              id="check-subject"
              label="Subject"
              hint="For the caps: a campaign id or template category"
              error={errors.subject}
            >
              <input
                id="check-subject"
                type="text"
                value={form.subject}
                maxLength={100}
                onChange={(e) => set('subject', e.target.value)}
                aria-invalid={errors.subject ? true : undefined}
                aria-describedby={describedBy('check-subject', errors.subject, true)}
              />
            </Field>
          </div>
        </details>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy} aria-busy={busy}>
            Check
          </button>
        </div>
        {error && !placed ? (
          <p className="field-error" role="alert">
            {error}
          </p>
        ) : null}
      </form>
      {result ? <CheckResult check={result.check} at={result.at} rules={rules} /> : null}
    </section>
  );
}

const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

function CheckResult({
  check,
  at,
  rules,
}: {
  check: PolicyCheck;
  at: string | undefined;
  rules: PolicyRule[];
}) {
  const zone = check.location.timeZone;
  const rule = check.rule ? rules.find((r) => r.id === check.rule) : undefined;
  const headline =
    check.action === 'send'
      ? at
        ? `Goes at once: ${formatInZone(at, zone)}${zone ? ` (${zone})` : ''}`
        : 'Goes now'
      : check.action === 'hold'
        ? `Held until ${check.scheduledFor ? formatInZone(check.scheduledFor, zone) : '—'}${zone ? ` (${zone})` : ''}`
        : `Dropped${check.reason ? `: ${check.reason.replace(/_/g, ' ')}` : ''}`;
  const tone =
    check.action === 'send'
      ? 'banner-ok'
      : check.action === 'hold'
        ? 'banner-warn'
        : 'banner-error';
  return (
    <div className="policy-check-result" data-testid="policy-check-result" aria-live="polite">
      <div className={`banner ${tone}`}>
        <strong data-testid="policy-check-headline">{headline}</strong>
      </div>
      <dl className="facts">
        <dt>Rule</dt>
        <dd data-testid="policy-check-rule">
          {check.rule ? (rule ? `${rule.name} (${check.rule})` : check.rule) : 'none applies'}
        </dd>
        {rule ? (
          <>
            <dt>Rule&apos;s source</dt>
            <dd>{rule.source}</dd>
          </>
        ) : null}
        <dt>Location decided by</dt>
        <dd data-testid="policy-check-source">{sourceLabel(check.source)}</dd>
        <dt>Resolved zone</dt>
        <dd data-testid="policy-check-zone">{zone ?? 'unknown'}</dd>
        {check.location.timeZones && check.location.timeZones.length > 1 ? (
          <>
            <dt>Possible zones</dt>
            <dd>{check.location.timeZones.join(', ')} (it waits until every one is open)</dd>
          </>
        ) : null}
        <dt>Place</dt>
        <dd>
          {[check.location.country, check.location.region].filter(Boolean).join(' · ') || '—'}
        </dd>
        {check.scheduledFor && zone !== browserZone() ? (
          <>
            <dt>In your time</dt>
            <dd>{formatInZone(check.scheduledFor, undefined)}</dd>
          </>
        ) : null}
        {check.location.ignored && check.location.ignored.length > 0 ? (
          <>
            <dt>Ignored</dt>
            <dd>
              <ul className="problems">
                {check.location.ignored.map((i) => (
                  <li key={i.attribute}>
                    {i.attribute}: {i.reason}
                  </li>
                ))}
              </ul>
            </dd>
          </>
        ) : null}
      </dl>
    </div>
  );
}
