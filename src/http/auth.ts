import type { FastifyInstance } from 'fastify';
import type { AdminPrincipal, AdminTokenVerifier } from '../auth/admin-tokens.js';
import { AppError } from '../errors.js';
import { sandboxFromHeader } from './sandbox.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on every authenticated `/api` request. */
    principal: AdminPrincipal;
    /** The sandbox this request works in; every query is scoped to it. */
    sandbox: string;
  }
}

/**
 * The token of an `Authorization: Bearer <token>` header: the scheme in any case, any
 * whitespace around the token (the rate limit buckets by this same token, so `bearer x` and
 * `BEARER  x` are one caller). The classes are disjoint, so the match is linear in the length.
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Requires `Authorization: Bearer <token>` on every route registered in `scope` (the `/api`
 * plugin), and resolves the sandbox. Runs before body parsing, so an unauthenticated caller
 * cannot make Tern parse a large body.
 */
export function requireAdminToken(
  scope: FastifyInstance,
  verifier: AdminTokenVerifier,
  sandboxes: { exists(name: string): Promise<boolean> },
): void {
  scope.decorateRequest('principal', null as unknown as AdminPrincipal);
  scope.decorateRequest('sandbox', '');
  scope.addHook('onRequest', async (request) => {
    const token = bearerToken(request.headers.authorization);
    if (!token) {
      throw new AppError('unauthorized', 'Send an admin token as "Authorization: Bearer <token>".');
    }
    const principal = await verifier.verify(token);
    if (!principal) throw new AppError('unauthorized', 'The admin token is not valid.');
    const sandbox = sandboxFromHeader(request.headers['x-sandbox-name']);
    // Another sandbox's data is "not found", never "forbidden": a token learns nothing of what
    // exists outside its sandbox.
    if (
      (principal.sandbox !== null && principal.sandbox !== sandbox) ||
      !(await sandboxes.exists(sandbox))
    ) {
      throw new AppError('not_found', `Sandbox "${sandbox}" not found.`, [
        { path: '/headers/x-sandbox-name', message: 'is not a sandbox this token can use' },
      ]);
    }
    request.principal = principal;
    request.sandbox = sandbox;
  });
}
