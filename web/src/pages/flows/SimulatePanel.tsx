/**
 * A flow against a scripted conversation on a manual clock (`POST /v1/flows/{id}/simulate`,
 * the editor's unsaved definition included): the texts that would go out and the timeline,
 * nothing sent.
 */
import { useState, type FormEvent } from 'react';
import { ApiError, type ErrorDetail } from '../../api';
import { useSession } from '../../session';
import { Badge, describedBy, errorText, Field } from '../../ui';
import type { FlowForm } from './flow-form';
import type { SimulateBody, SimulatedConsent, SimulationResult } from './flow-types';
import {
  formatOffset,
  parseScript,
  SCRIPT_LIMITS,
  UNIT_SECONDS,
  type DurationUnit,
} from './script';

const UNTIL = /^\s*(\d{1,6})\s*(s|min|h|d)\s*$/i;

/** Where an API problem about the script points, in the operator's words. */
function describe(detail: ErrorDetail): string {
  const m = /^\/script\/(\d+)(\/.*)?$/.exec(detail.path ?? '');
  if (m)
    return `Script line ${Number(m[1]) + 1}${m[2] ? ` (${m[2].slice(1)})` : ''}: ${detail.message}`;
  return detail.path ? `${detail.path}: ${detail.message}` : detail.message;
}

