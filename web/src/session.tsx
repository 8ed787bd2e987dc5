/**
 * The signed-in session: an admin token (kept in sessionStorage) or a person's cookie session
 * (only the sandbox is kept: a reload asks GET /auth/session again), an API client, the events.
 */
import { createContext, useContext, useEffect, useMemo, type ReactNode } from 'react';
import { Api, type Session } from './api';
import { signOutSession } from './auth';
import { openEventStream, type EventStream } from './events';

const KEY = 'tern.session';

function loadStored(): Partial<Session> | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Partial<Session>) : null;
  } catch {
    return null;
  }
}

/** The admin-token session kept in this tab, if any. */
export function loadSession(): Session | null {
  const parsed = loadStored();
  return typeof parsed?.token === 'string' && typeof parsed.sandbox === 'string'
    ? { token: parsed.token, sandbox: parsed.sandbox }
    : null;
}

/** The sandbox a cookie session last worked in, for resuming it after a reload. */
export function loadCookieSandbox(): string | null {
  const parsed = loadStored();
  return parsed?.token === null && typeof parsed.sandbox === 'string' ? parsed.sandbox : null;
}

/** Keeps the token (or, for a cookie session, only the sandbox: the CSRF token is re-asked). */
export function saveSession(session: Session | null): void {
  if (session)
    sessionStorage.setItem(KEY, JSON.stringify({ token: session.token, sandbox: session.sandbox }));
  else sessionStorage.removeItem(KEY);
}

interface SessionContextValue {
  session: Session;
  api: Api;
  events: EventStream;
  setSandbox: (name: string) => void;
  signOut: () => void;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function SessionProvider({
  session,
  onChange,
  children,
}: {
  session: Session;
  onChange: (session: Session | null) => void;
  children: ReactNode;
}) {
  const api = useMemo(() => new Api(session, () => onChange(null)), [session, onChange]);
  const events = useMemo(() => openEventStream(session), [session]);
  useEffect(() => () => events.close(), [events]);
  const value = useMemo<SessionContextValue>(
    () => ({
      session,
      api,
      events,
      setSandbox: (sandbox) => onChange({ ...session, sandbox }),
      signOut: () => {
        if (session.token !== null || !session.csrfToken) return onChange(null);
        // The server ends the session (and clears the cookie); back to sign-in either way.
        void signOutSession(session.csrfToken)
          .catch(() => undefined)
          .finally(() => onChange(null));
      },
    }),
    [session, api, events, onChange],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** Calls `onEvent` for each event from the stream whose type is in `types`. */
export function useEvents(types: string[], onEvent: () => void): void {
  const { events } = useSession();
  const key = types.join(',');
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = events.subscribe((event) => {
      if (!key.split(',').includes(event.type)) return;
      // Bursts (a batch send) refresh once.
      clearTimeout(timer);
      timer = setTimeout(onEvent, 150);
    });
    return () => {
      clearTimeout(timer);
      unsubscribe();
    };
  }, [events, key, onEvent]);
}
