import type { FastifyReply } from 'fastify';
import { SESSION_COOKIE, type NewSession } from '../auth/sessions.js';

/**
 * The console's session cookie: HttpOnly (no script reads it), Secure (browsers keep Secure
 * cookies on http://localhost and 127.0.0.1 too, so a local install still signs in), SameSite=Lax
 * (sent on the top-level redirect back from a single-sign-on provider, not on cross-site
 * requests), Path=/ (the console and the API share it).
 */
export function setSessionCookie(reply: FastifyReply, session: NewSession): void {
  void reply.setCookie(SESSION_COOKIE, session.token, {
    httpOnly: true,
    secure: true,
    sameSite: 'lax',
    path: '/',
    expires: new Date(session.expiresAt),
  });
}

export function clearSessionCookie(reply: FastifyReply): void {
  void reply.clearCookie(SESSION_COOKIE, {
    httpOnly: true,
    secure: true,
    sameSite: 'lax',
    path: '/',
  });
}
