/** Audience › Profiles: search by number, consent badge and timeline, set consent, double opt-in. */
import { useState, type FormEvent } from 'react';
import {
  ApiError,
  type CredentialSummary,
  type Page,
  type Profile,
  type ProfileDetail,
} from '../api';
import { Link, navigate } from '../router';
import { Button, useAccess } from '../access';
import { useEvents, useSession } from '../session';
import { InboundMedia } from '../inbound-parts';
import { ProfileRuns } from './flows/ProfileRuns';
import {
  Badge,
  Dialog,
  Empty,
  ErrorBanner,
  Field,
  formatDate,
  Loading,
  useAction,
  useLoad,
} from '../ui';

export function ProfilesPage() {
  const { api } = useSession();
  const [phone, setPhone] = useState('');
  const [consent, setConsent] = useState('');
  const list = useLoad(
    () =>
      api.get<Page<Profile>>('/v1/profiles', {
        phone: phone.replace(/[^\d]/g, ''),
        consent,
        limit: 100,
      }),
    [api, phone, consent],
  );
  useEvents(['consent.changed', 'profile.keyword', 'profile.deleted'], list.reload);
  const [phoneError, setPhoneError] = useState<string>();
  const [opening, setOpening] = useState(false);
  // Tern judges the number (the same rule as everywhere): a bad one is said under the field,
  // and the list stays; a number it has never seen (404) still opens, to set its consent.
  const open = async (event: FormEvent) => {
    event.preventDefault();
    const digits = phone.replace(/[^\d+]/g, '');
    if (!digits) return;
    setOpening(true);
    setPhoneError(undefined);
    try {
      await api.get(`/v1/profiles/${encodeURIComponent(digits)}`);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'validation_failed') {
        setPhoneError(`${err.details[0]?.message ?? err.message} (${digits} is not one).`);
        setOpening(false);
        return;
      }
    }
    setOpening(false);
    navigate(`/profiles/${encodeURIComponent(digits)}`);
  };
  return (
    <div className="page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        Audience › <span aria-current="page">Profiles</span>
      </nav>
      <h1>Profiles</h1>
      <p className="muted">Everyone who texted you or whose consent you recorded.</p>
      <form className="toolbar" onSubmit={(e) => void open(e)} noValidate>
        <label className={phoneError ? 'field-invalid' : undefined}>
          <span>Phone number</span>
          <input
            type="search"
            placeholder="+14155550100"
            value={phone}
            onChange={(e) => {
              setPhone(e.target.value);
              setPhoneError(undefined);
            }}
            aria-invalid={phoneError ? true : undefined}
            aria-describedby={phoneError ? 'profile-phone-error' : undefined}
          />
          {phoneError ? (
            <span className="field-error" id="profile-phone-error" role="alert">
              {phoneError}
            </span>
          ) : null}
        </label>
        <label>
          <span>Consent</span>
          <select value={consent} onChange={(e) => setConsent(e.target.value)}>
            <option value="">Any</option>
            <option value="subscribed">Subscribed</option>
            <option value="unsubscribed">Unsubscribed</option>
            <option value="pending">Pending</option>
            <option value="unknown">Unknown</option>
          </select>
        </label>
        <button type="submit" className="btn" disabled={phone.trim() === '' || opening}>
          Open number
        </button>
      </form>
      {list.error ? <ErrorBanner error={list.error} onRetry={list.reload} /> : null}
      {list.loading && !list.data ? <Loading what="Loading profiles" /> : null}
      {list.data && list.data.items.length === 0 ? (
        <Empty title={phone || consent ? 'No profiles match' : 'No profiles yet'}>
          <p>
            Profiles appear when someone texts a keyword to an inbound number, or when you set a
            number&apos;s consent: type a number above and choose <em>Open number</em>.
          </p>
        </Empty>
      ) : null}
      {list.data && list.data.items.length > 0 ? (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Phone</th>
                <th scope="col">Consent</th>
                <th scope="col">Consent changed</th>
                <th scope="col">Keywords</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((p) => (
                <tr key={p.id}>
                  <td>
                    <Link to={`/profiles/${encodeURIComponent(p.phone)}`}>{p.phone}</Link>
                  </td>
                  <td>
                    <Badge value={p.consent} />
                  </td>
                  <td>{formatDate(p.consentUpdatedAt)}</td>
                  <td>{Object.keys(keywordAttributes(p)).join(', ') || '—'}</td>
                  <td>{formatDate(p.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}

function unknownNumber(phone: string): ProfileDetail {
  return {
    phone,
    consent: 'unknown',
    profile: null,
    consentHistory: [],
    pendingDoubleOptIn: null,
    inbound: [],
    outbound: [],
  };
}

function keywordAttributes(p: Profile | null): Record<string, { count?: number; lastAt?: string }> {
  const keywords = p?.attributes.keywords;
  return keywords && typeof keywords === 'object'
    ? (keywords as Record<string, { count?: number; lastAt?: string }>)
    : {};
}

export function ProfileDetailPage({ phone }: { phone: string }) {
  const { api } = useSession();
  const { reason } = useAccess();
  const detail = useLoad(
    () =>
      api.get<ProfileDetail>(`/v1/profiles/${encodeURIComponent(phone)}`).catch((err: unknown) => {
        // A number Tern has never seen: show it empty, so consent can be set from here.
        if (err instanceof ApiError && err.status === 404 && err.code === 'not_found')
          return unknownNumber(phone);
        throw err;
      }),
    [api, phone],
  );
  useEvents(
    ['consent.changed', 'profile.keyword', 'inbound.received', 'message.status_changed'],
    detail.reload,
  );
  const [setting, setSetting] = useState<'subscribed' | 'unsubscribed'>();
  const [doubleOptIn, setDoubleOptIn] = useState(false);
  if (detail.error) return <ErrorBanner error={detail.error} onRetry={detail.reload} />;
  if (!detail.data) return <Loading what="Loading profile" />;
  const d = detail.data;
  const keywords = keywordAttributes(d.profile);
  return (
    <div className="page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        Audience › <Link to="/profiles">Profiles</Link> › <span aria-current="page">{d.phone}</span>
      </nav>
      <div className="page-header">
        <h1>
          {d.phone} <Badge value={d.consent} />
        </h1>
        <div className="actions">
          <Button
            className="btn"
            disabledReason={reason('compliance')}
            compact
            onClick={() => setSetting('subscribed')}
          >
            Subscribe
          </Button>
          <Button
            className="btn"
            disabledReason={reason('compliance')}
            compact
            onClick={() => setSetting('unsubscribed')}
          >
            Unsubscribe
          </Button>
          <Button
            className="btn"
            disabledReason={reason('compliance')}
            onClick={() => setDoubleOptIn(true)}
            disabled={d.consent === 'subscribed'}
            title={d.consent === 'subscribed' ? 'Already subscribed' : undefined}
          >
            Start double opt-in
          </Button>
        </div>
      </div>
      {d.pendingDoubleOptIn ? (
        <div className="banner banner-warn" role="status">
          Double opt-in pending since {formatDate(d.pendingDoubleOptIn.requestedAt)}; expires{' '}
          {formatDate(d.pendingDoubleOptIn.expiresAt)}.
        </div>
      ) : null}
      {!d.profile ? (
        <p className="muted">No profile for this number yet. Setting its consent creates one.</p>
      ) : null}
      <div className="columns">
        <section>
          <h2>Consent history</h2>
          {d.consentHistory.length === 0 ? (
            <p className="muted">No consent changes recorded.</p>
          ) : (
            <ol className="timeline">
              {d.consentHistory.map((c) => (
                <li key={c.id}>
                  <span className="timeline-at">{formatDate(c.at)}</span>
                  <Badge value={c.from} /> → <Badge value={c.to} />{' '}
                  <span className="muted">
                    by {c.source.replace(/_/g, ' ')}
                    {c.note ? ` · ${c.note}` : ''}
                  </span>
                </li>
              ))}
            </ol>
          )}
          {Object.keys(keywords).length > 0 ? (
            <>
              <h2>Custom keywords</h2>
              <ul className="chips">
                {Object.entries(keywords).map(([k, v]) => (
                  <li className="chip" key={k}>
                    {k} × {v.count ?? 1}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </section>
        <section>
          <h2>Messages</h2>
          {d.inbound.length + d.outbound.length === 0 ? (
            <p className="muted">No messages with this number.</p>
          ) : (
            <ol className="conversation">
              {[
                ...d.inbound.map((m) => ({
                  key: `in-${m.id}`,
                  at: m.receivedAt,
                  dir: 'in' as const,
                  text: m.text,
                  meta: m.category ?? '',
                  link: undefined as string | undefined,
                  inbound: m,
                })),
                ...d.outbound.map((m) => ({
                  key: `out-${m.id}`,
                  at: m.createdAt,
                  dir: 'out' as const,
                  text: m.text ?? '(media)',
                  meta: m.status,
                  link: `/messages/${m.id}`,
                  inbound: undefined,
                })),
              ]
                .sort((a, b) => a.at.localeCompare(b.at))
                .map((m) => (
                  <li key={m.key} className={`bubble bubble-${m.dir}`}>
                    <div>
                      {m.text} {m.inbound ? <InboundMedia message={m.inbound} /> : null}
                    </div>
                    <div className="bubble-meta">
                      {formatDate(m.at)} · {m.link ? <Link to={m.link}>{m.meta}</Link> : m.meta}
                    </div>
                  </li>
                ))}
            </ol>
          )}
        </section>
      </div>
      <ProfileRuns phone={d.phone} />
      {setting ? (
        <SetConsentDialog
          phone={d.phone}
          consent={setting}
          onClose={() => setSetting(undefined)}
          onDone={() => {
            setSetting(undefined);
            detail.reload();
          }}
        />
      ) : null}
      {doubleOptIn ? (
        <DoubleOptInDialog
          phone={d.phone}
          onClose={() => setDoubleOptIn(false)}
          onDone={() => {
            setDoubleOptIn(false);
            detail.reload();
          }}
        />
      ) : null}
    </div>
  );
}

function SetConsentDialog({
  phone,
  consent,
  onClose,
  onDone,
}: {
  phone: string;
  consent: 'subscribed' | 'unsubscribed';
  onClose: () => void;
  onDone: () => void;
}) {
  const { api } = useSession();
  const [note, setNote] = useState('');
  const {
    busy,
    error,
    run: save,
  } = useAction(async () => {
    await api.put(`/v1/profiles/${encodeURIComponent(phone)}/consent`, {
      consent,
      note: note.trim() === '' ? null : note.trim(),
    });
    onDone();
  });
  return (
    <Dialog
      title={consent === 'subscribed' ? `Subscribe ${phone}?` : `Unsubscribe ${phone}?`}
      onClose={onClose}
      actions={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy}
            onClick={() => void save()}
          >
            {consent === 'subscribed' ? 'Subscribe' : 'Unsubscribe'}
          </button>
        </>
      }
    >
      <p>
        {consent === 'subscribed'
          ? 'Only record consent you can prove: the note is kept in the consent ledger as evidence.'
          : 'Marketing messages to this number will be suppressed.'}
      </p>
      <Field id="consent-note" label="Note (evidence)">
        <input
          id="consent-note"
          type="text"
          value={note}
          placeholder="e.g. signed up on the web form"
          onChange={(e) => setNote(e.target.value)}
        />
      </Field>
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </Dialog>
  );
}

function DoubleOptInDialog({
  phone,
  onClose,
  onDone,
}: {
  phone: string;
  onClose: () => void;
  onDone: () => void;
}) {
  const { api } = useSession();
  const credentials = useLoad(
    () => api.get<Page<CredentialSummary>>('/v1/credentials', { limit: 200 }),
    [api],
  );
  const withNumber = credentials.data?.items.filter((c) => c.inboundNumber) ?? [];
  const [credentialId, setCredentialId] = useState('');
  const chosen = credentialId || withNumber[0]?.id || '';
  const {
    busy,
    error,
    run: start,
  } = useAction(async () => {
    await api.post(`/v1/profiles/${encodeURIComponent(phone)}/double-opt-in`, {
      credentialId: chosen,
    });
    onDone();
  });
  return (
    <Dialog
      title="Start a double opt-in"
      onClose={onClose}
      actions={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy || chosen === ''}
            onClick={() => void start()}
          >
            Send confirmation request
          </button>
        </>
      }
    >
      <p>
        Tern texts {phone} the credentials&apos; double opt-in message from their inbound number;
        the number becomes subscribed when the person replies with an opt-in keyword.
      </p>
      {credentials.loading ? <Loading /> : null}
      {credentials.data && withNumber.length === 0 ? (
        <p className="field-error">No API credentials have an inbound number yet.</p>
      ) : (
        <Field id="doi-credential" label="API credentials">
          <select
            id="doi-credential"
            value={chosen}
            onChange={(e) => setCredentialId(e.target.value)}
          >
            {withNumber.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} ({c.inboundNumber})
              </option>
            ))}
          </select>
        </Field>
      )}
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </Dialog>
  );
}
