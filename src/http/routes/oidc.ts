import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { OidcRefusal, PENDING_LOGIN_TTL_MS, type OidcSignIn } from '../../auth/oidc.js';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import type { App } from '../app-type.js';
import { startConsoleSession } from './sign-in.js';

/** The pending login's cookie (auth/oidc.ts says why a cookie): sent only to the callback. */
export const OIDC_COOKIE = 'tern_oidc';
const COOKIE_PATH = '/auth/oidc';

// Bounds on what the provider sends back: codes and states are ~43-100 characters at real
// providers; a description is a sentence.
const Param = (maxLength: number) => Type.Optional(Type.String({ maxLength }));
const CallbackQuery = Type.Object(
  {
    code: Param(2048),
    state: Param(512),
    iss: Param(512),
    error: Param(128),
    error_description: Param(1024),
    session_state: Param(512),
  },
  { additionalProperties: true },
);

const StartQuery = Type.Object({ returnTo: Param(512) }, { additionalProperties: false });

const Redirect = Type.Null({ description: 'A redirect (Location header)' });

/**
 * Single sign-on through the configured OpenID Connect provider (outside /api: the browser is
 * not signed in yet). Both routes exist when it is not configured, and say so on the sign-in
 * page. Every failure lands on the sign-in page as a sentence (`/?signInError=…`), never an
 * error page or a stack.
 */
export function oidcRoutes(app: App, deps: { oidc: OidcSignIn | null; db: Db; clock: Clock }) {
  const refuse = (reply: FastifyReply, message: string) => {
    void reply.clearCookie(OIDC_COOKIE, { path: COOKIE_PATH });
    return reply.redirect(`/?signInError=${encodeURIComponent(message)}`, 302);
  };
  const notConfigured =
    'Single sign-on is not configured on this Tern: sign in with your password.';

  app.get(
    '/auth/oidc/start',
    {
      schema: {
        tags: ['auth'],
        summary: 'Starts single sign-on: redirects to the provider (302)',
        querystring: StartQuery,
        response: { 302: Redirect },
      },
    },
    async (request, reply) => {
      if (!deps.oidc) return refuse(reply, notConfigured);
      try {
        const { url, sealed } = await deps.oidc.start(request.query.returnTo);
        void reply.setCookie(OIDC_COOKIE, sealed, {
          httpOnly: true,
          secure: true,
          // Lax: the provider's redirect back is a top-level GET from another site.
          sameSite: 'lax',
          path: COOKIE_PATH,
          maxAge: PENDING_LOGIN_TTL_MS / 1000,
        });
        return reply.redirect(url, 302);
      } catch (error) {
        if (!(error instanceof OidcRefusal)) throw error;
        // The library's reason (a refused connection, an issuer that does not match) is for the
        // operator: the person sees the sentence.
        request.log.warn(
          { oidc: error.code, reason: error.reason?.message },
          `single sign-on could not start: ${error.message}`,
        );
        return refuse(reply, error.message);
      }
    },
  );

  app.get(
    '/auth/oidc/callback',
    {
      schema: {
        tags: ['auth'],
        summary: "The provider's redirect back: signs in and redirects to the console (302)",
        querystring: CallbackQuery,
        response: { 302: Redirect },
      },
    },
    async (request, reply) => {
      if (!deps.oidc) return refuse(reply, notConfigured);
      // The registered redirect URI with the provider's parameters: openid-client sends it to
      // the token endpoint as redirect_uri, so it must be ours, not whatever Host the proxy saw.
      const query = request.url.indexOf('?');
      const callbackUrl = new URL(deps.oidc.redirectUri);
      callbackUrl.search = query === -1 ? '' : request.url.slice(query);
      try {
        const { user, returnTo } = await deps.oidc.finish(
          callbackUrl,
          request.cookies[OIDC_COOKIE],
        );
        const principal = {
          id: user.id,
          email: user.email,
          name: user.name,
          instanceAdmin: Number(user.instance_admin) === 1,
        };
        await startConsoleSession(deps, request, reply, principal, 'oidc');
        void reply.clearCookie(OIDC_COOKIE, { path: COOKIE_PATH });
        return reply.redirect(returnTo, 302);
      } catch (error) {
        if (error instanceof OidcRefusal) {
          request.log.info(
            { oidc: error.code, reason: error.reason?.message },
            `single sign-on refused: ${error.message}`,
          );
          return refuse(reply, error.message);
        }
        request.log.error({ err: error }, 'single sign-on failed');
        return refuse(reply, 'Sign-in failed on Tern’s side: try again in a minute.');
      }
    },
  );
}
