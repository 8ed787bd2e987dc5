import { Readable, Transform } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { MEMBERS_PER_CALL, type AudienceService } from '../../audiences/audience.service.js';
import { AppError } from '../../errors.js';
import { boundedLines } from '../../profiles/csv.js';
import type { App } from '../app-type.js';
import { ifMatchVersion, setEtag } from '../etag.js';
import { errorResponses, IdParams, ListQuery, PageOf, pageLimit } from '../schemas.js';
import { CSV_IMPORT_MAX_BYTES } from './profiles.js';
import { AudienceMemberResponse, MembersQuery } from './segments.js';

export const ListBody = Type.Object(
  {
    name: Type.Optional(
      Type.String({ maxLength: 1000, description: 'Starts with a letter; letters, digits, _ . -' }),
    ),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
  },
  { additionalProperties: false },
);

const ListResponse = Type.Object(
  {
    id: Type.String(),
    sandbox: Type.String(),
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    version: Type.Integer(),
  },
  { $id: 'List', title: 'List' },
);

export const MembersBody = Type.Object(
  {
    phones: Type.Optional(
      Type.Array(Type.String({ maxLength: 64 }), {
        maxItems: MEMBERS_PER_CALL,
        description: 'E.164 numbers; one without a profile gets one (consent unknown)',
      }),
    ),
    profileIds: Type.Optional(
      Type.Array(Type.String({ maxLength: 100 }), { maxItems: MEMBERS_PER_CALL }),
    ),
  },
  { additionalProperties: false },
);

const AddedResponse = Type.Object({
  added: Type.Integer(),
  alreadyMembers: Type.Integer(),
  profilesCreated: Type.Integer({
    description: 'Profiles made for phones without one; never subscribed by this',
  }),
});

const ImportResponse = Type.Object({
  rows: Type.Integer(),
  added: Type.Integer(),
  alreadyMembers: Type.Integer(),
  profilesCreated: Type.Integer(),
  rejected: Type.Integer(),
  rejections: Type.Array(
    Type.Object({
      line: Type.Integer(),
      phone: Type.Union([Type.String(), Type.Null()]),
      reason: Type.String(),
    }),
    { description: 'The first 100 rejected rows' },
  ),
});

const tags = ['audiences'];

/** `/api/v1/lists`: static lists of profiles, by API or CSV. */
export function listRoutes(api: App, audiences: AudienceService) {
  api.addSchema(ListResponse);

  api.get(
    '/v1/lists',
    {
      schema: {
        tags,
        summary: 'List static lists',
        querystring: ListQuery,
        response: { 200: PageOf(Type.Ref(ListResponse)), ...errorResponses(400, 401, 404) },
      },
    },
    (request) =>
      audiences.listLists(request.sandbox, {
        name: request.query.name,
        cursor: request.query.cursor,
        limit: pageLimit(request.query.limit),
      }),
  );

  api.post(
    '/v1/lists',
    {
      schema: {
        tags,
        summary: 'Create a static list',
        body: ListBody,
        response: { 201: Type.Ref(ListResponse), ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      const list = await audiences.createList(request.sandbox, request.actor, request.body);
      setEtag(reply, list.version);
      reply.header('location', `/api/v1/lists/${list.id}`);
      return reply.status(201).send(list);
    },
  );

  api.get(
    '/v1/lists/:id',
    {
      schema: {
        tags,
        summary: 'Get a static list',
        params: IdParams,
        response: { 200: Type.Ref(ListResponse), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const list = await audiences.getList(request.sandbox, request.params.id);
      setEtag(reply, list.version);
      return list;
    },
  );

  api.patch(
    '/v1/lists/:id',
    {
      schema: {
        tags,
        summary: 'Rename or describe a static list',
        description: 'Send If-Match with the ETag you read: a stale one gets 412.',
        params: IdParams,
        body: ListBody,
        response: { 200: Type.Ref(ListResponse), ...errorResponses(400, 401, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      const list = await audiences.updateList(
        request.sandbox,
        request.actor,
        request.params.id,
        request.body,
        ifMatchVersion(request),
      );
      setEtag(reply, list.version);
      return list;
    },
  );

  api.delete(
    '/v1/lists/:id',
    {
      schema: {
        tags,
        summary: 'Delete a static list (its profiles stay)',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      await audiences.deleteList(request.sandbox, request.actor, request.params.id);
      return reply.status(204).send(null);
    },
  );

  api.get(
    '/v1/lists/:id/members',
    {
      schema: {
        tags,
        summary: 'List the profiles of a static list',
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
        { listId: request.params.id },
        { cursor: request.query.cursor, limit: pageLimit(request.query.limit) },
      ),
  );

  api.post(
    '/v1/lists/:id/members',
    {
      schema: {
        tags,
        summary: 'Add profiles to a static list',
        description:
          'By phone or profile id, all or nothing: a bad phone or unknown id is a 400 naming it. A phone without a profile gets one in the consent the ledger holds for it, else unknown: adding to a list never grants consent.',
        params: IdParams,
        body: MembersBody,
        response: { 200: AddedResponse, ...errorResponses(400, 401, 404) },
      },
    },
    (request) =>
      audiences.addMembers(request.sandbox, request.actor, request.params.id, request.body),
  );

  api.delete(
    '/v1/lists/:id/members',
    {
      schema: {
        tags,
        summary: 'Remove profiles from a static list',
        params: IdParams,
        body: MembersBody,
        response: {
          200: Type.Object({ removed: Type.Integer() }),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    (request) =>
      audiences.removeMembers(request.sandbox, request.actor, request.params.id, request.body),
  );

  // The import reads the body as a stream: a child scope gets the text/csv parser.
  void api.register((scope: App, _options, done) => {
    scope.addContentTypeParser(['text/csv', 'text/plain'], (_request, payload, parsed) =>
      parsed(null, payload),
    );
    scope.post(
      '/v1/lists/:id/import',
      {
        schema: {
          tags,
          summary: 'Add the phones of a CSV to a static list',
          description:
            'Send text/csv with a header naming a phone column (other columns are ignored). Bad rows are rejected with reasons, the rest added, 500 rows a transaction. Consent is never changed.',
          params: IdParams,
          response: { 200: ImportResponse, ...errorResponses(400, 401, 404, 413, 415) },
        },
      },
      async (request) => {
        // Another sandbox's list id is a 404 whatever the body: its existence is not told apart.
        await audiences.getList(request.sandbox, request.params.id);
        if (!(request.body instanceof Readable))
          throw new AppError('unsupported_media_type', 'Send the CSV with content-type text/csv.');
        const body = request.body;
        let bytes = 0;
        const limit = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            bytes += chunk.length;
            if (bytes > CSV_IMPORT_MAX_BYTES)
              callback(new AppError('payload_too_large', 'The CSV is larger than 50 MB.'));
            else callback(null, chunk);
          },
        });
        body.pipe(limit);
        body.on('error', (error) => limit.destroy(error));
        limit.setEncoding('utf8');
        return audiences.importCsv(
          request.sandbox,
          request.actor,
          request.params.id,
          boundedLines(limit as AsyncIterable<string>),
        );
      },
    );
    done();
  });
}
