import { Type } from '@sinclair/typebox';
import type { OidcConfig } from '../../config.js';
import type { App } from '../app-type.js';

const AuthMethods = Type.Object({
  password: Type.Boolean({ description: 'Email and password sign-in (POST /auth/sign-in)' }),
  oidc: Type.Union([
    Type.Object({
      name: Type.String({ description: 'The button label: "Sign in with <name>"' }),
      startUrl: Type.Literal('/auth/oidc/start'),
    }),
    Type.Null(),
  ]),
});

/**
 * How one may sign in to the console: public (outside /api), read by the sign-in page before
 * anyone is signed in, so it names no provider URL or client id, only the button's label.
 */
export function authMethodsRoutes(app: App, deps: { oidc: OidcConfig | null }) {
  app.get(
    '/auth/methods',
    {
      schema: {
        tags: ['auth'],
        summary: 'The sign-in methods this Tern offers (public)',
        response: { 200: AuthMethods },
      },
    },
    () => ({
      password: true,
      oidc: deps.oidc ? { name: deps.oidc.name, startUrl: '/auth/oidc/start' as const } : null,
    }),
  );
}
