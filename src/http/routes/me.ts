import { Type } from '@sinclair/typebox';
import { membershipsOf } from '../../auth/memberships.js';
import { PERMISSIONS, ROLES, type Permission, type Role } from '../../auth/roles.js';
import type { Db } from '../../db/database.js';
import type { App } from '../app-type.js';
import { errorResponses } from '../schemas.js';

const RoleName = Type.Unsafe<Role>({ type: 'string', enum: [...ROLES] });
const PermissionName = Type.Unsafe<Permission>({ type: 'string', enum: [...PERMISSIONS] });

const Me = Type.Object({
  kind: Type.Union([Type.Literal('token'), Type.Literal('user')]),
  token: Type.Union([
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      sandbox: Type.Union([Type.String(), Type.Null()]),
    }),
    Type.Null(),
  ]),
  user: Type.Union([
    Type.Object({
      id: Type.String(),
      email: Type.String(),
      name: Type.String(),
      instanceAdmin: Type.Boolean(),
      via: Type.Union([Type.Literal('password'), Type.Literal('oidc')]),
      memberships: Type.Array(Type.Object({ sandbox: Type.String(), roles: Type.Array(RoleName) })),
    }),
    Type.Null(),
  ]),
  sandbox: Type.String({
    description: 'The sandbox this request works in (x-sandbox-name header)',
  }),
  roles: Type.Array(RoleName, {
    description: "The user's roles in this sandbox (none for a token)",
  }),
  permissions: Type.Array(PermissionName, {
    description: 'What this caller may do in this sandbox (route-permissions in the docs)',
  }),
});

/** Who the caller is: lets the console or a script check its identity, sandbox and roles. */
export function meRoutes(api: App, deps: { db: Db }) {
  api.get(
    '/v1/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'The caller, its sandbox and what it may do there',
        response: { 200: Me, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const p = request.principal;
      return {
        kind: p.kind,
        token: p.kind === 'token' ? { id: p.id, name: p.name, sandbox: p.sandbox } : null,
        user:
          p.kind === 'user'
            ? {
                id: p.id,
                email: p.email,
                name: p.name,
                instanceAdmin: p.instanceAdmin,
                via: p.via,
                memberships: await membershipsOf(deps.db.kysely, p.id),
              }
            : null,
        sandbox: request.sandbox,
        roles: request.access.roles,
        permissions: PERMISSIONS.filter((perm) => request.access.permissions.has(perm)),
      };
    },
  );
}
