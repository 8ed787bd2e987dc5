/** The console's sign-in calls (outside /api: no sandbox, no token): password, invitations, methods. */
import { ApiError, type SignedInUser } from './api';

/** What /auth/login, /auth/session and an accepted invitation answer. */
export interface SessionAnswer {
  user: SignedInUser;
  csrfToken: string;
}

/** How people may sign in here: the password always, single sign-on when configured. */
export interface SignInMethods {
  password: boolean;
  oidc: { name: string; startUrl: string } | null;
}

/** What an invitation offers, for the accept page. */
export interface InvitationOffer {
  email: string;
  sandbox: string;
  roles: string[];
  needsPassword: boolean;
}

async function call<T>(
  method: string,
  path: string,
  options: { body?: unknown; csrfToken?: string } = {},
): Promise<T> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.csrfToken) headers['x-csrf-token'] = options.csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
  } catch (error) {
    throw new ApiError(0, 'network_error', `Tern did not answer (${String(error)}).`);
  }
  const body = (await res.json().catch(() => null)) as unknown;
  if (!res.ok) {
    const error = (body as { error?: { code?: string; message?: string; details?: [] } } | null)
      ?.error;
    throw new ApiError(
      res.status,
      error?.code ?? 'http_error',
      error?.message ?? `Tern answered ${res.status}.`,
      error?.details ?? [],
    );
  }
  return body as T;
}

export const signIn = (email: string, password: string) =>
  call<SessionAnswer>('POST', '/auth/login', { body: { email, password } });

/** The session behind the browser's cookie (after a reload or single sign-on); null when none. */
export async function resumeSession(): Promise<SessionAnswer | null> {
  try {
    return await call<SessionAnswer>('GET', '/auth/session');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

/**
 * The sandbox to open after signing in: `preferred` when the person has a role there (or
 * administers every sandbox), else the first one they belong to, so that someone invited only to
 * `eu` does not land on a "not found" `prod`.
 */
export async function homeSandbox(preferred: string): Promise<string> {
  try {
    const res = await fetch('/api/v1/me', {
      headers: { 'x-sandbox-name': preferred },
      credentials: 'same-origin',
    });
    if (!res.ok) return preferred;
    const me = (await res.json()) as {
      roles: string[];
      user: { instanceAdmin: boolean; memberships: { sandbox: string }[] } | null;
    };
    if (me.roles.length > 0 || me.user?.instanceAdmin) return preferred;
    return me.user?.memberships[0]?.sandbox ?? preferred;
  } catch {
    return preferred;
  }
}

export const signOutSession = (csrfToken: string) =>
  call<unknown>('POST', '/auth/logout', { csrfToken });

export const signInMethods = () => call<SignInMethods>('GET', '/auth/methods');

export const readInvitation = (token: string) =>
  call<InvitationOffer>('GET', `/auth/invitations/${encodeURIComponent(token)}`);

export const acceptInvitation = (token: string, password: string | undefined) =>
  call<SessionAnswer>('POST', `/auth/invitations/${encodeURIComponent(token)}/accept`, {
    body: password === undefined ? {} : { password },
  });
