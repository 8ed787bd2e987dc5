import { Type } from '@sinclair/typebox';
import {
  acceptInvitation,
  createInvitation,
  describeInvitation,
  invitationUrl,
  listPendingInvitations,
  revokeInvitation,
} from '../../auth/invitations.js';
import { PASSWORD_MAX_LENGTH } from '../../auth/passwords.js';
import { ROLES, type Role } from '../../auth/roles.js';
import { EMAIL_MAX_LENGTH, toUser } from '../../auth/users.js';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import type { App } from '../app-type.js';
import { errorResponses, IdParams } from '../schemas.js';
import { SessionAnswer, startConsoleSession } from './sign-in.js';

const RoleName = Type.Unsafe<Role>({ type: 'string', enum: [...ROLES] });

const Invitation = Type.Object({
  id: Type.String(),
  email: Type.String(),
  sandbox: Type.String(),
  roles: Type.Array(RoleName),
  createdAt: Type.String(),
  expiresAt: Type.String(),
});

const CreatedInvitation = Type.Intersect([
  Invitation,
  Type.Object({
    url: Type.String({ description: 'The link to send the person; shown only this once' }),
  }),
]);

const NewInvitation = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: EMAIL_MAX_LENGTH }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    roles: Type.Array(RoleName, { minItems: 1, maxItems: ROLES.length, uniqueItems: true }),
  },
  { additionalProperties: false },
);

// Our tokens are 43 base64url characters.
const TokenParams = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' }),
});

export interface InvitationDeps {
  db: Db;
  clock: Clock;
  publicUrl: string;
}

/** Invitations of the request's sandbox (under /api: owners make and withdraw them). */
export function invitationRoutes(api: App, deps: InvitationDeps) {
  api.post(
    '/v1/invitations',
    {
      schema: {
        tags: ['auth'],
        summary: 'Invite a person to this sandbox with roles (the link is shown once)',
        body: NewInvitation,
        response: { 201: CreatedInvitation, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { invitation, token } = await createInvitation(deps.db, deps.clock, {
        sandbox: request.sandbox,
        email: request.body.email,
        name: request.body.name,
        // (TypeBox types an array of an Unsafe enum as unknown[]; the schema checked each role)
        roles: request.body.roles as Role[],
        actor: request.actor,
      });
      return reply.status(201).send({ ...invitation, url: invitationUrl(deps.publicUrl, token) });
    },
  );

  api.get(
    '/v1/invitations',
    {
      schema: {
        tags: ['auth'],
        summary: "The sandbox's pending invitations",
        response: {
          200: Type.Object({ data: Type.Array(Invitation) }),
          ...errorResponses(401, 403, 404),
        },
      },
    },
    async (request) => ({
      data: await listPendingInvitations(deps.db, deps.clock, request.sandbox),
    }),
  );

  api.delete(
    '/v1/invitations/:id',
    {
      schema: {
        tags: ['auth'],
        summary: 'Withdraw a pending invitation',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await revokeInvitation(deps.db, deps.clock, {
        sandbox: request.sandbox,
        id: request.params.id,
        actor: request.actor,
      });
      return reply.status(204).send(null);
    },
  );
}

/** The invited person's side (outside /api: they hold only the link's token). */
export function invitationAcceptRoutes(app: App, deps: InvitationDeps) {
  app.get(
    '/auth/invitations/:token',
    {
      schema: {
        tags: ['auth'],
        summary: 'What an invitation offers, for the accept page (public: the token is the key)',
        params: TokenParams,
        response: {
          200: Type.Object({
            email: Type.String(),
            sandbox: Type.String(),
            roles: Type.Array(RoleName),
            needsPassword: Type.Boolean(),
          }),
          ...errorResponses(400, 404, 429),
        },
      },
    },
    (request) => describeInvitation(deps.db, deps.clock, request.params.token),
  );

  app.post(
    '/auth/invitations/:token/accept',
    {
      schema: {
        tags: ['auth'],
        summary: 'Accept an invitation (set a password if the account has none) and sign in',
        params: TokenParams,
        body: Type.Object(
          { password: Type.Optional(Type.String({ maxLength: PASSWORD_MAX_LENGTH })) },
          { additionalProperties: false },
        ),
        response: { 200: SessionAnswer, ...errorResponses(400, 404, 429) },
      },
    },
    async (request, reply) => {
      const row = await acceptInvitation(deps.db, deps.clock, {
        token: request.params.token,
        password: request.body.password,
        address: request.ip,
      });
      const user = toUser(row);
      const { csrfToken } = await startConsoleSession(deps, request, reply, user, 'password');
      return {
        user: {
          id: user.id,
          email: user.email,
          name: user.name ?? user.email,
          instanceAdmin: user.instanceAdmin,
        },
        csrfToken,
      };
    },
  );
}
