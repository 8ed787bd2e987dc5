import { Type } from '@sinclair/typebox';
import { TEMPLATE_BODY_MAX } from '../../templates/template.js';
import { PREVIEW_MAX, type TemplateService } from '../../templates/template.service.js';
import type { App } from '../app-type.js';
import { ifMatchVersion, setEtag } from '../etag.js';
import { errorResponses, IdParams, ListQuery, PageLimit, PageOf, pageLimit } from '../schemas.js';
import { DltFields } from '../sending-options.js';

const MessageType = Type.Union([Type.Literal('marketing'), Type.Literal('transactional')]);
const Media = Type.Array(
  Type.Object(
    {
      url: Type.String({ maxLength: 4096 }),
      contentType: Type.Optional(Type.String({ maxLength: 100 })),
    },
    { additionalProperties: false },
  ),
  { maxItems: 100, description: 'MMS media (at most 10)' },
);
const Body = Type.String({
  // The bound is checked by the service, which names it; the schema keeps far-off input out.
  maxLength: TEMPLATE_BODY_MAX * 2,
  description: `Liquid, at most ${TEMPLATE_BODY_MAX} characters, e.g. Hi {{ profile.attributes.firstName | default: "there" }}`,
});
const DltTemplateText = Type.Union([
  Type.String({
    maxLength: 4000,
    description:
      'The text registered on the DLT portal, with {#var#} slots (at most 30 characters each)',
  }),
  Type.Null(),
]);

export const TemplateBody = Type.Object(
  {
    name: Type.Optional(
      Type.String({ maxLength: 1000, description: 'Starts with a letter; letters, digits, _ . -' }),
    ),
    body: Type.Optional(Body),
    media: Type.Optional(Media),
    messageType: Type.Optional(MessageType),
    dltContentTemplateId: Type.Optional(DltFields.dltContentTemplateId),
    dltTemplateText: Type.Optional(DltTemplateText),
  },
  { additionalProperties: false },
);

const versionFields = {
  id: Type.String(),
  sandbox: Type.String(),
  name: Type.String(),
  version: Type.Integer(),
  body: Type.String(),
  media: Type.Array(Type.Object({ url: Type.String(), contentType: Type.Optional(Type.String()) })),
  messageType: Type.String(),
  dltContentTemplateId: Type.Union([Type.String(), Type.Null()]),
  dltTemplateText: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
};
const TemplateResponse = Type.Object(
  { ...versionFields, updatedAt: Type.String() },
  { $id: 'Template', title: 'Message template (its current version)' },
);
const TemplateVersionResponse = Type.Object(versionFields, {
  $id: 'TemplateVersion',
  title: 'Message template version',
});

const PreviewItem = Type.Object(
  {
    profileId: Type.Union([Type.String(), Type.Null()]),
    phone: Type.Union([Type.String(), Type.Null()]),
    ok: Type.Boolean(),
    text: Type.String({ description: 'The final text, footer added' }),
    characters: Type.Integer(),
    segments: Type.Integer(),
    encoding: Type.String({ description: 'GSM-7 or UCS-2' }),
    problems: Type.Array(
      Type.Object(
        { path: Type.Optional(Type.String()), message: Type.String() },
        { additionalProperties: true },
      ),
    ),
  },
  { $id: 'TemplatePreview', title: 'A template rendered for one recipient' },
);

const Id = Type.String({ minLength: 1, maxLength: 100 });
const Phone = Type.String({ minLength: 1, maxLength: 50 });
export const PreviewBody = Type.Object(
  {
    profileIds: Type.Optional(Type.Array(Id, { maxItems: PREVIEW_MAX })),
    phones: Type.Optional(Type.Array(Phone, { maxItems: PREVIEW_MAX })),
    version: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
    channelConfigurationId: Type.Optional(Id),
  },
  { additionalProperties: false },
);
const RenderBody = Type.Object(
  {
    body: Body,
    messageType: Type.Optional(MessageType),
    media: Type.Optional(Media),
    dltTemplateText: Type.Optional(DltTemplateText),
    profileId: Type.Optional(Id),
    phone: Type.Optional(Phone),
    channelConfigurationId: Type.Optional(Id),
  },
  { additionalProperties: false },
);
const VersionsQuery = Type.Object(
  {
    cursor: Type.Optional(
      Type.String({ maxLength: 20, description: 'nextCursor of the previous page' }),
    ),
    limit: Type.Optional(PageLimit),
  },
  { additionalProperties: false },
);

const tags = ['templates'];

