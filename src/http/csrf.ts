import { hkdfSync } from 'node:crypto';
import fastifyCsrfProtection from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hashToken } from '../auth/admin-tokens.js';
import { SESSION_COOKIE } from '../auth/sessions.js';
import type { Keyring } from '../crypto/secret-box.js';
import { AppError } from '../errors.js';

/** The cookie holding the CSRF secret (HttpOnly: the console gets its token in a JSON answer). */
export const CSRF_COOKIE = 'tern_csrf';
/** The header a cookie-authenticated unsafe request carries its CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * A key of its own for CSRF tokens, derived from the secret key (HKDF, a distinct `info`): a
 * leaked CSRF key would say nothing of the key that seals API credentials, and no constant
 * sits in the code. Rotating the secret key makes earlier CSRF tokens invalid; the console
 * asks GET /auth/session for a new one.
 */
export function csrfKey(keyring: Keyring): Buffer {
  return Buffer.from(hkdfSync('sha256', keyring.current.key, Buffer.alloc(0), 'tern csrf v1', 32));
}

/** The session id (sha256 of the cookie value) a CSRF token is bound to. */
function sessionIdOf(request: FastifyRequest): string {
  const cookie = request.cookies[SESSION_COOKIE];
  return cookie ? hashToken(cookie) : '';
}

/**
 * Registers @fastify/csrf-protection app-wide (after @fastify/cookie): a secret in the
 * `tern_csrf` cookie, tokens HMAC-bound to the session id (`userInfo`), so that a token made for
 * one session, or a secret cookie tossed in from a sibling domain, does not pass for another.
 * Token only from the `x-csrf-token` header: a form post cannot set one.
 */
export async function registerCsrf(app: FastifyInstance, keyring: Keyring): Promise<void> {
  await app.register(fastifyCsrfProtection, {
    cookieKey: CSRF_COOKIE,
    cookieOpts: { httpOnly: true, secure: true, sameSite: 'lax', path: '/' },
    getToken: (request) => {
      const header = request.headers[CSRF_HEADER];
      // Our tokens are ~80 characters; a longer header is not worth hashing.
      return typeof header === 'string' && header.length <= 256 ? header : undefined;
    },
    getUserInfo: sessionIdOf,
    csrfOpts: { hmacKey: csrfKey(keyring), userInfo: true },
  });
}

/** A CSRF token for a session that has just started (or is being resumed): for the console. */
export function issueCsrfToken(reply: FastifyReply, sessionId: string): string {
  return reply.generateCsrf({ userInfo: sessionId });
}

/** True when a request needs a CSRF token: an unsafe method authenticated by the session cookie. */
export function needsCsrfToken(request: FastifyRequest): boolean {
  return UNSAFE_METHODS.has(request.method);
}

/** The plugin's own errors (a missing secret cookie or a bad token), in Tern's words. */
export function csrfError(code: string | undefined): AppError | undefined {
  if (code !== 'FST_CSRF_MISSING_SECRET' && code !== 'FST_CSRF_INVALID_TOKEN') return undefined;
  return new AppError(
    'forbidden',
    `A console request that changes something needs the "${CSRF_HEADER}" header from GET /auth/session (sign in again if it is refused); scripts use an admin token instead.`,
    [
      {
        path: `/headers/${CSRF_HEADER}`,
        message:
          code === 'FST_CSRF_MISSING_SECRET'
            ? 'no CSRF cookie: sign in again'
            : 'is missing or not valid for this session',
      },
    ],
  );
}

/**
 * The check itself, as an onRequest hook for routes whose caller is already known to be a
 * session (requireCaller adds it after authentication; POST /auth/logout uses it directly).
 */
export function csrfGuard(
  scope: FastifyInstance,
): (request: FastifyRequest, reply: FastifyReply, done: () => void) => void {
  return (request, reply, done) => {
    if (!needsCsrfToken(request)) return done();
    scope.csrfProtection(request, reply, done);
  };
}
