/**
 * Create / edit API credentials: every field of the credential, server errors next to their
 * fields, the stale-version conflict explained, Verify connection and the webhook URLs.
 */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { DEFAULT_REPLIES } from '../../../src/credentials/credential.js';
import {
  DEFAULT_HELP_KEYWORDS,
  DEFAULT_OPT_IN_KEYWORDS,
  MANDATORY_OPT_OUT_KEYWORDS,
} from '../../../src/credentials/keywords.js';
import { permissionRuleOf } from '../../../src/http/route-permissions.js';
import { Button, needsText, useAccess, type Permission } from '../access';
import { ApiError, type Credential, type FuzzyOptOut, type VerifyResult } from '../api';
import { approvalOr } from '../approval-notice';
import { Link, navigate } from '../router';
import { auditPath } from './Audit';
import { useSession } from '../session';
import {
  BinIcon,
  CopyButton,
  describedBy,
  Dialog,
  ErrorBanner,
  errorText,
  Field,
  formatDate,
  KeywordInput,
  Loading,
  SegmentCounter,
  splitKeywords,
} from '../ui';
import { DeleteCredentialDialog } from './Credentials';
import { HealthPanel } from '../health';
import { KeywordResponses } from './keyword-responses';

interface FormState {
  name: string;
  baseUrl: string;
  apiKey: string;
  optInKeywords: string;
  optInMessage: string;
  optOutKeywords: string;
  optOutMessage: string;
  helpKeywords: string;
  helpMessage: string;
  doubleOptInKeywords: string;
  doubleOptInMessage: string;
  dltPrincipalEntityId: string;
  dltContentTemplateId: string;
  dltTelemarketerId: string;
  /** Minutes, as typed (the API takes {amount, timeUnit}). */
  validityPeriod: string;
  callbackData: string;
  inboundNumber: string;
  customInboundKeywords: string;
  defaultInboundReply: string;
  fuzzyOptOut: FuzzyOptOut;
  fuzzyOptOutReply: string;
  sendRatePerSecond: string;
}

const EMPTY: FormState = {
  name: '',
  baseUrl: '',
  apiKey: '',
  optInKeywords: DEFAULT_OPT_IN_KEYWORDS.join(', '),
  optInMessage: DEFAULT_REPLIES.optInMessage,
  optOutKeywords: '',
  optOutMessage: DEFAULT_REPLIES.optOutMessage,
  helpKeywords: DEFAULT_HELP_KEYWORDS.join(', '),
  helpMessage: DEFAULT_REPLIES.helpMessage,
  doubleOptInKeywords: '',
  doubleOptInMessage: DEFAULT_REPLIES.doubleOptInMessage,
  dltPrincipalEntityId: '',
  dltContentTemplateId: '',
  dltTelemarketerId: '',
  validityPeriod: '2880',
  callbackData: '',
  inboundNumber: '',
  customInboundKeywords: '',
  defaultInboundReply: '',
  fuzzyOptOut: 'off',
  fuzzyOptOutReply: DEFAULT_REPLIES.fuzzyOptOutReply,
  sendRatePerSecond: '100',
};

const MANDATORY: readonly string[] = MANDATORY_OPT_OUT_KEYWORDS;

function fromCredential(c: Credential): FormState {
  return {
    name: c.name,
    baseUrl: c.baseUrl,
    apiKey: '',
    optInKeywords: c.optInKeywords.join(', '),
    optInMessage: c.optInMessage,
    optOutKeywords: c.optOutKeywords.filter((k) => !MANDATORY.includes(k)).join(', '),
    optOutMessage: c.optOutMessage,
    helpKeywords: c.helpKeywords.join(', '),
    helpMessage: c.helpMessage,
    doubleOptInKeywords: c.doubleOptInKeywords.join(', '),
    doubleOptInMessage: c.doubleOptInMessage,
    dltPrincipalEntityId: c.dltPrincipalEntityId ?? '',
    dltContentTemplateId: c.dltContentTemplateId ?? '',
    dltTelemarketerId: c.dltTelemarketerId ?? '',
    validityPeriod: String(validityMinutes(c.validityPeriod)),
    callbackData: c.callbackData ?? '',
    inboundNumber: c.inboundNumber ?? '',
    customInboundKeywords: c.customInboundKeywords.join(', '),
    defaultInboundReply: c.defaultInboundReply ?? '',
    fuzzyOptOut: c.fuzzyOptOut,
    fuzzyOptOutReply: c.fuzzyOptOutReply,
    sendRatePerSecond: String(c.sendRatePerSecond),
  };
}

