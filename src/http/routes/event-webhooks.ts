import { Type } from '@sinclair/typebox';
import { EVENT_TYPES, type EventWebhookService } from '../../events/event-webhook.service.js';
import type { App } from '../app-type.js';
import { ifMatchVersion, setEtag } from '../etag.js';
import { errorResponses, IdParams, PageLimit, PageOf, pageLimit } from '../schemas.js';

const EventTypeSchema = Type.Union(EVENT_TYPES.map((t) => Type.Literal(t)));
const Types = Type.Union(
  [Type.Array(EventTypeSchema, { minItems: 1, maxItems: EVENT_TYPES.length }), Type.Null()],
  { description: 'Event types to deliver; null or omitted for every type' },
);
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const fields = {
  url: Type.String({
    maxLength: 2000,
    description:
      'Where events are POSTed: https (http only to loopback, when TERN_ALLOW_LOOPBACK_PROVIDER=true); never an internal address',
  }),
  types: Types,
  description: Nullable(Type.String({ maxLength: 500 })),
  enabled: Type.Boolean({ description: 'Default true; a disabled webhook keeps its place' }),
};

const Create = Type.Object(
  {
    url: fields.url,
    types: Type.Optional(fields.types),
    description: Type.Optional(fields.description),
    enabled: Type.Optional(fields.enabled),
  },
  { additionalProperties: false },
);
const Update = Type.Partial(Type.Object(fields), { additionalProperties: false });

const webhookProperties = {
  id: Type.String(),
  sandbox: Type.String(),
  url: Type.String(),
  types: Type.Union([Type.Array(Type.String()), Type.Null()]),
  description: Type.Union([Type.String(), Type.Null()]),
  enabled: Type.Boolean(),
  failedAttempts: Type.Integer({
    description: 'Failed attempts at the pending batch; 0 when healthy',
  }),
  nextAttemptAt: Type.Union([Type.String(), Type.Null()], {
    description: 'When the failing batch is tried again',
  }),
  lastDeliveryAt: Type.Union([Type.String(), Type.Null()]),
  lastDeliveryStatus: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  version: Type.Integer(),
};
const Webhook = Type.Object(webhookProperties, { $id: 'EventWebhook', title: 'Event webhook' });
const Created = Type.Object({
  ...webhookProperties,
  secret: Type.String({
    description:
      'Signing secret, shown only in this answer. Each delivery carries x-tern-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>',
  }),
});
const Delivery = Type.Object({
  id: Type.String(),
  webhookId: Type.String(),
  at: Type.String(),
  attempt: Type.Integer(),
  outcome: Type.Union([Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('gave_up')]),
  httpStatus: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  durationMs: Type.Integer(),
  eventCount: Type.Integer(),
  firstEventId: Type.Union([Type.String(), Type.Null()]),
  lastEventId: Type.Union([Type.String(), Type.Null()]),
  nextAttemptAt: Type.Union([Type.String(), Type.Null()]),
});
const PageQuery = Type.Object(
  {
    cursor: Type.Optional(
      Type.String({ maxLength: 200, description: 'nextCursor of the previous page' }),
    ),
    limit: Type.Optional(PageLimit),
  },
  { additionalProperties: false },
);

const tags = ['event webhooks'];

/** `/api/v1/event-webhooks`: URLs that receive the sandbox's events, signed, with retries. */
export function eventWebhookRoutes(api: App, webhooks: EventWebhookService): void {
  api.addSchema(Webhook);

  api.get(
    '/v1/event-webhooks',
    {
      schema: {
        tags,
        summary: 'List event webhooks',
        querystring: PageQuery,
        response: { 200: PageOf(Type.Ref(Webhook)), ...errorResponses(400, 401, 404) },
      },
    },
    (request) =>
      webhooks.list(request.sandbox, {
        cursor: request.query.cursor,
        limit: pageLimit(request.query.limit),
      }),
  );

  api.post(
    '/v1/event-webhooks',
    {
      schema: {
        tags,
        summary: 'Register an event webhook',
        description:
          'Events of this sandbox from now on are POSTed to url in batches ({webhookId, deliveryId, events[]}), signed with the secret returned here (once). Non-2xx answers and network errors are retried with exponential backoff.',
        body: Create,
        response: { 201: Created, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { webhook, secret } = await webhooks.create(
        request.sandbox,
        request.body,
        request.actor,
      );
      setEtag(reply, webhook.version);
      reply.header('location', `/api/v1/event-webhooks/${webhook.id}`);
      return reply.status(201).send({ ...webhook, secret });
    },
  );

  api.get(
    '/v1/event-webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Get an event webhook',
        params: IdParams,
        response: { 200: Type.Ref(Webhook), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const webhook = await webhooks.get(request.sandbox, request.params.id);
      setEtag(reply, webhook.version);
      return webhook;
    },
  );

  api.patch(
    '/v1/event-webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Update an event webhook',
        description:
          'Send only the fields to change. If-Match with the ETag you read: stale → 412.',
        params: IdParams,
        body: Update,
        response: { 200: Type.Ref(Webhook), ...errorResponses(400, 401, 404, 412) },
      },
    },
    async (request, reply) => {
      const webhook = await webhooks.update(
        request.sandbox,
        request.params.id,
        request.body,
        ifMatchVersion(request),
        request.actor,
      );
      setEtag(reply, webhook.version);
      return webhook;
    },
  );

  api.delete(
    '/v1/event-webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Delete an event webhook',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      await webhooks.delete(request.sandbox, request.params.id, request.actor);
      return reply.status(204).send(null);
    },
  );

  api.get(
    '/v1/event-webhooks/:id/deliveries',
    {
      schema: {
        tags,
        summary: 'Delivery log of an event webhook',
        description: 'Every delivery attempt, newest first.',
        params: IdParams,
        querystring: PageQuery,
        response: { 200: PageOf(Delivery), ...errorResponses(400, 401, 404) },
      },
    },
    (request) =>
      webhooks.deliveries(request.sandbox, request.params.id, {
        cursor: request.query.cursor,
        limit: pageLimit(request.query.limit),
      }),
  );
}
