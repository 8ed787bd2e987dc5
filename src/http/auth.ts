import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AdminTokenVerifier } from '../auth/admin-tokens.js';
import { rolesIn } from '../auth/memberships.js';
import { actorOf, type Access, type Actor, type Principal } from '../auth/principal.js';
import {
  PERMISSIONS,
  permissionsOf,
  rolesGranting,
  ROLES,
  type Permission,
} from '../auth/roles.js';
import { SESSION_COOKIE, verifySession } from '../auth/sessions.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { AppError } from '../errors.js';
import { csrfGuard } from './csrf.js';
import { permissionRuleOf, permissionsForBody, type PermissionRule } from './route-permissions.js';
import { sandboxFromHeader } from './sandbox.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on every authenticated `/api` request: a token or a signed-in user. */
    principal: Principal;
    /** The sandbox this request works in; every query is scoped to it. */
    sandbox: string;
    /** What the principal may do in `sandbox`. */
    access: Access;
    /** Who is acting, and from where: what the audit log records. */
    actor: Actor;
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

export interface CallerDeps {
  db: Db;
  clock: Clock;
  verifier: AdminTokenVerifier;
  sandboxes: { exists(name: string): Promise<boolean> };
}

const ALL_IN_SANDBOX = new Set<Permission>(PERMISSIONS.filter((p) => p !== 'instance'));
const ALL = new Set<Permission>(PERMISSIONS);

/** A bearer token wins over a session cookie: a script's request is the token's. */
async function authenticate(
  request: FastifyRequest,
  deps: CallerDeps,
): Promise<Principal | undefined> {
  const token = bearerToken(request.headers.authorization);
  if (token) {
    const admin = await deps.verifier.verify(token);
    if (!admin) throw new AppError('unauthorized', 'The admin token is not valid.');
    return { kind: 'token', id: admin.tokenId, name: admin.name, sandbox: admin.sandbox };
  }
  const cookie = request.cookies[SESSION_COOKIE];
  if (cookie) {
    const user = await verifySession(deps.db, deps.clock, cookie);
    if (!user) throw new AppError('unauthorized', 'Your session has ended: sign in again.');
    return user;
  }
  return undefined;
}

/** The principal's access in a sandbox, or undefined when it may not see that sandbox at all. */
async function accessIn(
  deps: CallerDeps,
  principal: Principal,
  sandbox: string,
): Promise<Access | undefined> {
  if (!(await deps.sandboxes.exists(sandbox))) return undefined;
  if (principal.kind === 'token') {
    if (principal.sandbox !== null && principal.sandbox !== sandbox) return undefined;
    return { roles: [], permissions: principal.sandbox === null ? ALL : ALL_IN_SANDBOX };
  }
  if (principal.instanceAdmin) {
    // Owner everywhere; compliance only when granted (compliance alone edits its settings).
    const roles = new Set(await rolesIn(deps.db.kysely, principal.id, sandbox));
    roles.add('owner');
    const permissions = permissionsOf(roles);
    permissions.add('instance');
    return { roles: ROLES.filter((r) => roles.has(r)), permissions };
  }
  const roles = await rolesIn(deps.db.kysely, principal.id, sandbox);
  if (roles.length === 0) return undefined;
  return { roles, permissions: permissionsOf(roles) };
}

function forbidden(request: FastifyRequest, needed: Iterable<Permission>): AppError {
  const missing = [...needed].filter((p) => !request.access.permissions.has(p));
  const details = missing.map((permission) => ({
    message:
      permission === 'instance'
        ? 'needs a token valid in every sandbox or an instance administrator'
        : `needs the role ${rolesGranting(permission).join(' or ')}`,
    permission,
    allowedRoles: permission === 'instance' ? [] : rolesGranting(permission),
    yourRoles: request.access.roles,
  }));
  const message =
    request.principal.kind === 'token'
      ? 'This token is limited to one sandbox; use a token valid in every sandbox.'
      : `Your roles in sandbox "${request.sandbox}" (${request.access.roles.join(', ') || 'none'}) do not allow this.`;
  return new AppError('forbidden', message, details);
}

function ruleOf(request: FastifyRequest): PermissionRule | undefined {
  const url = request.routeOptions.url;
  return url === undefined ? undefined : permissionRuleOf(request.method, url);
}

/**
 * Authenticates every route registered in `scope` (the `/api` plugin) by admin token or session
 * cookie, resolves the sandbox and the caller's roles in it, and enforces each route's
 * permission (route-permissions.ts). Runs before body parsing, so an unauthenticated or
 * unauthorised caller cannot make Tern parse a large body; rules that depend on the body's
 * fields are checked again once it is parsed.
 */
export function requireCaller(scope: FastifyInstance, deps: CallerDeps): void {
  // (null until the hook sets it; typed by the declaration above)
  scope.decorateRequest('principal', null as never);
  scope.decorateRequest('sandbox', '');
  scope.decorateRequest('access', null as never);
  scope.decorateRequest('actor', null as never);
  // Every route has a rule, or the app does not start.
  scope.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) permissionRuleOf(method, route.url);
  });
  scope.addHook('onRequest', async (request) => {
    const principal = await authenticate(request, deps);
    if (!principal) {
      throw new AppError(
        'unauthorized',
        'Send an admin token as "Authorization: Bearer <token>", or sign in to the console.',
      );
    }
    const sandbox = sandboxFromHeader(request.headers['x-sandbox-name']);
    // Another sandbox's data is "not found", never "forbidden": a caller learns nothing of what
    // exists outside its sandboxes.
    const access = await accessIn(deps, principal, sandbox);
    const rule = ruleOf(request);
    // A user in no sandbox yet may still ask who they are (`anySandbox`); a token may not.
    const mayAskAnyway =
      principal.kind === 'user' && rule?.anySandbox && (await deps.sandboxes.exists(sandbox));
    if (!access && !mayAskAnyway) {
      throw new AppError('not_found', `Sandbox "${sandbox}" not found.`, [
        { path: '/headers/x-sandbox-name', message: 'is not a sandbox you can use' },
      ]);
    }
    request.principal = principal;
    request.sandbox = sandbox;
    request.access = access ?? { roles: [], permissions: new Set() };
    request.actor = actorOf(principal, request.ip);
    if (!rule || rule.anySandbox) return;
    // Before the body: the caller needs at least one permission the body could need.
    const possible = [rule.permission, ...Object.values(rule.fields ?? {})];
    if (!possible.some((p) => p !== undefined && request.access.permissions.has(p))) {
      throw forbidden(request, [rule.permission]);
    }
  });
  // After authentication: a browser sends the session cookie on any request it is tricked into
  // making, so a session's unsafe request must also carry the CSRF token; a bearer token is
  // never sent by a browser on its own, so scripts need none.
  const checkCsrf = csrfGuard(scope);
  scope.addHook('onRequest', (request, reply, done) => {
    if (request.principal.kind !== 'user') return done();
    checkCsrf(request, reply, done);
  });
  scope.addHook('preHandler', (request, _reply, done) => {
    const rule = ruleOf(request);
    if (rule?.fields) {
      const needed = permissionsForBody(rule, request.body);
      if ([...needed].some((p) => !request.access.permissions.has(p))) {
        done(forbidden(request, needed));
        return;
      }
    }
    done();
  });
}