/** A stored validity period in minutes, for the form (seconds show as a fraction). */
function validityMinutes(period: { amount: number; timeUnit: 'SECONDS' | 'MINUTES' | 'HOURS' }) {
  const perMinute = { SECONDS: 1 / 60, MINUTES: 1, HOURS: 60 }[period.timeUnit];
  return Math.round(period.amount * perMinute * 100) / 100;
}

/** Which permission each body field needs (keyword settings: compliance; the rest: manage). */
const RULE = permissionRuleOf('PATCH', '/v1/credentials/:id');
const fieldPermission = (key: string): Permission => RULE.fields?.[key] ?? RULE.permission;

/**
 * The request body: numbers as numbers (the server reports a bad one on its field). Only the
 * fields the caller may change are sent: Tern refuses a body carrying one they may not.
 */
function toBody(
  form: FormState,
  creating: boolean,
  can: (permission: Permission) => boolean,
): Record<string, unknown> {
  const nullable = (text: string) => (text.trim() === '' ? null : text.trim());
  const integer = (text: string) => (/^\s*-?\d+\s*$/.test(text) ? Number(text) : text);
  const body: Record<string, unknown> = {
    name: form.name.trim(),
    provider: 'infobip',
    baseUrl: form.baseUrl.trim(),
    optInKeywords: splitKeywords(form.optInKeywords),
    optInMessage: form.optInMessage,
    optOutKeywords: [...MANDATORY, ...splitKeywords(form.optOutKeywords)],
    optOutMessage: form.optOutMessage,
    helpKeywords: splitKeywords(form.helpKeywords),
    helpMessage: form.helpMessage,
    doubleOptInKeywords: splitKeywords(form.doubleOptInKeywords),
    doubleOptInMessage: form.doubleOptInMessage,
    dltPrincipalEntityId: nullable(form.dltPrincipalEntityId),
    dltContentTemplateId: nullable(form.dltContentTemplateId),
    dltTelemarketerId: nullable(form.dltTelemarketerId),
    validityPeriod: { amount: integer(form.validityPeriod), timeUnit: 'MINUTES' },
    callbackData: nullable(form.callbackData),
    inboundNumber: nullable(form.inboundNumber),
    customInboundKeywords: splitKeywords(form.customInboundKeywords),
    defaultInboundReply: nullable(form.defaultInboundReply),
    fuzzyOptOut: form.fuzzyOptOut,
    fuzzyOptOutReply: form.fuzzyOptOutReply,
    sendRatePerSecond: integer(form.sendRatePerSecond),
  };
  // Write-only: left empty on edit, the stored key is kept.
  if (creating || form.apiKey.trim() !== '') body.apiKey = form.apiKey.trim();
  return Object.fromEntries(Object.entries(body).filter(([key]) => can(fieldPermission(key))));
}

