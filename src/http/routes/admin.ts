import { Type } from '@sinclair/typebox';
import type { ApprovalService } from '../../approvals/approval.service.js';
import { answerPending, PendingApproval } from '../approval-schema.js';
import { listAudit } from '../../audit/audit.js';
import { createAdminToken, listAdminTokens, revokeAdminToken } from '../../auth/admin-tokens.js';
import { membershipsOf } from '../../auth/memberships.js';
import type { Principal } from '../../auth/principal.js';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { SandboxService } from '../../sandboxes/sandboxes.js';
import type { App } from '../app-type.js';
import { errorResponses, IdParams, PageLimit, PageOf, pageLimit } from '../schemas.js';
import type { FastifyRequest } from 'fastify';

const Sandbox = Type.Object({
  name: Type.String(),
  createdAt: Type.String(),
  consentPolicy: Type.Union([Type.Literal('not-unsubscribed'), Type.Literal('subscribed-only')], {
    description: 'Which numbers marketing messages may go to',
  }),
});
const Token = Type.Object({
  id: Type.String(),
  name: Type.String(),
  sandbox: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});
const AuditEntry = Type.Object({
  id: Type.String(),
  sandbox: Type.Union([Type.String(), Type.Null()], {
    description:
      'Null for a change outside any sandbox (a sandbox created, a token for all sandboxes): listed to tokens valid in every sandbox',
  }),
  at: Type.String(),
  actor: Type.String({
    description: 'The user or admin token id that made the change (or "env", "cli", "system")',
  }),
  actorKind: Type.Union(
    [
      Type.Literal('token'),
      Type.Literal('user'),
      Type.Literal('system'),
      Type.Literal('cli'),
      Type.Null(),
    ],
    { description: 'Null in entries older than the people release not made by a stored token' },
  ),
  actorName: Type.Union([Type.String(), Type.Null()], {
    description: "The user's or token's name as it was then",
  }),
  actorAddress: Type.Union([Type.String(), Type.Null()], {
    description: 'The address the request came from (null for the system and the command line)',
  }),
  action: Type.String(),
  resourceType: Type.String(),
  resourceId: Type.String(),
  resourceName: Type.Union([Type.String(), Type.Null()], {
    description:
      "The resource's name when changed (a webhook: its URL's host; an erased profile: the number's last two digits)",
  }),
  fields: Type.Array(Type.String(), {
    description: 'Names of the fields that changed; never values of secrets',
  }),
  details: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
});

/** Tokens valid in every sandbox and instance administrators see past the request's sandbox. */
function seesEverySandbox(request: FastifyRequest): boolean {
  return request.access.permissions.has('instance');
}

/** The sandboxes a caller limited to some of them may use. */
async function visibleSandboxes(db: Db, principal: Principal): Promise<Set<string>> {
  if (principal.kind === 'token')
    return new Set(principal.sandbox === null ? [] : [principal.sandbox]);
  return new Set((await membershipsOf(db.kysely, principal.id)).map((m) => m.sandbox));
}

