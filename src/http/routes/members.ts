import { Type } from '@sinclair/typebox';
import { listMembers, removeMember, setMemberRoles } from '../../auth/members.js';
import { isRole, ROLES, type Role } from '../../auth/roles.js';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import type { App } from '../app-type.js';
import { errorResponses } from '../schemas.js';

const RoleName = Type.Unsafe<Role>({ type: 'string', enum: [...ROLES] });

const MemberSchema = Type.Object(
  {
    id: Type.String({ description: "The user's id" }),
    email: Type.String(),
    name: Type.Union([Type.String(), Type.Null()]),
    roles: Type.Array(RoleName, { description: 'Their roles in this sandbox' }),
    instanceAdmin: Type.Boolean({ description: 'Owner in every sandbox, whatever their roles' }),
    hasPassword: Type.Boolean(),
    ssoLinked: Type.Boolean({ description: 'Has signed in through single sign-on' }),
    disabled: Type.Boolean(),
    createdAt: Type.String(),
  },
  { $id: 'Member', title: 'A person with roles in this sandbox' },
);

const UserParams = Type.Object({ userId: Type.String({ minLength: 1, maxLength: 100 }) });

const RolesBody = Type.Object(
  {
    roles: Type.Array(RoleName, {
      minItems: 1,
      maxItems: ROLES.length,
      uniqueItems: true,
      description: `One or more of: ${ROLES.join(', ')}`,
    }),
  },
  { additionalProperties: false },
);

const tags = ['members'];

/**
 * `/api/v1/members`: the people of this sandbox and their roles. Changing and removing them
 * needs `manage` (owners); a sandbox always keeps an owner (auth/members.ts). Invitations,
 * which add people, are the invitations routes'.
 */
export function memberRoutes(api: App, deps: { db: Db; clock: Clock }) {
  api.addSchema(MemberSchema);

  api.get(
    '/v1/members',
    {
      schema: {
        tags,
        summary: 'List the people of this sandbox and their roles',
        response: {
          200: Type.Object({ items: Type.Array(Type.Ref(MemberSchema)) }),
          ...errorResponses(401, 404),
        },
      },
    },
    async (request) => ({ items: await listMembers(deps.db.kysely, request.sandbox) }),
  );

  api.put(
    '/v1/members/:userId',
    {
      schema: {
        tags,
        summary: "Replace a member's roles in this sandbox",
        description:
          'Needs the owner role. 409 when the change would leave the sandbox without an owner whose account is enabled.',
        params: UserParams,
        body: RolesBody,
        response: { 200: Type.Ref(MemberSchema), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    (request) =>
      setMemberRoles(deps.db, deps.clock, {
        sandbox: request.sandbox,
        userId: request.params.userId,
        roles: request.body.roles.filter(isRole),
        actor: request.actor,
      }),
  );

  api.delete(
    '/v1/members/:userId',
    {
      schema: {
        tags,
        summary: 'Remove a person from this sandbox (every role they hold here)',
        description:
          'Needs the owner role. Their account stays (other sandboxes, signing in); 409 for the last owner.',
        params: UserParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await removeMember(deps.db, deps.clock, {
        sandbox: request.sandbox,
        userId: request.params.userId,
        actor: request.actor,
      });
      return reply.status(204).send(null);
    },
  );
}
