import { Type, type TSchema } from '@sinclair/typebox';
import { HEALTH_PROBLEMS, type HealthProblem } from '../../credentials/credential-health.js';
import type { CredentialService, CredentialView } from '../../credentials/credential.service.js';
import type { FastifyRequest } from 'fastify';
import type { ApprovalService } from '../../approvals/approval.service.js';
import { AppError } from '../../errors.js';
import { answerPending, PendingApproval } from '../approval-schema.js';
import { CREDENTIAL_COMPLIANCE_FIELDS } from '../route-permissions.js';
import type { App } from '../app-type.js';
import { ifMatchVersion, setEtag } from '../etag.js';
import { errorResponses, IdParams, ListQuery, PageOf, pageLimit } from '../schemas.js';
import { ValidityPeriodSchema } from '../sending-options.js';

const KeywordList = Type.Union(
  [
    Type.Array(Type.String({ maxLength: 100 }), { maxItems: 100 }),
    Type.String({ maxLength: 4000, description: 'Comma-separated, as typed in a form' }),
  ],
  {
    description:
      'Keywords, as a list or comma-separated; stored trimmed, upper-case, de-duplicated',
  },
);
const Text = (maxLength: number, description?: string) =>
  Type.String({ maxLength, ...(description ? { description } : {}) });
const NullableText = (maxLength: number, description?: string) =>
  Type.Union([Text(maxLength, description), Type.Null()]);

const credentialFields = {
  name: Text(1000, 'Unique in the sandbox'),
  provider: Type.Literal('infobip'),
  baseUrl: Text(2000, 'Your Infobip API base URL, e.g. https://xxxxx.api.infobip.com'),
  apiKey: Text(1000, 'Write-only: stored encrypted, shown afterwards only as apiKeyHint'),
  optInKeywords: KeywordList,
  optInMessage: Text(2000),
  optOutKeywords: KeywordList,
  optOutMessage: Text(2000),
  helpKeywords: KeywordList,
  helpMessage: Text(2000),
  doubleOptInKeywords: KeywordList,
  doubleOptInMessage: Text(2000),
  dltPrincipalEntityId: NullableText(100, 'India DLT principal entity id (10-30 digits)'),
  dltContentTemplateId: NullableText(
    100,
    'India DLT content template id (10-30 digits): the default; a channel configuration or message may set its own',
  ),
  dltTelemarketerId: NullableText(
    100,
    'India DLT telemarketer id (aggregators; 1-50 letters or digits)',
  ),
  validityPeriod: ValidityPeriodSchema,
  validityPeriodHours: Type.Integer({
    description: 'Older form of validityPeriod in whole hours, 1-48; not with validityPeriod',
  }),
  callbackData: NullableText(10_000, 'Returned with delivery reports; at most 4000 characters'),
  inboundNumber: NullableText(100, 'E.164; routes inbound texts to this credential'),
  customInboundKeywords: KeywordList,
  defaultInboundReply: NullableText(2000),
  fuzzyOptOut: Type.Union([Type.Literal('off'), Type.Literal('reply'), Type.Literal('opt-out')]),
  fuzzyOptOutReply: Text(2000),
  sendRatePerSecond: Type.Integer({
    description: 'Messages per second sent with this credential, 1-10000 (default 100)',
  }),
};

const CredentialCreate = Type.Partial(
  Type.Object(credentialFields, { additionalProperties: false }),
  {
    additionalProperties: false,
  },
);

