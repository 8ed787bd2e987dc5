import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../../audit/audit.js';
import type { UserPrincipal } from '../../auth/principal.js';
import {
  createSession,
  revokeSession,
  SESSION_COOKIE,
  verifySession,
  type NewSession,
} from '../../auth/sessions.js';
import { verifyCredentials } from '../../auth/sign-in.js';
import { PASSWORD_MAX_LENGTH } from '../../auth/passwords.js';
import { EMAIL_MAX_LENGTH, toUser, type User } from '../../auth/users.js';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { App } from '../app-type.js';
import { CSRF_COOKIE, csrfGuard, issueCsrfToken } from '../csrf.js';
import { errorResponses } from '../schemas.js';
import { clearSessionCookie, setSessionCookie } from '../session-cookie.js';

/** The signed-in person, as the sign-in routes answer. */
export const SignedInUser = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String({ description: 'The name, or the email when none is set' }),
  instanceAdmin: Type.Boolean(),
});

export const SessionAnswer = Type.Object({
  user: SignedInUser,
  csrfToken: Type.String({
    description: 'Send it as the x-csrf-token header on every POST, PUT, PATCH and DELETE',
  }),
});

const Login = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: EMAIL_MAX_LENGTH }),
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
  },
  { additionalProperties: false },
);

export interface SignInDeps {
  db: Db;
  clock: Clock;
}

/** The answer's user from a session's principal. */
function userOf(p: Pick<UserPrincipal, 'id' | 'email' | 'name' | 'instanceAdmin'>) {
  return { id: p.id, email: p.email, name: p.name, instanceAdmin: p.instanceAdmin };
}

/**
 * Starts a console session for a user who has just proved who they are: the cookie, a CSRF token
 * bound to it, and an audit row. Shared by the password and invitation routes (and single
 * sign-on, which passes `via: 'oidc'`).
 */
export async function startConsoleSession(
  deps: SignInDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  user: Pick<User, 'id' | 'email' | 'name' | 'instanceAdmin'>,
  via: UserPrincipal['via'],
): Promise<{ session: NewSession; csrfToken: string }> {
  const session = await createSession(deps.db, deps.clock, {
    userId: user.id,
    via,
    address: request.ip,
    userAgent: request.headers['user-agent'] ?? null,
  });
  setSessionCookie(reply, session);
  const name = user.name ?? user.email;
  await recordAudit(deps.db.kysely, deps.clock, {
    sandbox: null,
    actor: { kind: 'user', id: user.id, name, address: request.ip },
    action: 'user.signed_in',
    resourceType: 'user',
    resourceId: user.id,
    resourceName: user.email,
    fields: [],
    details: { via },
  });
  return { session, csrfToken: issueCsrfToken(reply, session.id) };
}

/** The session behind the request's cookie, or a 401 (and the stale cookie cleared). */
async function currentSession(
  deps: SignInDeps,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<UserPrincipal> {
  const cookie = request.cookies[SESSION_COOKIE];
  const principal = cookie ? await verifySession(deps.db, deps.clock, cookie) : undefined;
  if (!principal) {
    if (cookie) clearSessionCookie(reply);
    throw new AppError('unauthorized', 'You are not signed in.');
  }
  return principal;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the logout route's hook: the session being ended. */
    consoleSession?: UserPrincipal;
  }
}

/**
 * Console sign-in with email and password (outside /api: no sandbox, no bearer token). Their own
 * scope carries the failed-authentication limit (a password guesser is stopped per address) and
 * the request rate limit.
 */
export function signInRoutes(app: App, deps: SignInDeps) {
  app.post(
    '/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign in to the console with email and password (sets the session cookie)',
        body: Login,
        response: { 200: SessionAnswer, ...errorResponses(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const user = await verifyCredentials(deps.db, request.body);
      const signedIn = toUser(user);
      const { csrfToken } = await startConsoleSession(deps, request, reply, signedIn, 'password');
      return { user: userOf({ ...signedIn, name: signedIn.name ?? signedIn.email }), csrfToken };
    },
  );

  app.get(
    '/auth/session',
    {
      schema: {
        tags: ['auth'],
        summary: 'The signed-in user and a CSRF token for this session, or 401',
        response: { 200: SessionAnswer, ...errorResponses(401, 429) },
      },
    },
    async (request, reply) => {
      const principal = await currentSession(deps, request, reply);
      return { user: userOf(principal), csrfToken: issueCsrfToken(reply, principal.sessionId) };
    },
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign out: ends the session and clears its cookie (needs x-csrf-token)',
        response: { 204: Type.Null(), ...errorResponses(401, 403, 429) },
      },
      onRequest: [
        async (request, reply) => {
          request.consoleSession = await currentSession(deps, request, reply);
        },
        csrfGuard(app),
      ],
    },
    async (request, reply) => {
      const session = request.consoleSession;
      if (!session) throw new AppError('unauthorized', 'You are not signed in.');
      await revokeSession(deps.db, deps.clock, session.sessionId);
      clearSessionCookie(reply);
      void reply.clearCookie(CSRF_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );
}
