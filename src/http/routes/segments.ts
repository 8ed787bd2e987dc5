import { Type } from '@sinclair/typebox';
import type { AudienceService } from '../../audiences/audience.service.js';
import type { App } from '../app-type.js';
import { ifMatchVersion, setEtag } from '../etag.js';
import { errorResponses, IdParams, ListQuery, PageLimit, PageOf, pageLimit } from '../schemas.js';

/**
 * The rule travels as an object checked by the audiences module (segment-rule.ts), which names
 * the bad node and its allowed operators; the schema validator's union errors would list ten
 * failed leaf shapes per bad node instead.
 */
export const RuleBody = Type.Unsafe<unknown>({
  type: 'object',
  description:
    'A segment rule. Combinators: {"all": [rules]}, {"any": [rules]}, {"not": rule}. Leaves: {"consent": {"in": ["subscribed", …]}}; {"attribute": "plan", "eq"|"neq"|"in"|"gt"|"gte"|"lt"|"lte"|"contains"|"exists"|"notExists": value} (numbers, or ISO dates compared as text); {"keyword": "OFFERS", "since"?, "until"?, "atLeast"?} (the last time the keyword was texted is at or after since and before until); {"lastInbound"|"lastDelivered"|"lastFailed": {"within"?: "30d", "after"?, "before"?}} (the latest one lies in the window; {} means ever); {"country": {"in": ["US", "CA"]}}. Times: ISO-8601, or a duration back from now (90m, 12h, 30d). At most 5 levels and 50 leaves.',
});

export const SegmentBody = Type.Object(
  {
    name: Type.Optional(
      Type.String({ maxLength: 1000, description: 'Starts with a letter; letters, digits, _ . -' }),
    ),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
    rule: Type.Optional(RuleBody),
    live: Type.Optional(
      Type.Boolean({
        description:
          'Keep membership and emit segment.entered / segment.left as profiles change (within a second)',
      }),
    ),
  },
  { additionalProperties: false },
);

const SegmentResponse = Type.Object(
  {
    id: Type.String(),
    sandbox: Type.String(),
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    rule: Type.Object({}, { additionalProperties: true }),
    live: Type.Boolean(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    version: Type.Integer(),
  },
  { $id: 'Segment', title: 'Segment' },
);

export const AudienceMemberResponse = Type.Object(
  {
    id: Type.String(),
    phone: Type.String(),
    consent: Type.String(),
    attributes: Type.Object({}, { additionalProperties: true }),
  },
  { $id: 'AudienceMember', title: 'Audience member' },
);

export const CountResponse = Type.Object({ count: Type.Integer() });
export const MembersQuery = Type.Object(
  {
    cursor: Type.Optional(
      Type.String({ maxLength: 200, description: 'nextCursor of the previous page' }),
    ),
    limit: Type.Optional(PageLimit),
  },
  { additionalProperties: false },
);

const tags = ['audiences'];

/** `/api/v1/segments`: rule segments of the sandbox, their live count and members. */
export function segmentRoutes(api: App, audiences: AudienceService) {
  api.addSchema(SegmentResponse);
  api.addSchema(AudienceMemberResponse);

  api.post(
    '/v1/segments/count',
    {
      schema: {
        tags,
        summary: 'Count the profiles an unsaved rule selects',
        description: 'The console calls it as the rule is edited: one COUNT query.',
        body: Type.Object({ rule: RuleBody }, { additionalProperties: false }),
        response: { 200: CountResponse, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => ({
      count: await audiences.count(request.sandbox, { rule: request.body.rule }),
    }),
  );

  api.get(
    '/v1/segments',
    {
      schema: {
        tags,
        summary: 'List segments',
        querystring: ListQuery,
        response: { 200: PageOf(Type.Ref(SegmentResponse)), ...errorResponses(400, 401, 404) },
      },
    },
    (request) =>
      audiences.listSegments(request.sandbox, {
        name: request.query.name,
        cursor: request.query.cursor,
        limit: pageLimit(request.query.limit),
      }),
  );

  api.post(
    '/v1/segments',
    {
      schema: {
        tags,
        summary: 'Create a segment',
        body: SegmentBody,
        response: { 201: Type.Ref(SegmentResponse), ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      const segment = await audiences.createSegment(request.sandbox, request.actor, request.body);
      setEtag(reply, segment.version);
      reply.header('location', `/api/v1/segments/${segment.id}`);
      return reply.status(201).send(segment);
    },
  );

  api.get(
    '/v1/segments/:id',
    {
      schema: {
        tags,
        summary: 'Get a segment',
        params: IdParams,
        response: { 200: Type.Ref(SegmentResponse), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const segment = await audiences.getSegment(request.sandbox, request.params.id);
      setEtag(reply, segment.version);
      return segment;
    },
  );

  api.patch(
    '/v1/segments/:id',
    {
      schema: {
        tags,
        summary: 'Update a segment',
        description:
          'Send If-Match with the ETag you read: a stale one gets 412. A live segment whose rule changes starts again from the rule’s current members, without events.',
        params: IdParams,
        body: SegmentBody,
        response: { 200: Type.Ref(SegmentResponse), ...errorResponses(400, 401, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      const segment = await audiences.updateSegment(
        request.sandbox,
        request.actor,
        request.params.id,
        request.body,
        ifMatchVersion(request),
      );
      setEtag(reply, segment.version);
      return segment;
    },
  );

  api.delete(
    '/v1/segments/:id',
    {
      schema: {
        tags,
        summary: 'Delete a segment',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      await audiences.deleteSegment(request.sandbox, request.actor, request.params.id);
      return reply.status(204).send(null);
    },
  );

  api.get(
    '/v1/segments/:id/count',
    {
      schema: {
        tags,
        summary: 'Count the profiles of a segment now',
        params: IdParams,
        response: { 200: CountResponse, ...errorResponses(401, 404) },
      },
    },
    async (request) => ({
      count: await audiences.count(request.sandbox, { segmentId: request.params.id }),
    }),
  );

  api.get(
    '/v1/segments/:id/members',
    {
      schema: {
        tags,
        summary: 'List the profiles of a segment now',
        params: IdParams,
        querystring: MembersQuery,
        response: {
          200: PageOf(Type.Ref(AudienceMemberResponse)),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    (request) =>
      audiences.members(
        request.sandbox,
        { segmentId: request.params.id },
        { cursor: request.query.cursor, limit: pageLimit(request.query.limit) },
      ),
  );
}
