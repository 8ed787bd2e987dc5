import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { INBOUND_CATEGORIES } from '../../inbound/classify.js';
import type { InboundService } from '../../inbound/inbound.service.js';
import type { ProfileService } from '../../profiles/profile.service.js';
import { normalizeE164 } from '../../phone.js';
import type { App } from '../app-type.js';
import { errorResponses, IdParams, PageLimit, PageOf, pageLimit } from '../schemas.js';
import { InboundMessageResponse, profileRoutes } from './profiles.js';

const InboundQuery = Type.Object(
  {
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Optional(PageLimit),
    from: Type.Optional(Type.String({ maxLength: 40, description: 'Sender, E.164' })),
    to: Type.Optional(Type.String({ maxLength: 40, description: 'Inbound number, E.164' })),
    category: Type.Optional(Type.Union(INBOUND_CATEGORIES.map((c) => Type.Literal(c)))),
    since: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
    until: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
  },
  { additionalProperties: false },
);

/** The inbound side of the API: the inbound log, profiles and consent. */
export function inboundApiRoutes(
  api: App,
  deps: {
    db: Db;
    inbound: InboundService;
    profiles: ProfileService;
  },
): void {
  profileRoutes(api, deps);
  const { inbound } = deps;

  api.get(
    '/v1/inbound',
    {
      schema: {
        tags: ['inbound'],
        summary: 'List inbound texts',
        description: 'The inbound log, newest first, with what the keyword engine did for each.',
        querystring: InboundQuery,
        response: {
          200: PageOf(Type.Ref(InboundMessageResponse)),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    (request) => {
      const q = request.query;
      const number = (value: string | undefined) =>
        value === undefined ? undefined : (normalizeE164(value) ?? value);
      const from = number(q.from);
      const to = number(q.to);
      return inbound.listInbound(request.sandbox, {
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        ...(q.category !== undefined ? { category: q.category } : {}),
        ...(q.since !== undefined ? { since: new Date(q.since).toISOString() } : {}),
        ...(q.until !== undefined ? { until: new Date(q.until).toISOString() } : {}),
        ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
        limit: pageLimit(q.limit),
      });
    },
  );

  api.get(
    '/v1/inbound/:id',
    {
      schema: {
        tags: ['inbound'],
        summary: 'Get an inbound text',
        params: IdParams,
        response: { 200: Type.Ref(InboundMessageResponse), ...errorResponses(401, 404) },
      },
    },
    (request) => inbound.getInbound(request.sandbox, request.params.id),
  );
}