/** `/api/v1/templates`: versioned message templates, previews and the live editor's render. */
export function templateRoutes(api: App, templates: TemplateService) {
  api.addSchema(TemplateResponse);
  api.addSchema(TemplateVersionResponse);
  api.addSchema(PreviewItem);

  api.get(
    '/v1/templates',
    {
      schema: {
        tags,
        summary: 'List templates',
        querystring: ListQuery,
        response: { 200: PageOf(Type.Ref(TemplateResponse)), ...errorResponses(400, 401) },
      },
    },
    (request) =>
      templates.list(request.sandbox, {
        name: request.query.name,
        cursor: request.query.cursor,
        limit: pageLimit(request.query.limit),
      }),
  );

  api.post(
    '/v1/templates',
    {
      schema: {
        tags,
        summary: 'Create a template',
        description:
          'The body is Liquid. A body that does not parse, uses an unknown filter or tag, or is over 10 SMS parts for every recipient gets 400 naming /body and the line.',
        body: TemplateBody,
        response: { 201: Type.Ref(TemplateResponse), ...errorResponses(400, 401, 409) },
      },
    },
    async (request, reply) => {
      const template = await templates.create(request.sandbox, request.actor, request.body);
      setEtag(reply, template.version);
      reply.header('location', `/api/v1/templates/${template.id}`);
      return reply.status(201).send(template);
    },
  );

  // Before /:id, so "render" is never taken for an id (the router prefers the static path anyway).
  api.post(
    '/v1/templates/render',
    {
      schema: {
        tags,
        summary: 'Render an unsaved template',
        description:
          "The console's live editor: renders a draft for one profile (or for nobody's attributes) and checks it as a preview does. Saves nothing.",
        body: RenderBody,
        response: { 200: Type.Ref(PreviewItem), ...errorResponses(400, 401) },
      },
    },
    (request) => {
      const { profileId, phone, channelConfigurationId, ...draft } = request.body;
      return templates.render(request.sandbox, draft, {
        profileId,
        phone,
        channelConfigurationId,
      });
    },
  );

  api.get(
    '/v1/templates/:id',
    {
      schema: {
        tags,
        summary: 'Get a template (its current version)',
        params: IdParams,
        response: { 200: Type.Ref(TemplateResponse), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const template = await templates.get(request.sandbox, request.params.id);
      setEtag(reply, template.version);
      return template;
    },
  );

  api.patch(
    '/v1/templates/:id',
    {
      schema: {
        tags,
        summary: 'Edit a template (makes a new version)',
        description:
          'Send If-Match with the ETag you read: a stale one gets 412. Any change makes version + 1; earlier versions stay as they were.',
        params: IdParams,
        body: TemplateBody,
        response: { 200: Type.Ref(TemplateResponse), ...errorResponses(400, 401, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      const template = await templates.update(
        request.sandbox,
        request.actor,
        request.params.id,
        request.body,
        ifMatchVersion(request),
      );
      setEtag(reply, template.version);
      return template;
    },
  );

  api.delete(
    '/v1/templates/:id',
    {
      schema: {
        tags,
        summary: 'Delete a template',
        description:
          'Soft: the template leaves the list and its name is free again; its versions are kept for the audit log and campaigns already confirmed. 409 (naming them) while keyword responses reply with it.',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(401, 404, 409) },
      },
    },
    async (request, reply) => {
      await templates.delete(request.sandbox, request.actor, request.params.id);
      return reply.status(204).send(null);
    },
  );

  api.get(
    '/v1/templates/:id/versions',
    {
      schema: {
        tags,
        summary: "List a template's versions, newest first",
        params: IdParams,
        querystring: VersionsQuery,
        response: {
          200: PageOf(Type.Ref(TemplateVersionResponse)),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    (request) =>
      templates.versions(request.sandbox, request.params.id, {
        cursor: request.query.cursor,
        limit: pageLimit(request.query.limit),
      }),
  );

  api.post(
    '/v1/templates/:id/preview',
    {
      schema: {
        tags,
        summary: 'Preview a template for real profiles',
        description: `Renders a version (the current one by default) for up to ${PREVIEW_MAX} profiles, by id or phone, and checks each text: parts, encoding, the 10-part cap, unset variables, the opt-out footer (marketing) and the DLT fit.`,
        params: IdParams,
        body: PreviewBody,
        response: {
          200: Type.Object({ items: Type.Array(Type.Ref(PreviewItem)) }),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    (request) => templates.preview(request.sandbox, request.params.id, request.body),
  );
}
