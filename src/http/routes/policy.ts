import { Type } from '@sinclair/typebox';
import { LOCATION_ATTRIBUTE_MAX } from '../../policy/locate.js';
import { NEW_RULE } from '../../approval-targets.js';
import type { ApprovalService } from '../../approvals/approval.service.js';
import type { PolicyService } from '../../policy/policy.service.js';
import {
  CapSchema,
  ExemptSchema,
  RULE_CONFIDENCE_MAX,
  RULE_NAME_MAX,
  RULE_SOURCE_MAX,
  ScopeSchema,
  WindowSchema,
} from '../../policy/rule.js';
import type { App } from '../app-type.js';
import { answerPending, PendingApproval } from '../approval-schema.js';
import { ifMatchVersion, setEtag } from '../etag.js';
import { errorResponses, IdParams, PageLimit, PageOf, pageLimit } from '../schemas.js';

const IsoDate = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}$',
  minLength: 10,
  maxLength: 10,
  description: 'YYYY-MM-DD',
});
const MessageType = Type.Union([Type.Literal('marketing'), Type.Literal('transactional')]);

const ruleFields = {
  name: Type.String({ minLength: 1, maxLength: RULE_NAME_MAX }),
  scope: ScopeSchema,
  kind: Type.Union([Type.Literal('window'), Type.Literal('cap')]),
  window: Type.Optional(WindowSchema),
  cap: Type.Optional(CapSchema),
  outside: Type.Union([Type.Literal('hold'), Type.Literal('drop')]),
  exempt: ExemptSchema,
  source: Type.String({ minLength: 1, maxLength: RULE_SOURCE_MAX }),
  confidence: Type.Optional(Type.String({ maxLength: RULE_CONFIDENCE_MAX })),
  effectiveFrom: IsoDate,
  effectiveUntil: Type.Optional(Type.Union([IsoDate, Type.Null()])),
  enabled: Type.Optional(Type.Boolean()),
};

const RuleBody = Type.Object(ruleFields, { additionalProperties: false });
const RulePatchBody = Type.Partial(Type.Object(ruleFields), { additionalProperties: false });

const RuleResponse = Type.Object(
  {
    id: Type.String(),
    ...ruleFields,
    enabled: Type.Boolean(),
    origin: Type.Union([Type.Literal('shipped'), Type.Literal('sandbox')]),
    overrides: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    overridden: Type.Boolean({
      description: 'A shipped rule this sandbox has overridden or disabled',
    }),
    version: Type.Integer(),
  },
  { $id: 'PolicyRule', title: 'Send-time policy rule' },
);

const LocationResponse = Type.Object(
  {
    timeZone: Type.Union([Type.String(), Type.Null()]),
    timeZones: Type.Optional(Type.Array(Type.String())),
    country: Type.Union([Type.String(), Type.Null()]),
    region: Type.Union([Type.String(), Type.Null()]),
    source: Type.String(),
    ignored: Type.Optional(
      Type.Array(Type.Object({ attribute: Type.String(), reason: Type.String() })),
    ),
  },
  { $id: 'PolicyLocation', title: 'Where the recipient is taken to be, and which signal said so' },
);

const CheckBody = Type.Object(
  {
    to: Type.String({ minLength: 1, maxLength: 64, description: 'E.164, e.g. +13055550123' }),
    messageType: Type.Optional(MessageType),
    at: Type.Optional(
      Type.String({
        maxLength: 40,
        description: 'ISO 8601 instant the text would be sent (default now)',
      }),
    ),
    subject: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
    attributes: Type.Optional(
      Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), {
        maxProperties: 100,
        description: `Profile attributes to locate by (timeZone, state, postalCode; values at most ${LOCATION_ATTRIBUTE_MAX} characters are read); default: the profile's`,
      }),
    ),
  },
  { additionalProperties: false },
);

const CheckResponse = Type.Object(
  {
    action: Type.Union([Type.Literal('send'), Type.Literal('hold'), Type.Literal('drop')]),
    scheduledFor: Type.Union([Type.String(), Type.Null()]),
    rule: Type.Union([Type.String(), Type.Null()]),
    reason: Type.Union([Type.String(), Type.Null()]),
    source: Type.String(),
    location: Type.Ref(LocationResponse),
  },
  { $id: 'PolicyCheck', title: 'Send-time policy dry run' },
);

const RulesQuery = Type.Object(
  {
    cursor: Type.Optional(
      Type.String({
        maxLength: 4,
        pattern: '^\\d{1,4}$',
        description: 'nextCursor of the previous page',
      }),
    ),
    limit: Type.Optional(PageLimit),
  },
  { additionalProperties: false },
);

const tags = ['policy'];

