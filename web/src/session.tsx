/** The signed-in session: token and sandbox in sessionStorage, an API client, the event stream. */
import { createContext, useContext, useEffect, useMemo, type ReactNode } from 'react';
import { Api, type Session } from './api';
import { openEventStream, type EventStream } from './events';

const KEY = 'tern.session';

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Partial<Session>;
    return typeof parsed.token === 'string' && typeof parsed.sandbox === 'string'
      ? { token: parsed.token, sandbox: parsed.sandbox }
      : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
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
      signOut: () => onChange(null),
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