// Null for a caller without the owner role: whoever holds a webhook URL can post texts to Tern
// as if from Infobip (a forged STOP or START changes consent) and fake delivery reports.
const Webhook = Type.Object({
  url: Type.Union([Type.String(), Type.Null()]),
  secret: Type.Union([Type.String(), Type.Null()]),
});
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Health = Type.Object(
  {
    status: Type.Union([Type.Literal('unknown'), Type.Literal('ok'), Type.Literal('failing')]),
    problem: Nullable(
      Type.Unsafe<HealthProblem>(Type.Union(HEALTH_PROBLEMS.map((p) => Type.Literal(p)))),
    ),
    message: Nullable(Type.String()),
    since: Nullable(Type.String({ description: 'When the current run of failures began' })),
    checkedAt: Nullable(Type.String({ description: 'The last provider call recorded' })),
  },
  {
    description:
      'What the last provider calls with this key met: flagged at the first failure (DNS, refused, TLS, auth, scope), cleared at the next success; unknown until Tern has sent with it or its base URL or key changed',
  },
);
const Warnings = Type.Array(
  Type.Object({
    code: Type.Union([
      Type.Literal('public_url_not_reachable'),
      Type.Literal('public_url_not_https'),
    ]),
    message: Type.String(),
  }),
  {
    description:
      'Why Infobip cannot reach the webhook URLs: the base URL is a real Infobip host while TERN_PUBLIC_URL is local or plain http',
  },
);
export const CredentialResponse = Type.Object(
  {
    id: Type.String(),
    sandbox: Type.String(),
    name: Type.String(),
    provider: Type.Literal('infobip'),
    baseUrl: Type.String(),
    apiKeyHint: Type.String({ description: 'The API key, masked: only its last 4 characters' }),
    optInKeywords: Type.Array(Type.String()),
    optInMessage: Type.String(),
    optOutKeywords: Type.Array(Type.String()),
    optOutMessage: Type.String(),
    helpKeywords: Type.Array(Type.String()),
    helpMessage: Type.String(),
    doubleOptInKeywords: Type.Array(Type.String()),
    doubleOptInMessage: Type.String(),
    dltPrincipalEntityId: Type.Union([Type.String(), Type.Null()]),
    dltContentTemplateId: Type.Union([Type.String(), Type.Null()]),
    dltTelemarketerId: Type.Union([Type.String(), Type.Null()]),
    validityPeriod: ValidityPeriodSchema,
    validityPeriodHours: Type.Union([Type.Integer(), Type.Null()], {
      description: 'validityPeriod in whole hours (older form); null when it is not whole hours',
    }),
    callbackData: Type.Union([Type.String(), Type.Null()]),
    inboundNumber: Type.Union([Type.String(), Type.Null()]),
    customInboundKeywords: Type.Array(Type.String()),
    defaultInboundReply: Type.Union([Type.String(), Type.Null()]),
    fuzzyOptOut: Type.String(),
    fuzzyOptOutReply: Type.String(),
    sendRatePerSecond: Type.Integer(),
    providerAuthFailedAt: Type.Union([Type.String(), Type.Null()], {
      description:
        'When Infobip last refused the key while sending; cleared by a good verify or a new key',
    }),
    webhooks: Type.Object(
      { inbound: Webhook, deliveryReports: Webhook },
      {
        description:
          'Paste these URLs into Infobip: the number forwarding URL and the delivery report URL. They carry their secrets: null unless the caller may manage credentials (the owner role)',
      },
    ),
    health: Health,
    warnings: Warnings,
    createdAt: Type.String(),
    updatedAt: Type.String(),
    version: Type.Integer(),
  },
  { $id: 'Credential', title: 'API credential' },
);

const CredentialSummary = Type.Object({
  id: Type.String(),
  name: Type.String(),
  provider: Type.String(),
  baseUrl: Type.String(),
  apiKeyHint: Type.String(),
  inboundNumber: Type.Union([Type.String(), Type.Null()]),
  validityPeriod: ValidityPeriodSchema,
  health: Health,
  warnings: Warnings,
  createdAt: Type.String(),
  updatedAt: Type.String(),
  version: Type.Integer(),
});

const VerifyResult = Type.Object({
  status: Type.Union([
    Type.Literal('ok'),
    Type.Literal('unauthorized'),
    Type.Literal('missing_scope'),
    Type.Literal('unreachable'),
    Type.Literal('error'),
  ]),
  message: Type.String(),
  latencyMs: Type.Number(),
  httpStatus: Type.Optional(Type.Integer()),
  scopes: Type.Array(
    Type.Object({
      feature: Type.String(),
      scopes: Type.Array(Type.String()),
      endpoint: Type.String(),
      state: Type.Union([
        Type.Literal('granted'),
        Type.Literal('missing'),
        Type.Literal('unknown'),
      ]),
      detail: Type.Optional(Type.String()),
    }),
    { description: 'Each scope Tern uses: whether the key has it (403 on its endpoint: missing)' },
  ),
});

const tags = ['credentials'];

