import { Type } from '@sinclair/typebox';
import { ACTIONS_MAX, ActionSchema } from '../../automation/action.js';
import type { ApprovalService } from '../../approvals/approval.service.js';
import { normalizeKeyword } from '../../credentials/keywords.js';
import type { KeywordResponseService } from '../../keywords/keyword-response.service.js';
import { answerPending, PendingApproval } from '../approval-schema.js';
import type { App } from '../app-type.js';
import { ifMatchVersion, setEtag } from '../etag.js';
import { errorResponses } from '../schemas.js';

const Id = Type.String({ minLength: 1, maxLength: 100 });
const CredentialParams = Type.Object({ id: Id });
const KeywordParams = Type.Object({
  id: Id,
  // The service normalises and names a keyword over 32 characters; the schema keeps far-off input out.
  keyword: Type.String({ minLength: 1, maxLength: 100 }),
});

export const KeywordResponseBody = Type.Object(
  {
    templateId: Type.Union([Id, Type.Null()], {
      description: 'The template the reply is rendered from (for the texter); null: no reply',
    }),
    actions: Type.Array(ActionSchema, {
      maxItems: ACTIONS_MAX,
      description: 'Run in order before the reply is rendered',
    }),
  },
  { additionalProperties: false },
);

const KeywordResponseSchema = Type.Object(
  {
    credentialId: Type.String(),
    keyword: Type.String(),
    templateId: Type.Union([Type.String(), Type.Null()]),
    actions: Type.Array(ActionSchema),
    active: Type.Boolean({
      description: "False when the keyword is no longer in the credential's customInboundKeywords",
    }),
    version: Type.Integer(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: 'KeywordResponse', title: 'The reply and actions of a custom inbound keyword' },
);

const tags = ['credentials'];

/** A keyword response as an approval names it (as the audit log does: `credentialId:KEYWORD`). */
function keywordResource(params: { id: string; keyword: string }) {
  const keyword = normalizeKeyword(params.keyword);
  return {
    resourceType: 'keyword_response',
    resourceId: `${params.id}:${keyword}`,
    resourceName: keyword,
  };
}

/** `/api/v1/credentials/{id}/keyword-responses`: what a custom inbound keyword answers and does. */
export function keywordResponseRoutes(
  api: App,
  responses: KeywordResponseService,
  approvals: ApprovalService,
) {
  api.addSchema(KeywordResponseSchema);

  api.get(
    '/v1/credentials/:id/keyword-responses',
    {
      schema: {
        tags,
        summary: "List a credential's keyword responses",
        params: CredentialParams,
        response: {
          200: Type.Object({ items: Type.Array(Type.Ref(KeywordResponseSchema)) }),
          ...errorResponses(401, 404),
        },
      },
    },
    async (request) => ({
      items: await responses.list(request.sandbox, request.params.id),
    }),
  );

  api.get(
    '/v1/credentials/:id/keyword-responses/:keyword',
    {
      schema: {
        tags,
        summary: "Get a custom keyword's response",
        params: KeywordParams,
        response: { 200: Type.Ref(KeywordResponseSchema), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const response = await responses.get(
        request.sandbox,
        request.params.id,
        request.params.keyword,
      );
      setEtag(reply, response.version);
      return response;
    },
  );

  api.put(
    '/v1/credentials/:id/keyword-responses/:keyword',
    {
      schema: {
        tags,
        summary: "Set a custom keyword's reply and actions",
        description:
          "The keyword must be one of the credential's customInboundKeywords (400 lists them). When the keyword is texted, the actions run in order, then the template is rendered for the texter and sent from the credential's inbound number (consent and the automatic-reply limits apply). If-Match is optional: a stale one gets 412.",
        params: KeywordParams,
        body: KeywordResponseBody,
        response: {
          200: Type.Ref(KeywordResponseSchema),
          202: PendingApproval,
          ...errorResponses(400, 401, 404, 412),
        },
      },
    },
    async (request, reply) => {
      if (await approvals.complianceApprovalsOn(request.sandbox))
        return answerPending(
          reply,
          await approvals.request(request.sandbox, request.actor, {
            kind: 'keyword_response.set',
            ...keywordResource(request.params),
            change: { ...request.body },
            expectedVersion: ifMatchVersion(request),
          }),
        );
      const response = await responses.set(
        request.sandbox,
        request.actor,
        request.params.id,
        request.params.keyword,
        request.body,
        ifMatchVersion(request),
      );
      setEtag(reply, response.version);
      return response;
    },
  );

  api.delete(
    '/v1/credentials/:id/keyword-responses/:keyword',
    {
      schema: {
        tags,
        summary: "Delete a custom keyword's response",
        description: 'The keyword is then recorded on the profile only, as before.',
        params: KeywordParams,
        response: { 202: PendingApproval, 204: Type.Null(), ...errorResponses(401, 404, 412) },
      },
    },
    async (request, reply) => {
      if (await approvals.complianceApprovalsOn(request.sandbox)) {
        // Deleting what does not exist is the same 404 with or without approvals.
        await responses.get(request.sandbox, request.params.id, request.params.keyword);
        return answerPending(
          reply,
          await approvals.request(request.sandbox, request.actor, {
            kind: 'keyword_response.delete',
            ...keywordResource(request.params),
            change: {},
            expectedVersion: ifMatchVersion(request),
          }),
        );
      }
      await responses.delete(
        request.sandbox,
        request.actor,
        request.params.id,
        request.params.keyword,
        ifMatchVersion(request),
      );
      return reply.status(204).send(null);
    },
  );
}