export function CredentialForm({ id }: { id?: string | undefined }) {
  const { api } = useSession();
  const { can, reason } = useAccess();
  const creating = id === undefined;
  const locked = (key: keyof FormState) => !can(fieldPermission(key));
  // Creating needs manage; an edit needs manage or compliance (each for its own fields).
  const saveReason = creating
    ? reason('manage')
    : can('manage') || can('compliance')
      ? undefined
      : 'Needs the owner or compliance role';
  const [form, setForm] = useState<FormState>(EMPTY);
  const [stored, setStored] = useState<Credential>();
  const [etag, setEtag] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<unknown>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string>();
  const [conflict, setConflict] = useState(false);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<string>();
  const [deleting, setDeleting] = useState(false);

  const load = async () => {
    if (!id) return;
    try {
      const res = await api.request<Credential>('GET', `/v1/credentials/${id}`);
      setStored(res.body);
      setEtag(res.etag);
      setForm(fromCredential(res.body));
      setLoadError(undefined);
    } catch (err) {
      setLoadError(err);
    }
  };
  useEffect(() => {
    void load();
  }, [id]);

  const set =
    <K extends keyof FormState>(key: K) =>
    (value: FormState[K]) => {
      setForm((f) => ({ ...f, [key]: value }));
      setSaved(undefined);
    };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setFormError(undefined);
    setConflict(false);
    try {
      if (creating) {
        const res = await api.request<Credential>('POST', '/v1/credentials', {
          body: toBody(form, true, can),
        });
        navigate(`/credentials/${res.body.id}?created=1`, { replace: true });
        return;
      }
      // Only what changed, keyword fields apart: when the sandbox asks for compliance approvals
      // they wait for a second person (202) and must be sent alone; the rest is saved at once.
      const before = stored ? toBody(fromCredential(stored), false, can) : {};
      const changed = Object.entries(toBody(form, false, can)).filter(
        ([key, value]) => JSON.stringify(value) !== JSON.stringify(before[key]),
      );
      const keywords = changed.filter(([key]) => fieldPermission(key) === 'compliance');
      const others = changed.filter(([key]) => fieldPermission(key) !== 'compliance');
      let currentEtag = etag;
      let sentForApproval: string | undefined;
      let latest: Credential | undefined;
      for (const part of [others, keywords]) {
        if (part.length === 0) continue;
        const res = await api.request<Credential>('PATCH', `/v1/credentials/${id}`, {
          body: Object.fromEntries(part),
          ifMatch: currentEtag,
        });
        if (res.status === 202) {
          sentForApproval = approvalOr(res, '');
          continue;
        }
        currentEtag = res.etag;
        latest = res.body;
        setStored(res.body);
        setEtag(res.etag);
      }
      // The form shows what is stored, except keyword edits still waiting for approval.
      if (latest && !sentForApproval) setForm(fromCredential(latest));
      setSaved(
        sentForApproval
          ? others.length > 0
            ? `Other changes saved. Keyword settings: ${sentForApproval}`
            : sentForApproval
          : changed.length === 0
            ? 'Nothing changed.'
            : 'Changes saved.',
      );
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) setConflict(true);
      else if (err instanceof ApiError) {
        const fields = err.fieldErrors();
        setErrors(fields);
        setFormError(
          Object.keys(fields).length > 0
            ? `${err.message} Fix the highlighted fields and submit again.`
            : err.message,
        );
        // Take the operator to the first field in trouble.
        const first = Object.keys(fields)[0];
        if (first) document.getElementById(`cred-${first}`)?.focus();
      } else setFormError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  if (loadError) {
    return (
      <div className="page">
        <ErrorBanner error={loadError} onRetry={() => void load()} />
        <Link to="/credentials">Back to API credentials</Link>
      </div>
    );
  }
  if (!creating && !stored) return <Loading what="Loading API credentials" />;

  const input = (
    key: keyof FormState,
    label: string,
    options: { hint?: ReactNode; type?: string; placeholder?: string; required?: boolean } = {},
  ) => {
    const fieldId = `cred-${key}`;
    return (
      <Field id={fieldId} label={label} error={errors[key]} hint={options.hint}>
        <input
          id={fieldId}
          name={key}
          type={options.type ?? 'text'}
          value={form[key]}
          placeholder={options.placeholder}
          required={options.required}
          onChange={(e) => set(key)(e.target.value)}
          disabled={locked(key)}
          title={reason(fieldPermission(key))}
          aria-invalid={errors[key] ? true : undefined}
          aria-describedby={describedBy(fieldId, errors[key], Boolean(options.hint))}
        />
      </Field>
    );
  };
  const keywords = (
    key: keyof FormState,
    label: string,
    hint: ReactNode,
    placeholder: string,
    always: readonly string[] = [],
  ) => {
    const fieldId = `cred-${key}`;
    return (
      <Field id={fieldId} label={label} error={errors[key]} hint={hint}>
        <KeywordInput
          id={fieldId}
          value={form[key]}
          onChange={(v: string) => set(key)(v)}
          locked={always}
          placeholder={placeholder}
          disabled={locked(key)}
          invalid={Boolean(errors[key])}
          describedById={describedBy(fieldId, errors[key], true)}
        />
      </Field>
    );
  };
  const reply = (key: keyof FormState, label: string, optional = false) => {
    const fieldId = `cred-${key}`;
    const text = form[key];
    return (
      <Field
        id={fieldId}
        label={label}
        error={errors[key]}
        hint={
          <>
            <SegmentCounter text={text} />
            {optional ? ' · optional' : ''}
          </>
        }
      >
        <textarea
          id={fieldId}
          name={key}
          rows={2}
          value={text}
          disabled={locked(key)}
          title={reason(fieldPermission(key))}
          onChange={(e) => set(key)(e.target.value)}
          aria-invalid={errors[key] ? true : undefined}
          aria-describedby={describedBy(fieldId, errors[key], true)}
        />
      </Field>
    );
  };

  return (
    <div className="page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        Administration › Channels › <Link to="/credentials">API credentials</Link> ›{' '}
        <span aria-current="page">{creating ? 'Create' : stored?.name}</span>
      </nav>
      <div className="page-header">
        <h1>{creating ? 'Create API credentials' : `Edit ${stored?.name ?? ''}`}</h1>
        {stored ? (
          <Link className="btn btn-small" to={auditPath('credential', stored.id)}>
            Audit log
          </Link>
        ) : null}
        {stored ? (
          <Button
            className="btn btn-danger-outline"
            disabledReason={reason('manage')}
            onClick={() => setDeleting(true)}
          >
            <BinIcon /> Delete
          </Button>
        ) : null}
      </div>

      {stored ? <CredentialStatus credential={stored} /> : null}

      <form className="form" onSubmit={(e) => void submit(e)} noValidate>
        {formError ? (
          <div className="banner banner-error" role="alert">
            {formError}
          </div>
        ) : null}
        {conflict ? (
          <div className="banner banner-warn" role="alert">
            <div>
              <strong>Someone else changed these credentials</strong> after you opened them (the
              version you edited is no longer the latest). Your changes were not saved. Reload to
              see the latest values, then make your changes again.
            </div>
            <button type="button" className="btn btn-small" onClick={() => void load()}>
              Reload latest
            </button>
          </div>
        ) : null}
        {saved ? (
          <div className="banner banner-ok" role="status">
            {saved}
          </div>
        ) : null}

        <fieldset>
          <legend>Provider</legend>
          <Field id="cred-provider" label="SMS vendor">
            <select id="cred-provider" value="infobip" disabled>
              <option value="infobip">Infobip</option>
            </select>
          </Field>
          {input('name', 'Name', { required: true, hint: 'Unique in this sandbox' })}
          {input('baseUrl', 'API base URL', {
            placeholder: 'https://xxxxx.api.infobip.com',
            required: true,
            hint: 'From the Infobip web interface home page or API key management',
          })}
          {input('apiKey', 'API key', {
            type: 'password',
            required: creating,
            hint: `${
              stored
                ? `Stored key ${stored.apiKeyHint}. Leave empty to keep it; type a new key to replace it.`
                : 'Stored encrypted; after saving only its last four characters are shown.'
            } Scopes Tern uses: sms:message:send (send SMS), mms:message:send (send MMS), sms:logs:read and mms:logs:read (look up uncertain sends). Not account-management:manage.`,
          })}
          {input('sendRatePerSecond', 'Send rate (messages per second)', {
            type: 'number',
            hint: 'What your Infobip account allows; 1-10000',
          })}
        </fieldset>

        <fieldset>
          <legend>Keywords and replies</legend>
          {reason('compliance') ? (
            <p className="needs-role">{needsText('compliance')} to change these.</p>
          ) : null}
          <div className="pair">
            {keywords(
              'optInKeywords',
              'Opt-in keywords',
              'Comma-separated; a match subscribes the number and sends the opt-in message',
              'Comma-separated, e.g. START, YES',
            )}
            {reply('optInMessage', 'Opt-in message')}
          </div>
          <div className="pair">
            {keywords(
              'optOutKeywords',
              'Opt-out keywords',
              'The locked words are required by carriers and always opt out; add your own, comma-separated',
              'Your own words besides STOP, UNSUBSCRIBE…, e.g. ARRET, BAJA',
              MANDATORY,
            )}
            {reply('optOutMessage', 'Opt-out message')}
          </div>
          <div className="pair">
            {keywords('helpKeywords', 'Help keywords', 'Comma-separated', 'e.g. HELP, INFO')}
            {reply('helpMessage', 'Help message')}
          </div>
          <div className="pair">
            {keywords(
              'doubleOptInKeywords',
              'Double opt-in keywords',
              'Start a double opt-in; a profile is created on confirmation',
              'e.g. JOIN',
            )}
            {reply('doubleOptInMessage', 'Double opt-in message')}
          </div>
        </fieldset>

        <fieldset>
          <legend>Delivery</legend>
          <div className="grid-2">
            {input('dltPrincipalEntityId', 'DLT principal entity ID', {
              hint: 'India only: the entity ID assigned to you',
            })}
            {input('dltContentTemplateId', 'DLT content template ID', {
              hint: 'India only: the registered content template',
            })}
            {input('dltTelemarketerId', 'DLT telemarketer ID', {
              hint: 'India only, for aggregators',
            })}
            {input('validityPeriod', 'Validity period (minutes)', {
              type: 'number',
              hint: '1-2880 (48 h, the default); e.g. 5 for one-time codes. Undelivered messages are retried until this ends.',
            })}
            {input('callbackData', 'Callback data', {
              hint: 'Extra data returned with delivery reports (at most 4000 characters)',
            })}
          </div>
        </fieldset>

        <fieldset>
          <legend>Inbound</legend>
          {input('inboundNumber', 'Inbound number', {
            placeholder: '+14155550100',
            hint: 'Your number (E.164); texts to it are routed to these credentials. Each sandbox can have its own.',
          })}
          {keywords(
            'customInboundKeywords',
            'Custom inbound keywords',
            'e.g. DISCOUNT, OFFERS: recorded on the profile as attributes (keywords.<WORD>); each can have a reply and actions under Keyword responses below',
            'e.g. DISCOUNT, OFFERS',
          )}
          {reply('defaultInboundReply', 'Default inbound reply', true)}
          <div className="field">
            <span className="label" id="cred-fuzzy-label">
              Fuzzy opt-out
            </span>
            <div className="radios" role="radiogroup" aria-labelledby="cred-fuzzy-label">
              {(
                [
                  ['off', 'Off', 'Only exact keywords count'],
                  ['reply', 'Reply', 'Near misses ("stp", "stop please") get the reply below'],
                  ['opt-out', 'Opt out', 'Near misses opt the number out'],
                ] as const
              ).map(([value, label, hint]) => (
                <label key={value} className="radio">
                  <input
                    type="radio"
                    name="fuzzyOptOut"
                    value={value}
                    checked={form.fuzzyOptOut === value}
                    disabled={locked('fuzzyOptOut')}
                    onChange={() => set('fuzzyOptOut')(value)}
                  />
                  <span>
                    <strong>{label}</strong> <span className="muted">{hint}</span>
                  </span>
                </label>
              ))}
            </div>
            {errors.fuzzyOptOut ? (
              <div className="field-error" role="alert">
                {errors.fuzzyOptOut}
              </div>
            ) : null}
          </div>
          {form.fuzzyOptOut === 'reply' ? reply('fuzzyOptOutReply', 'Fuzzy opt-out reply') : null}
        </fieldset>

        <div className="form-actions">
          <Button
            type="submit"
            className="btn btn-primary"
            disabled={busy}
            disabledReason={saveReason}
          >
            {busy ? (creating ? 'Creating…' : 'Saving…') : creating ? 'Create' : 'Save'}
          </Button>
          <Link to="/credentials" className="btn">
            Cancel
          </Link>
        </div>
      </form>

      {stored ? <KeywordResponses credential={stored} /> : null}

      {deleting && stored ? (
        <DeleteCredentialDialog
          credential={stored}
          onClose={() => setDeleting(false)}
          onDeleted={() => navigate('/credentials')}
        />
      ) : null}
    </div>
  );
}

