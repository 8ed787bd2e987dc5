import { Type } from '@sinclair/typebox';
import type { ChannelService } from '../../channels/channel.service.js';
import type { App } from '../app-type.js';
import { ifMatchVersion, setEtag } from '../etag.js';
import { errorResponses, IdParams, ListQuery, PageOf, pageLimit } from '../schemas.js';
import { DltFields } from '../sending-options.js';

const ChannelBody = Type.Object(
  {
    name: Type.Optional(
      Type.String({ maxLength: 1000, description: 'Starts with a letter; letters, digits, _ . -' }),
    ),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
    channel: Type.Optional(Type.Union([Type.Literal('sms'), Type.Literal('mms')])),
    messageType: Type.Optional(
      Type.Union([Type.Literal('marketing'), Type.Literal('transactional')]),
    ),
    credentialId: Type.Optional(Type.String({ maxLength: 100 })),
    sender: Type.Optional(
      Type.String({
        maxLength: 100,
        description: 'E.164 number, short code, or alphanumeric sender id (3-11)',
      }),
    ),
    marketingFooter: Type.Optional(
      Type.Union([
        Type.String({ maxLength: 1000, description: 'e.g. "Reply STOP to opt out"' }),
        Type.Null(),
      ]),
    ),
    dltContentTemplateId: Type.Optional(DltFields.dltContentTemplateId),
    dltTelemarketerId: Type.Optional(DltFields.dltTelemarketerId),
  },
  { additionalProperties: false },
);

const ChannelResponse = Type.Object(
  {
    id: Type.String(),
    sandbox: Type.String(),
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    channel: Type.String(),
    messageType: Type.String(),
    credentialId: Type.String(),
    sender: Type.String(),
    marketingFooter: Type.Union([Type.String(), Type.Null()]),
    dltContentTemplateId: Type.Union([Type.String(), Type.Null()], {
      description: "India DLT template of this configuration's SMS; null: the credential's",
    }),
    dltTelemarketerId: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    version: Type.Integer(),
  },
  { $id: 'ChannelConfiguration', title: 'Channel configuration' },
);

const ChannelListQuery = Type.Composite(
  [ListQuery, Type.Object({ credentialId: Type.Optional(Type.String({ maxLength: 100 })) })],
  { additionalProperties: false },
);

const tags = ['channel configurations'];

/** `/api/v1/channel-configurations`: SMS and MMS channel configurations of the sandbox. */
export function channelRoutes(api: App, channels: ChannelService) {
  api.addSchema(ChannelResponse);
  api.get(
    '/v1/channel-configurations',
    {
      schema: {
        tags,
        summary: 'List channel configurations',
        querystring: ChannelListQuery,
        response: { 200: PageOf(Type.Ref(ChannelResponse)), ...errorResponses(400, 401, 404) },
      },
    },
    (request) =>
      channels.list(request.sandbox, {
        name: request.query.name,
        credentialId: request.query.credentialId,
        cursor: request.query.cursor,
        limit: pageLimit(request.query.limit),
      }),
  );

  api.post(
    '/v1/channel-configurations',
    {
      schema: {
        tags,
        summary: 'Create a channel configuration',
        body: ChannelBody,
        response: { 201: Type.Ref(ChannelResponse), ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      const channel = await channels.create(request.sandbox, request.actor, request.body);
      setEtag(reply, channel.version);
      reply.header('location', `/api/v1/channel-configurations/${channel.id}`);
      return reply.status(201).send(channel);
    },
  );

  api.get(
    '/v1/channel-configurations/:id',
    {
      schema: {
        tags,
        summary: 'Get a channel configuration',
        params: IdParams,
        response: { 200: Type.Ref(ChannelResponse), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const channel = await channels.get(request.sandbox, request.params.id);
      setEtag(reply, channel.version);
      return channel;
    },
  );

  api.patch(
    '/v1/channel-configurations/:id',
    {
      schema: {
        tags,
        summary: 'Update a channel configuration',
        description: 'Send If-Match with the ETag you read: a stale one gets 412.',
        params: IdParams,
        body: ChannelBody,
        response: { 200: Type.Ref(ChannelResponse), ...errorResponses(400, 401, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      const channel = await channels.update(
        request.sandbox,
        request.actor,
        request.params.id,
        request.body,
        ifMatchVersion(request),
      );
      setEtag(reply, channel.version);
      return channel;
    },
  );

  api.delete(
    '/v1/channel-configurations/:id',
    {
      schema: {
        tags,
        summary: 'Delete a channel configuration',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      await channels.delete(request.sandbox, request.actor, request.params.id);
      return reply.status(204).send(null);
    },
  );
}
