/**
 * The sign-in screen (email and password first, single sign-on when configured, an admin token
 * as the other way in) and the page an invitation link opens.
 */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, whoAmI, type Session } from './api';
import {
  acceptInvitation,
  readInvitation,
  signIn,
  signInMethods,
  type InvitationOffer,
  type SessionAnswer,
  type SignInMethods,
  homeSandbox,
} from './auth';
import { Field, describedBy, errorText, useAction } from './ui';

export type SignInMode = 'password' | 'token';

/** A cookie session from a sign-in answer. */
export function cookieSession(answer: SessionAnswer, sandbox: string): Session {
  return { token: null, sandbox, csrfToken: answer.csrfToken, user: answer.user };
}

/** A password or token input in its Field, its error read out with it. */
function SecretField({
  id,
  label,
  error,
  value,
  onChange,
  autoComplete,
}: {
  id: string;
  label: string;
  error: string | undefined;
  value: string;
  onChange: (value: string) => void;
  autoComplete: 'current-password' | 'new-password';
}) {
  return (
    <Field id={id} label={label} error={error}>
      <input
        id={id}
        type="password"
        autoComplete={autoComplete}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        required
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, error)}
      />
    </Field>
  );
}

function SignInCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="signin">
      <div className="card signin-card">
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true" /> Tern
        </div>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}

export function SignIn({
  onSignIn,
  initialMode = 'password',
}: {
  onSignIn: (session: Session) => void;
  /** The way in last used in this tab: signing out of a token offers the token again. */
  initialMode?: SignInMode;
}) {
  const [mode, setMode] = useState<SignInMode>(initialMode);
  const [methods, setMethods] = useState<SignInMethods | null>(null);
  // A single sign-on refusal comes back as /?signInError=<sentence>: shown, then erased.
  const [ssoError] = useState(() => new URLSearchParams(location.search).get('signInError'));
  useEffect(() => {
    if (ssoError) history.replaceState(null, '', location.pathname);
    signInMethods()
      .then(setMethods)
      .catch(() => setMethods(null));
  }, [ssoError]);
  return (
    <SignInCard title="Sign in to the console">
      {ssoError ? (
        <p className="field-error" role="alert">
          {ssoError}
        </p>
      ) : null}
      {mode === 'password' ? (
        <PasswordForm onSignIn={onSignIn} sandbox="prod" />
      ) : (
        <TokenForm onSignIn={onSignIn} />
      )}
      {methods?.oidc ? (
        <p>
          <a className="btn" href={methods.oidc.startUrl}>
            Sign in with {methods.oidc.name}
          </a>
        </p>
      ) : null}
      <p>
        {mode === 'password' ? (
          <button type="button" className="btn btn-ghost" onClick={() => setMode('token')}>
            Use an admin token
          </button>
        ) : (
          <button type="button" className="btn btn-ghost" onClick={() => setMode('password')}>
            Use email and password
          </button>
        )}
      </p>
    </SignInCard>
  );
}

function PasswordForm({
  onSignIn,
  sandbox,
}: {
  onSignIn: (session: Session) => void;
  sandbox: string;
}) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction(async () => {
    const answer = await signIn(email.trim(), password);
    onSignIn(cookieSession(answer, await homeSandbox(sandbox)));
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run();
  };
  return (
    <form onSubmit={submit}>
      <Field id="signin-email" label="Email">
        <input
          id="signin-email"
          type="email"
          autoComplete="username"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          required
        />
      </Field>
      <SecretField
        id="signin-password"
        label="Password"
        error={error}
        value={password}
        onChange={setPassword}
        autoComplete="current-password"
      />
      <button
        type="submit"
        className="btn btn-primary"
        disabled={busy || email.trim() === '' || password === ''}
      >
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}

function TokenForm({ onSignIn }: { onSignIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [sandbox, setSandbox] = useState('prod');
  const { busy, error, run } = useAction(async () => {
    const session = { token: token.trim(), sandbox: sandbox.trim() || 'prod' };
    await whoAmI(session);
    onSignIn(session);
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run();
  };
  return (
    <form onSubmit={submit}>
      <p className="muted">
        Admin tokens are for machines and first set-up: <code>tern serve</code> prints one on first
        start, and <code>tern tokens create --name me</code> makes another.
      </p>
      <SecretField
        id="signin-token"
        label="Admin token"
        error={error}
        value={token}
        onChange={setToken}
        autoComplete="current-password"
      />
      <Field id="signin-sandbox" label="Sandbox">
        <input
          id="signin-sandbox"
          type="text"
          value={sandbox}
          onChange={(e) => setSandbox(e.target.value)}
        />
      </Field>
      <button type="submit" className="btn btn-primary" disabled={busy || token.trim() === ''}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}

/** `/accept-invitation?token=…`: what the invitation offers, a password if needed, then in. */
export function AcceptInvitation({
  token,
  onSignIn,
}: {
  token: string;
  onSignIn: (session: Session) => void;
}) {
  const [offer, setOffer] = useState<InvitationOffer | null>(null);
  const [loadError, setLoadError] = useState<string>();
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [errors, setErrors] = useState<{ password?: string; repeat?: string; form?: string }>({});
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    readInvitation(token)
      .then(setOffer)
      .catch((err: unknown) => setLoadError(errorText(err)));
  }, [token]);
  if (loadError)
    return (
      <SignInCard title="This invitation cannot be used">
        <p role="alert">{loadError}</p>
        <p>
          <a href="/">Go to sign-in</a>
        </p>
      </SignInCard>
    );
  if (!offer)
    return (
      <SignInCard title="Accept the invitation">
        <p className="muted">Loading…</p>
      </SignInCard>
    );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (offer.needsPassword && password !== repeat) {
      setErrors({ repeat: 'The two passwords differ.' });
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      const answer = await acceptInvitation(token, offer.needsPassword ? password : undefined);
      onSignIn(cookieSession(answer, offer.sandbox));
    } catch (err) {
      const fields = err instanceof ApiError ? err.fieldErrors() : {};
      setErrors(fields.password ? { password: fields.password } : { form: errorText(err) });
      setBusy(false);
    }
  };
  return (
    <SignInCard title="Accept the invitation">
      <p>
        You are invited as <strong>{offer.email}</strong> to sandbox{' '}
        <strong>{offer.sandbox}</strong> with the role{offer.roles.length > 1 ? 's' : ''}{' '}
        <strong>{offer.roles.join(', ')}</strong>.
      </p>
      <form onSubmit={(e) => void submit(e)}>
        {offer.needsPassword ? (
          <>
            <SecretField
              id="invite-password"
              label="Choose a password"
              error={errors.password}
              value={password}
              onChange={setPassword}
              autoComplete="new-password"
            />
            <SecretField
              id="invite-repeat"
              label="Repeat the password"
              error={errors.repeat}
              value={repeat}
              onChange={setRepeat}
              autoComplete="new-password"
            />
          </>
        ) : null}
        {errors.form ? (
          <p className="field-error" role="alert">
            {errors.form}
          </p>
        ) : null}
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Accepting…' : 'Accept and sign in'}
        </button>
      </form>
    </SignInCard>
  );
}