/** `/api/v1/credentials`: API credentials of the request's sandbox. */
export function credentialRoutes(
  api: App,
  credentials: CredentialService,
  approvals: ApprovalService,
) {
  api.addSchema(CredentialResponse);
  const hidden = { url: null, secret: null };
  const send = (view: CredentialView, request: FastifyRequest) =>
    request.access.permissions.has('manage')
      ? view
      : { ...view, webhooks: { inbound: hidden, deliveryReports: hidden } };

  api.get(
    '/v1/credentials',
    {
      schema: {
        tags,
        summary: 'List API credentials',
        querystring: ListQuery,
        response: { 200: PageOf(CredentialSummary), ...errorResponses(400, 401, 404) },
      },
    },
    (request) =>
      credentials.list(request.sandbox, {
        name: request.query.name,
        cursor: request.query.cursor,
        limit: pageLimit(request.query.limit),
      }),
  );

  api.post(
    '/v1/credentials',
    {
      schema: {
        tags,
        summary: 'Create API credentials',
        description: 'name, baseUrl and apiKey are required; every other field has a default.',
        body: CredentialCreate,
        response: { 201: Type.Ref(CredentialResponse), ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      const stored = await credentials.create(request.sandbox, request.actor, request.body);
      setEtag(reply, stored.credential.version);
      reply.header('location', `/api/v1/credentials/${stored.credential.id}`);
      return reply.status(201).send(send(credentials.view(stored), request));
    },
  );

  api.get(
    '/v1/credentials/:id',
    {
      schema: {
        tags,
        summary: 'Get API credentials',
        params: IdParams,
        response: { 200: Type.Ref(CredentialResponse), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const stored = await credentials.get(request.sandbox, request.params.id);
      setEtag(reply, stored.credential.version);
      return send(credentials.view(stored), request);
    },
  );

  api.patch(
    '/v1/credentials/:id',
    {
      schema: {
        tags,
        summary: 'Update API credentials',
        description:
          'Send only the fields to change; omit apiKey to keep the stored key. Send If-Match with the ETag you read: a stale one gets 412.',
        params: IdParams,
        body: CredentialCreate,
        response: {
          200: Type.Ref(CredentialResponse),
          202: PendingApproval,
          ...errorResponses(400, 401, 404, 409, 412),
        },
      },
    },
    async (request, reply) => {
      const fields = Object.keys(request.body);
      const keywordFields = fields.filter((f) => f in CREDENTIAL_COMPLIANCE_FIELDS);
      if (keywordFields.length > 0 && (await approvals.complianceApprovalsOn(request.sandbox))) {
        // The change waits as sent; the key and other settings are not stored with it.
        const others = fields.filter((f) => !(f in CREDENTIAL_COMPLIANCE_FIELDS));
        if (others.length > 0)
          throw new AppError(
            'validation_failed',
            'Keyword settings wait for approval in this sandbox: send them without the other settings.',
            others.map((f) => ({ path: `/${f}`, message: 'send in another request' })),
          );
        const stored = await credentials.get(request.sandbox, request.params.id);
        return answerPending(
          reply,
          await approvals.request(request.sandbox, request.actor, {
            kind: 'credential.keywords',
            resourceType: 'credential',
            resourceId: stored.credential.id,
            resourceName: stored.credential.name,
            change: { ...request.body },
            expectedVersion: ifMatchVersion(request),
          }),
        );
      }
      const stored = await credentials.update(
        request.sandbox,
        request.actor,
        request.params.id,
        request.body,
        ifMatchVersion(request),
      );
      setEtag(reply, stored.credential.version);
      return send(credentials.view(stored), request);
    },
  );

  api.delete(
    '/v1/credentials/:id',
    {
      schema: {
        tags,
        summary: 'Delete API credentials',
        description:
          'Refused with 409 (naming them) while channel configurations use the credential, unless force=true, which deletes them too. Message history is kept.',
        params: IdParams,
        querystring: Type.Object(
          { force: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), ...errorResponses(401, 404, 409) },
      },
    },
    async (request, reply) => {
      await credentials.delete(
        request.sandbox,
        request.actor,
        request.params.id,
        request.query.force === 'true',
      );
      return reply.status(204).send(null);
    },
  );

  api.post(
    '/v1/credentials/:id/verify',
    {
      schema: {
        tags,
        summary: 'Verify the connection to Infobip',
        description:
          "Checks the stored key with the least privilege Tern needs, one request per scope Tern uses (send SMS, send MMS, SMS and MMS logs reads; not GET /account/1/balance, which needs account-management:manage), and reports which scopes the key has and lacks. 401: bad or expired key, or this server's IP not allowed; 403 on an endpoint: its scope is missing.",
        params: IdParams,
        response: { 200: VerifyResult, ...errorResponses(401, 404) },
      },
    },
    (request) => credentials.verify(request.sandbox, request.actor, request.params.id),
  );
}
