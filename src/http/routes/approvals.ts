import { Type } from '@sinclair/typebox';
import {
  APPROVAL_REASON_MAX,
  APPROVAL_STATUSES,
  CAMPAIGN_APPROVAL_ABOVE_MAX,
} from '../../approvals/approval.js';
import type { ApprovalService, Decider } from '../../approvals/approval.service.js';
import type { App } from '../app-type.js';
import { answerPending, ApprovalSchema, PendingApproval } from '../approval-schema.js';
import { errorResponses, PageLimit, PageOf, pageLimit } from '../schemas.js';
import type { FastifyRequest } from 'fastify';

const tags = ['approvals'];
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

const Settings = Type.Object(
  {
    campaignApprovalAbove: Type.Union(
      [Type.Integer({ minimum: 0, maximum: CAMPAIGN_APPROVAL_ABOVE_MAX }), Type.Null()],
      { description: 'A campaign whose audience is larger needs approval; null: off' },
    ),
    complianceApprovals: Type.Boolean({
      description: 'Keyword, consent and send-time rule changes need a second person',
    }),
  },
  { title: 'Approval settings' },
);

const ListQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(APPROVAL_STATUSES.map((s) => Type.Literal(s)))),
    resourceType: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    resourceId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Optional(PageLimit),
  },
  { additionalProperties: false },
);

function decider(request: FastifyRequest): Decider {
  return { actor: request.actor, permissions: request.access.permissions };
}

/** `/api/v1/approvals` and `/api/v1/approval-settings` (issue 18). */
export function approvalRoutes(api: App, approvals: ApprovalService) {
  api.get(
    '/v1/approval-settings',
    {
      schema: {
        tags,
        summary: "The sandbox's approval settings",
        response: { 200: Settings, ...errorResponses(401) },
      },
    },
    (request) => approvals.settings(request.sandbox),
  );

  api.put(
    '/v1/approval-settings',
    {
      schema: {
        tags,
        summary: 'Change the approval settings',
        description:
          "campaignApprovalAbove is the owner's (manage), complianceApprovals compliance's. Turning complianceApprovals off while it is on waits for a second compliance person's approval (202), and must be sent alone.",
        body: Type.Partial(Settings, { additionalProperties: false }),
        response: { 200: Settings, 202: PendingApproval, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const outcome = await approvals.updateSettings(request.sandbox, request.actor, request.body);
      return 'approval' in outcome ? answerPending(reply, outcome.approval) : outcome.settings;
    },
  );

  api.get(
    '/v1/approvals',
    {
      schema: {
        tags,
        summary: 'List approval requests, newest first',
        description: '?status=pending for those waiting; resourceType and resourceId narrow it.',
        querystring: ListQuery,
        response: { 200: PageOf(ApprovalSchema), ...errorResponses(400, 401) },
      },
    },
    (request) =>
      approvals.list(request.sandbox, {
        status: request.query.status,
        resourceType: request.query.resourceType,
        resourceId: request.query.resourceId,
        cursor: request.query.cursor,
        limit: pageLimit(request.query.limit),
      }),
  );

  api.get(
    '/v1/approvals/:id',
    {
      schema: {
        tags,
        summary: 'Get an approval request',
        params: IdParams,
        response: { 200: ApprovalSchema, ...errorResponses(401, 404) },
      },
    },
    (request) => approvals.get(request.sandbox, request.params.id),
  );

  api.post(
    '/v1/approvals/:id/approve',
    {
      schema: {
        tags,
        summary: 'Approve a request: its change is applied as requested',
        description:
          'A signed-in person only (a token gets 403), never the requester (403), holding the permission the change needs (send for a campaign, compliance for the rest). 409 when the resource changed since the request (the request is then failed) or the request is already decided.',
        params: IdParams,
        response: { 200: ApprovalSchema, ...errorResponses(401, 403, 404, 409) },
      },
    },
    (request) => approvals.approve(request.sandbox, decider(request), request.params.id),
  );

  api.post(
    '/v1/approvals/:id/reject',
    {
      schema: {
        tags,
        summary: 'Reject a request: nothing changes',
        description: 'As for approving: a second person holding the permission the change needs.',
        params: IdParams,
        body: Type.Object(
          { reason: Type.String({ minLength: 1, maxLength: APPROVAL_REASON_MAX }) },
          { additionalProperties: false },
        ),
        response: { 200: ApprovalSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    (request) =>
      approvals.reject(request.sandbox, decider(request), request.params.id, request.body.reason),
  );

  api.post(
    '/v1/approvals/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Withdraw your own pending request',
        params: IdParams,
        response: { 200: ApprovalSchema, ...errorResponses(401, 403, 404, 409) },
      },
    },
    (request) => approvals.cancel(request.sandbox, request.actor, request.params.id),
  );
}