export function SimulatePanel({
  flowId,
  definition,
  trigger,
}: {
  flowId: string;
  definition: unknown;
  trigger: Pick<FlowForm, 'triggerType' | 'keyword'>;
}) {
  const { api } = useSession();
  const keywordTrigger = trigger.triggerType === 'keyword';
  const [script, setScript] = useState(
    keywordTrigger && trigger.keyword ? `at 0 s the person texts ${trigger.keyword}` : '',
  );
  const [start, setStart] = useState(!keywordTrigger);
  const [consent, setConsent] = useState<'' | SimulatedConsent>('');
  const [until, setUntil] = useState('');
  const [attributes, setAttributes] = useState('');
  const [phone, setPhone] = useState('');
  const [problems, setProblems] = useState<string[]>([]);
  const [error, setError] = useState<string>();
  const [result, setResult] = useState<SimulationResult>();
  const [busy, setBusy] = useState(false);

  const run = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    const parsed = parseScript(script);
    const local: string[] = parsed.ok ? [] : [...parsed.problems];
    const untilMatch = UNTIL.exec(until);
    if (until.trim() !== '' && !untilMatch)
      local.push('Stop at: write a duration like 2 d or 36 h.');
    let attrs: Record<string, unknown> | undefined;
    if (attributes.trim() !== '') {
      try {
        const value: unknown = JSON.parse(attributes);
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error();
        attrs = value as Record<string, unknown>;
      } catch {
        local.push('Attributes: a JSON object, e.g. {"firstName": "Ann"}.');
      }
    }
    setProblems(local);
    if (!parsed.ok || local.length > 0) return;
    const body: SimulateBody = {
      script: parsed.script,
      definition,
      ...(start ? { start: true } : {}),
      ...(consent ? { consent } : {}),
      ...(untilMatch
        ? {
            untilSeconds:
              Number(untilMatch[1]) *
              UNIT_SECONDS[(untilMatch[2] ?? 's').toLowerCase() as DurationUnit],
          }
        : {}),
      ...(attrs ? { attributes: attrs } : {}),
      ...(phone.trim() !== '' ? { phone: phone.trim() } : {}),
    };
    setBusy(true);
    try {
      setResult(await api.post<SimulationResult>(`/v1/flows/${flowId}/simulate`, body));
    } catch (err) {
      setResult(undefined);
      setError(errorText(err));
      setProblems(err instanceof ApiError ? err.details.map(describe) : []);
    } finally {
      setBusy(false);
    }
  };

  const scriptError = problems.length > 0 ? problems.join(' ') : undefined;
  return (
    <section className="card flow-simulate" aria-labelledby="simulate-heading">
      <h2 id="simulate-heading">Simulate</h2>
      <p className="muted">
        A conversation on a manual clock: nothing is sent, consent and the send-time policy are
        judged as a real run would. The editor&apos;s unsaved steps are used.
      </p>
      <form className="form" onSubmit={(e) => void run(e)} noValidate>
        <Field
          id="sim-script"
          label="Script"
          error={scriptError}
          hint='One text a line: "at 0 s the person texts OFFERS", "at 1 h the person texts STOP" (s, min, h, d)'
        >
          <textarea
            id="sim-script"
            rows={4}
            className="body-input"
            value={script}
            maxLength={SCRIPT_LIMITS.lines * 120}
            onChange={(e) => setScript(e.target.value)}
            aria-invalid={scriptError ? true : undefined}
            aria-describedby={describedBy('sim-script', scriptError, true)}
          />
        </Field>
        <div className="grid-2">
          <Field id="sim-consent" label="Consent at 0 s">
            <select
              id="sim-consent"
              value={consent}
              onChange={(e) => setConsent(e.target.value as '' | SimulatedConsent)}
            >
              <option value="">As the sandbox assumes (default)</option>
              <option value="subscribed">subscribed</option>
              <option value="unsubscribed">unsubscribed</option>
              <option value="pending">pending</option>
              <option value="unknown">unknown</option>
            </select>
          </Field>
          <Field id="sim-until" label="Stop at" hint="Optional: 2 d, 36 h">
            <input
              id="sim-until"
              type="text"
              value={until}
              maxLength={12}
              onChange={(e) => setUntil(e.target.value)}
            />
          </Field>
          <Field
            id="sim-phone"
            label="As the person"
            hint="Optional: a number whose profile (consent, attributes, time zone) is used"
          >
            <input
              id="sim-phone"
              type="tel"
              value={phone}
              maxLength={32}
              placeholder="+14155550100"
              onChange={(e) => setPhone(e.target.value)}
            />
          </Field>
          <Field id="sim-attributes" label="Profile attributes (JSON)" hint="For the templates">
            <input
              id="sim-attributes"
              type="text"
              value={attributes}
              maxLength={4000}
              placeholder='{"firstName": "Ann"}'
              onChange={(e) => setAttributes(e.target.value)}
            />
          </Field>
          <label className="rule-checks flow-check">
            <input type="checkbox" checked={start} onChange={(e) => setStart(e.target.checked)} />
            <span>Start a run at 0 s without a text</span>
          </label>
        </div>
        {error ? (
          <div className="banner banner-error" role="alert">
            {error}
          </div>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Simulating…' : 'Simulate'}
          </button>
        </div>
      </form>
      {result ? <SimulationView result={result} /> : null}
    </section>
  );
}

function SimulationView({ result }: { result: SimulationResult }) {
  return (
    <div className="flow-sim-result" data-testid="simulation">
      <p className="muted">
        {result.runs.length === 0
          ? 'No run started.'
          : result.runs
              .map(
                (r, i) =>
                  `Run ${i + 1}: ${formatOffset(r.startedAtSeconds)} → ${
                    r.endedAtSeconds === null
                      ? 'still going'
                      : `${formatOffset(r.endedAtSeconds)}, ${(r.endReason ?? '').replace(/_/g, ' ')}`
                  }`,
              )
              .join(' · ')}{' '}
        (simulated to {formatOffset(result.endedAtSeconds)})
      </p>
      <h3 className="h3">Messages that would go out</h3>
      {result.messages.length === 0 ? (
        <p className="muted" data-testid="no-messages">
          No messages.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="table" aria-label="Simulated messages">
            <thead>
              <tr>
                <th scope="col">At</th>
                <th scope="col">From</th>
                <th scope="col">Text</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {result.messages.map((m, i) => (
                <tr key={`${m.atSeconds}-${i}`}>
                  <td className="flow-offset">{formatOffset(m.atSeconds)}</td>
                  <td>{m.kind === 'flow' ? `step ${m.stepId ?? ''}` : 'automatic reply'}</td>
                  <td className="cell-text">{m.text ?? '—'}</td>
                  <td>
                    <Badge value={m.status} />
                    {m.reason ? <div className="muted small">{m.reason}</div> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3 className="h3">Timeline</h3>
      <ol className="timeline" aria-label="Simulated timeline">
        {result.timeline.map((t, i) => (
          <li key={`${t.atSeconds}-${i}`}>
            <span className="timeline-at flow-offset">{formatOffset(t.atSeconds)}</span>
            <Badge value={t.kind} /> {t.detail}
            {t.stepId ? <span className="muted"> · {t.stepId}</span> : null}
          </li>
        ))}
      </ol>
    </div>
  );
}
