import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { hashToken } from './admin-tokens.js';
import type { UserPrincipal } from './principal.js';

/** The console's session cookie (HttpOnly, Secure, SameSite=Lax: set by the sign-in routes). */
export const SESSION_COOKIE = 'tern_session';
/** A session lasts this long from sign-in; signing in again starts a new one. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export interface NewSession {
  /** The cookie's value: shown to the browser once, stored only as a hash. */
  token: string;
  id: string;
  expiresAt: string;
}

/**
 * Starts a session for a user who has just proved who they are. The user's ended sessions
 * (expired, signed out, revoked) go at the same time: nothing reads them again, and the table
 * then holds about the live sessions rather than every sign-in there ever was.
 */
export async function createSession(
  db: Db,
  clock: Clock,
  input: {
    userId: string;
    via: UserPrincipal['via'];
    address: string | null;
    userAgent: string | null;
    ttlMs?: number;
  },
): Promise<NewSession> {
  const token = randomBytes(32).toString('base64url');
  const id = hashToken(token);
  const now = clock.now();
  const expiresAt = new Date(now.getTime() + (input.ttlMs ?? SESSION_TTL_MS)).toISOString();
  await db.kysely
    .deleteFrom('sessions')
    .where('user_id', '=', input.userId)
    .where((eb) =>
      eb.or([eb('expires_at', '<=', now.toISOString()), eb('revoked_at', 'is not', null)]),
    )
    .execute();
  await db.kysely
    .insertInto('sessions')
    .values({
      id,
      user_id: input.userId,
      via: input.via,
      // Bounded: a header may be up to the server's header limit.
      address: input.address?.slice(0, 64) ?? null,
      user_agent: input.userAgent?.slice(0, 256) ?? null,
      created_at: now.toISOString(),
      expires_at: expiresAt,
      revoked_at: null,
    })
    .execute();
  return { token, id, expiresAt };
}

/** The signed-in user behind a session cookie, or undefined (unknown, expired, revoked, disabled). */
export async function verifySession(
  db: Db,
  clock: Clock,
  token: string,
): Promise<UserPrincipal | undefined> {
  // Cookie values are ours (43 characters); anything much longer is not worth hashing.
  if (token.length > 128) return undefined;
  const row = await db.kysely
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select(['s.id', 's.via', 'u.id as user_id', 'u.email', 'u.name', 'u.instance_admin'])
    .where('s.id', '=', hashToken(token))
    .where('s.revoked_at', 'is', null)
    .where('s.expires_at', '>', clock.now().toISOString())
    .where('u.disabled_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    kind: 'user',
    id: row.user_id,
    name: row.name ?? row.email,
    email: row.email,
    instanceAdmin: Number(row.instance_admin) === 1,
    sessionId: row.id,
    via: row.via as UserPrincipal['via'],
  };
}

export async function revokeSession(db: Db, clock: Clock, sessionId: string): Promise<void> {
  await db.kysely
    .updateTable('sessions')
    .set({ revoked_at: clock.now().toISOString() })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Signs a user out everywhere (a password reset, a disabled account). */
export async function revokeUserSessions(db: Db, clock: Clock, userId: string): Promise<void> {
  await db.kysely
    .updateTable('sessions')
    .set({ revoked_at: clock.now().toISOString() })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();
}