/** `/api/v1/policy`: send-time rules (quiet hours, caps) and the dry run. */
export function policyRoutes(api: App, policy: PolicyService, approvals: ApprovalService) {
  api.addSchema(RuleResponse);
  api.addSchema(LocationResponse);
  api.addSchema(CheckResponse);

  api.get(
    '/v1/policy/rules',
    {
      schema: {
        tags,
        summary: 'List send-time rules',
        description:
          'The rules shipped with Tern (each with its source and effective date, as this sandbox has them: overridden or disabled) and the sandbox’s own.',
        querystring: RulesQuery,
        response: { 200: PageOf(Type.Ref(RuleResponse)), ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const all = await policy.list(request.sandbox);
      const from = request.query.cursor === undefined ? 0 : Number(request.query.cursor);
      const limit = pageLimit(request.query.limit);
      const items = all.slice(from, from + limit);
      return { items, nextCursor: from + limit < all.length ? String(from + limit) : null };
    },
  );

  api.post(
    '/v1/policy/rules',
    {
      schema: {
        tags,
        summary: 'Add a send-time rule to this sandbox',
        description:
          'A window (per weekday, recipient local time) or a cap (per number or subject over a rolling window). An end not after its start, overlapping windows of one day, an unknown zone, holiday calendar, country or region get 400 naming the field.',
        body: RuleBody,
        response: {
          201: Type.Ref(RuleResponse),
          202: PendingApproval,
          ...errorResponses(400, 401, 409),
        },
      },
    },
    async (request, reply) => {
      if (await approvals.complianceApprovalsOn(request.sandbox))
        return answerPending(
          reply,
          await approvals.request(request.sandbox, request.actor, {
            kind: 'policy_rule.create',
            resourceType: 'policy_rule',
            resourceId: NEW_RULE,
            resourceName: request.body.name,
            change: { ...request.body },
          }),
        );
      const rule = await policy.create(request.sandbox, request.actor, request.body);
      setEtag(reply, rule.version);
      reply.header('location', `/api/v1/policy/rules/${rule.id}`);
      return reply.status(201).send(rule);
    },
  );

  api.get(
    '/v1/policy/rules/:id',
    {
      schema: {
        tags,
        summary: 'Get a send-time rule',
        params: IdParams,
        response: { 200: Type.Ref(RuleResponse), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const rule = await policy.get(request.sandbox, request.params.id);
      setEtag(reply, rule.version);
      return rule;
    },
  );

  api.patch(
    '/v1/policy/rules/:id',
    {
      schema: {
        tags,
        summary: 'Change a sandbox rule, or override or disable a shipped one',
        description:
          'A shipped rule is never edited: the first PATCH of its id stores this sandbox’s override (DELETE restores it as shipped). If-Match with the ETag read: a stale one gets 412.',
        params: IdParams,
        body: RulePatchBody,
        response: {
          200: Type.Ref(RuleResponse),
          202: PendingApproval,
          ...errorResponses(400, 401, 404, 409, 412),
        },
      },
    },
    async (request, reply) => {
      if (await approvals.complianceApprovalsOn(request.sandbox)) {
        const rule = await policy.get(request.sandbox, request.params.id);
        return answerPending(
          reply,
          await approvals.request(request.sandbox, request.actor, {
            kind: 'policy_rule.update',
            resourceType: 'policy_rule',
            resourceId: rule.id,
            resourceName: rule.name,
            change: { ...request.body },
            expectedVersion: ifMatchVersion(request),
          }),
        );
      }
      const rule = await policy.update(
        request.sandbox,
        request.actor,
        request.params.id,
        request.body,
        ifMatchVersion(request),
      );
      setEtag(reply, rule.version);
      return rule;
    },
  );

  api.delete(
    '/v1/policy/rules/:id',
    {
      schema: {
        tags,
        summary: 'Delete a sandbox rule, or restore a shipped one as shipped',
        description: 'A shipped rule without an override gets 409: disable it instead.',
        params: IdParams,
        response: { 202: PendingApproval, 204: Type.Null(), ...errorResponses(401, 404, 409) },
      },
    },
    async (request, reply) => {
      if (await approvals.complianceApprovalsOn(request.sandbox)) {
        const rule = await policy.get(request.sandbox, request.params.id);
        return answerPending(
          reply,
          await approvals.request(request.sandbox, request.actor, {
            kind: 'policy_rule.delete',
            resourceType: 'policy_rule',
            resourceId: rule.id,
            resourceName: rule.name,
            change: {},
          }),
        );
      }
      await policy.delete(request.sandbox, request.actor, request.params.id);
      return reply.status(204).send(null);
    },
  );

  api.post(
    '/v1/policy/check',
    {
      schema: {
        tags,
        summary: 'Dry run: when would a text to this number go?',
        description:
          'Locates the recipient (profile time zone, state or postal code, area code, country, sandbox default) and applies this sandbox’s rules at `at` with the real cap counts. Changes nothing.',
        body: CheckBody,
        response: { 200: Type.Ref(CheckResponse), ...errorResponses(400, 401) },
      },
    },
    (request) => policy.check(request.sandbox, request.body),
  );
}