/** Sandboxes, admin tokens and the audit log. */
export function adminRoutes(
  api: App,
  deps: { db: Db; clock: Clock; sandboxes: SandboxService; approvals: ApprovalService },
) {
  api.get(
    '/v1/sandboxes',
    {
      schema: {
        tags: ['sandboxes'],
        summary: 'List sandboxes',
        response: { 200: Type.Object({ items: Type.Array(Sandbox) }), ...errorResponses(401) },
      },
    },
    async (request) => {
      const all = await deps.sandboxes.list();
      if (seesEverySandbox(request)) return { items: all };
      const mine = await visibleSandboxes(deps.db, request.principal);
      return { items: all.filter((s) => mine.has(s.name)) };
    },
  );

  api.post(
    '/v1/sandboxes',
    {
      schema: {
        tags: ['sandboxes'],
        summary: 'Create a sandbox',
        body: Type.Object(
          {
            name: Type.String({
              maxLength: 100,
              description: 'Lower-case letters, digits and dashes',
            }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Sandbox, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      return reply.status(201).send(await deps.sandboxes.create(request.body.name, request.actor));
    },
  );

  api.patch(
    '/v1/sandboxes/:name',
    {
      schema: {
        tags: ['sandboxes'],
        summary: "Change a sandbox's consent policy",
        params: Type.Object({ name: Type.String({ maxLength: 100 }) }),
        body: Type.Object(
          {
            consentPolicy: Type.Union([
              Type.Literal('not-unsubscribed'),
              Type.Literal('subscribed-only'),
            ]),
          },
          { additionalProperties: false },
        ),
        response: { 200: Sandbox, 202: PendingApproval, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      // Its consent rules are edited from inside it (x-sandbox-name), where the role is known.
      if (request.params.name !== request.sandbox && !seesEverySandbox(request)) {
        throw new AppError('not_found', `Sandbox "${request.params.name}" not found.`);
      }
      const name = request.params.name;
      if ((await deps.sandboxes.exists(name)) && (await deps.approvals.complianceApprovalsOn(name)))
        return answerPending(
          reply,
          await deps.approvals.request(name, request.actor, {
            kind: 'sandbox.consent_policy',
            resourceType: 'sandbox',
            resourceId: name,
            resourceName: name,
            change: { consentPolicy: request.body.consentPolicy },
          }),
        );
      return deps.sandboxes.setConsentPolicy(
        request.params.name,
        request.body.consentPolicy,
        request.actor,
      );
    },
  );

  api.get(
    '/v1/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: 'List admin tokens (never the tokens themselves)',
        response: { 200: Type.Object({ items: Type.Array(Token) }), ...errorResponses(401) },
      },
    },
    async (request) => ({
      items: await listAdminTokens(deps.db, seesEverySandbox(request) ? null : request.sandbox),
    }),
  );

  api.post(
    '/v1/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Create an admin token',
        description: 'The token is in this answer only; Tern stores its hash.',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            sandbox: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            id: Type.String(),
            token: Type.String(),
            name: Type.String(),
            sandbox: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const sandbox = request.body.sandbox ?? null;
      if (sandbox !== null && !(await deps.sandboxes.exists(sandbox))) {
        throw new AppError('validation_failed', 'The token names a sandbox that does not exist.', [
          { path: '/sandbox', message: 'is not a sandbox' },
        ]);
      }
      const { id, token } = await createAdminToken(deps.db, deps.clock, {
        name: request.body.name,
        sandbox,
        actor: request.actor,
      });
      return reply.status(201).send({ id, token, name: request.body.name, sandbox });
    },
  );

  api.delete(
    '/v1/tokens/:id',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Revoke an admin token',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      if (!(await revokeAdminToken(deps.db, deps.clock, request.params.id, request.actor))) {
        throw new AppError('not_found', `No active admin token ${request.params.id}.`);
      }
      return reply.status(204).send(null);
    },
  );

  api.get(
    '/v1/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'The audit log of the sandbox, newest first',
        description:
          'A token valid in every sandbox also sees the changes made outside any sandbox (sandbox null): sandboxes created, tokens for all sandboxes.',
        querystring: Type.Object(
          {
            actor: Type.Optional(
              Type.String({
                maxLength: 100,
                description: "Only this user's or token's changes (its id)",
              }),
            ),
            resourceType: Type.Optional(
              Type.String({
                maxLength: 64,
                description: 'Only changes to this kind of resource (e.g. credential)',
              }),
            ),
            resourceId: Type.Optional(Type.String({ maxLength: 100 })),
            action: Type.Optional(
              Type.String({
                maxLength: 64,
                description: 'Only this action (e.g. credential.updated)',
              }),
            ),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
            limit: Type.Optional(PageLimit),
          },
          { additionalProperties: false },
        ),
        response: { 200: PageOf(AuditEntry), ...errorResponses(400, 401, 404) },
      },
    },
    (request) =>
      listAudit(deps.db.kysely, request.sandbox, {
        outsideSandboxes: seesEverySandbox(request),
        actor: request.query.actor,
        resourceType: request.query.resourceType,
        resourceId: request.query.resourceId,
        action: request.query.action,
        cursor: request.query.cursor,
        limit: pageLimit(request.query.limit),
      }),
  );
}