/** Webhook URLs to paste into Infobip, Verify connection, and the provider's last refusal. */
function CredentialStatus({ credential }: { credential: Credential }) {
  const { api } = useSession();
  const { reason } = useAccess();
  const [verify, setVerify] = useState<VerifyResult>();
  const [verifyError, setVerifyError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [showHelp, setShowHelp] = useState(false);
  const created = new URLSearchParams(location.search).get('created') === '1';
  const run = async () => {
    setBusy(true);
    setVerifyError(undefined);
    try {
      setVerify(await api.post<VerifyResult>(`/v1/credentials/${credential.id}/verify`));
    } catch (err) {
      setVerifyError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card status-card" aria-label="Connection and webhooks">
      {created ? (
        <div className="banner banner-ok" role="status">
          API credentials created. Paste the two webhook URLs below into Infobip, then verify the
          connection.
        </div>
      ) : null}
      {credential.providerAuthFailedAt ? (
        <div className="banner banner-error" role="alert">
          Infobip refused this API key while sending on{' '}
          {formatDate(credential.providerAuthFailedAt)}. Replace the key, then verify.
        </div>
      ) : null}
      <HealthPanel health={credential.health} warnings={credential.warnings} />
      <div className="status-grid">
        <div>
          <div className="label">API key</div>
          <code className="mask">{credential.apiKeyHint}</code>
        </div>
        <div>
          <div className="label">Version</div>
          {credential.version} · updated {formatDate(credential.updatedAt)}
        </div>
        <div className="verify">
          <Button
            className="btn"
            onClick={() => void run()}
            disabled={busy}
            disabledReason={reason('manage')}
          >
            {busy ? 'Verifying…' : 'Verify connection'}
          </Button>
          {verify ? (
            // Tern's message already says the outcome ("Connected: …"): said once, with a mark.
            <span className={`verify-result verify-${verify.status}`} role="status">
              {verify.status === 'ok' ? '✓' : '✗'} {verify.message} ({Math.round(verify.latencyMs)}{' '}
              ms)
            </span>
          ) : null}
          {verify && verify.scopes.length > 0 ? (
            <ul className="verify-scopes">
              {verify.scopes.map((s) => (
                <li key={s.endpoint} className={`scope-${s.state}`}>
                  {s.state === 'granted' ? '✓' : s.state === 'missing' ? '✗' : '?'} {s.feature}:{' '}
                  {s.state === 'missing' ? 'missing, needs one of ' : ''}
                  <code>{s.scopes.join(' | ')}</code>
                </li>
              ))}
            </ul>
          ) : null}
          {verifyError ? (
            <span className="field-error" role="alert">
              {verifyError}
            </span>
          ) : null}
        </div>
      </div>
      <h2 className="h3">
        Webhook URLs for Infobip{' '}
        <button type="button" className="btn-link" onClick={() => setShowHelp(true)}>
          Where do these go?
        </button>
      </h2>
      <WebhookRow
        label="Inbound messages (number forwarding URL)"
        url={credential.webhooks.inbound.url}
      />
      <WebhookRow
        label="Delivery reports (notify URL)"
        url={credential.webhooks.deliveryReports.url}
      />
      {showHelp ? (
        <Dialog
          title="Where the webhook URLs go"
          onClose={() => setShowHelp(false)}
          actions={
            <button type="button" className="btn btn-primary" onClick={() => setShowHelp(false)}>
              Got it
            </button>
          }
        >
          <p>
            In Infobip, open <strong>Channels and Numbers › Numbers</strong>, pick the inbound
            number, and set its forwarding to <em>Forward to HTTP</em> with the inbound URL (format
            MO_JSON_2).
          </p>
          <p>
            Tern sends the delivery report URL with every message, so no setting is needed for it;
            paste it as the account&apos;s default delivery report URL if you also send outside
            Tern. Each URL carries a secret: treat it as a password.
          </p>
        </Dialog>
      ) : null}
    </section>
  );
}

function WebhookRow({ label, url }: { label: string; url: string | null }) {
  if (url === null) {
    return (
      <div className="webhook">
        <div className="label">{label}</div>
        <div className="webhook-url">
          <span className="muted">Shown to owners only: the URL carries its secret.</span>
        </div>
      </div>
    );
  }
  return (
    <div className="webhook">
      <div className="label">{label}</div>
      <div className="webhook-url">
        <code>{url}</code>
        <CopyButton text={url} label={`Copy ${label}`} />
      </div>
    </div>
  );
}
