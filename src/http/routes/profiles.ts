import { Readable, Transform } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../errors.js';
import type { InboundService } from '../../inbound/inbound.service.js';
import { boundedLines } from '../../profiles/csv.js';
import type { ProfileService } from '../../profiles/profile.service.js';
import type { App } from '../app-type.js';
import { errorResponses, PageLimit, PageOf, pageLimit } from '../schemas.js';

/** An inbound text as the API shows it. */
export const InboundMessageResponse = Type.Object(
  {
    id: Type.String(),
    providerMessageId: Type.String(),
    sandbox: Type.Union([Type.String(), Type.Null()]),
    credentialId: Type.Union([Type.String(), Type.Null()]),
    from: Type.String(),
    to: Type.String({ description: 'The inbound number texted: E.164, or a short code as is' }),
    channel: Type.Union([Type.Literal('sms'), Type.Literal('mms')]),
    text: Type.String({ description: 'For an MMS, its text parts joined by a line break' }),
    parts: Type.Array(
      Type.Union([
        Type.Object({ contentType: Type.Union([Type.String(), Type.Null()]), text: Type.String() }),
        Type.Object({
          contentType: Type.Union([Type.String(), Type.Null()]),
          url: Type.String({ description: 'Where Infobip serves the media' }),
        }),
      ]),
      { description: 'An inbound MMS in order: text parts and media links; empty for an SMS' },
    ),
    category: Type.Union([Type.String(), Type.Null()], {
      description: 'opt_out, opt_in, help, double_opt_in, custom, fuzzy_opt_out or none',
    }),
    action: Type.Union([Type.String(), Type.Null()], {
      description: 'What the keyword engine did, e.g. opted_out, keyword_recorded, default_replied',
    }),
    replyMessageId: Type.Union([Type.String(), Type.Null()]),
    receivedAt: Type.String(),
  },
  { $id: 'InboundMessage', title: 'Inbound message' },
);

const tags = ['profiles'];
const Consent = Type.Union([
  Type.Literal('subscribed'),
  Type.Literal('unsubscribed'),
  Type.Literal('pending'),
  Type.Literal('unknown'),
]);
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const ProfileResponse = Type.Object(
  {
    id: Type.String(),
    sandbox: Type.String(),
    phone: Type.String(),
    consent: Consent,
    consentUpdatedAt: Nullable(Type.String()),
    attributes: Type.Object(
      {},
      {
        additionalProperties: true,
        description:
          'Custom inbound keywords are under keywords.<KEYWORD>: {count, firstAt, lastAt}',
      },
    ),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: 'Profile', title: 'Profile' },
);

const ConsentEntryResponse = Type.Object({
  id: Type.String(),
  profileId: Nullable(Type.String()),
  from: Type.String(),
  to: Type.String(),
  source: Type.String({ description: 'keyword, api, ui, import or double_opt_in_expiry' }),
  inboundMessageId: Nullable(Type.String()),
  actor: Nullable(Type.String()),
  note: Nullable(Type.String()),
  at: Type.String(),
});

const PendingResponse = Type.Object({
  phone: Type.String(),
  credentialId: Nullable(Type.String()),
  previousState: Type.String(),
  requestedAt: Type.String(),
  expiresAt: Type.String(),
});

const DoubleOptInResponse = Type.Object({
  pending: PendingResponse,
  profileId: Nullable(Type.String()),
  messageId: Nullable(Type.String()),
  sent: Type.Boolean({
    description: 'false when a request less than 10 minutes old stands: nothing new was sent',
  }),
});

const ProfileDetailResponse = Type.Object({
  phone: Type.String(),
  consent: Consent,
  profile: Type.Union([Type.Ref(ProfileResponse), Type.Null()]),
  consentHistory: Type.Array(ConsentEntryResponse),
  pendingDoubleOptIn: Type.Union([PendingResponse, Type.Null()]),
  inbound: Type.Array(Type.Ref(InboundMessageResponse)),
  outbound: Type.Array(Type.Object({}, { additionalProperties: true }), {
    description: 'Latest messages sent to the number (as GET /api/v1/messages shows them)',
  }),
});

const PhoneParams = Type.Object({
  phone: Type.String({
    minLength: 1,
    maxLength: 40,
    description: 'E.164 phone number (+ may be omitted or written %2B)',
  }),
});

const ProfileQuery = Type.Object(
  {
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Optional(PageLimit),
    phone: Type.Optional(Type.String({ maxLength: 40, description: 'Digits the number contains' })),
    consent: Type.Optional(Consent),
    attribute: Type.Optional(
      Type.String({
        maxLength: 200,
        pattern: '^[A-Za-z0-9_\\-\\u00C0-\\uFFFF]+(\\.[A-Za-z0-9_\\-\\u00C0-\\uFFFF]+)*$',
        description: 'Dotted attribute path that must be present, e.g. keywords.OFFERS',
      }),
    ),
    attributeValue: Type.Optional(
      Type.String({ maxLength: 200, description: 'With attribute: its value must equal this' }),
    ),
  },
  { additionalProperties: false },
);

const ImportSummaryResponse = Type.Object({
  rows: Type.Integer(),
  changed: Type.Integer(),
  unchanged: Type.Integer(),
  rejected: Type.Integer(),
  rejections: Type.Array(
    Type.Object({ line: Type.Integer(), phone: Nullable(Type.String()), reason: Type.String() }),
  ),
});

/** Largest consent CSV accepted (streamed, so memory stays flat; this bounds the work). */
export const CSV_IMPORT_MAX_BYTES = 50 * 1024 * 1024;

/** `/api/v1/profiles`: profiles and consent of the request's sandbox. */
export function profileRoutes(
  api: App,
  deps: { profiles: ProfileService; inbound: InboundService },
): void {
  const { profiles, inbound } = deps;
  api.addSchema(ProfileResponse);
  api.addSchema(InboundMessageResponse);

  api.get(
    '/v1/profiles',
    {
      schema: {
        tags,
        summary: 'List and search profiles',
        querystring: ProfileQuery,
        response: { 200: PageOf(Type.Ref(ProfileResponse)), ...errorResponses(400, 401, 404) },
      },
    },
    (request) => {
      const q = request.query;
      if (q.attributeValue !== undefined && q.attribute === undefined) {
        throw new AppError('validation_failed', 'attributeValue needs attribute.', [
          { path: '/querystring/attribute', message: 'is required with attributeValue' },
        ]);
      }
      return profiles.list(request.sandbox, {
        ...(q.phone !== undefined ? { phone: q.phone } : {}),
        ...(q.consent !== undefined ? { consent: q.consent } : {}),
        ...(q.attribute !== undefined ? { attribute: q.attribute } : {}),
        ...(q.attributeValue !== undefined ? { attributeValue: q.attributeValue } : {}),
        ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
        limit: pageLimit(q.limit),
      });
    },
  );

  api.get(
    '/v1/profiles/consent.csv',
    {
      schema: {
        tags,
        summary: 'Export consent as CSV',
        description: 'Streamed: phone,consent,consent_updated_at, one line per profile.',
        response: {
          200: Type.Unknown({ description: 'text/csv: phone,consent,consent_updated_at' }),
          ...errorResponses(401, 404),
        },
      },
    },
    (request, reply) => {
      reply.header('content-type', 'text/csv; charset=utf-8');
      reply.header('content-disposition', `attachment; filename="consent-${request.sandbox}.csv"`);
      return reply.send(Readable.from(profiles.exportCsv(request.sandbox)));
    },
  );

  // The import reads the body as a stream: a child scope gets the text/csv parser.
  void api.register((scope: App, _options, done) => {
    scope.addContentTypeParser(['text/csv', 'text/plain'], (_request, payload, parsed) =>
      parsed(null, payload),
    );
    scope.post(
      '/v1/profiles/consent.csv',
      {
        schema: {
          tags,
          summary: 'Import consent from CSV',
          description:
            'Send text/csv with a header naming phone and consent (subscribed | unsubscribed), optionally note. Idempotent: rows matching the current state change nothing. An import never re-subscribes a number that opted out. Answers with a summary of rows changed, unchanged and rejected (with reasons).',
          response: { 200: ImportSummaryResponse, ...errorResponses(400, 401, 404, 413, 415) },
        },
      },
      async (request) => {
        if (!(request.body instanceof Readable)) {
          throw new AppError('unsupported_media_type', 'Send the CSV with content-type text/csv.');
        }
        const body = request.body;
        let bytes = 0;
        const limit = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            bytes += chunk.length;
            if (bytes > CSV_IMPORT_MAX_BYTES) {
              callback(new AppError('payload_too_large', 'The CSV is larger than 50 MB.'));
            } else callback(null, chunk);
          },
        });
        body.pipe(limit);
        body.on('error', (error) => limit.destroy(error));
        limit.setEncoding('utf8');
        const lines = boundedLines(limit as AsyncIterable<string>);
        return profiles.importCsv(request.sandbox, request.actor, lines);
      },
    );
    done();
  });

  api.get(
    '/v1/profiles/:phone',
    {
      schema: {
        tags,
        summary: 'Get a profile',
        description:
          'The profile (null after erasure), its consent history from the ledger, a pending double opt-in, and the latest texts both ways.',
        params: PhoneParams,
        response: { 200: ProfileDetailResponse, ...errorResponses(400, 401, 404) },
      },
    },
    (request) => inbound.profileDetail(request.sandbox, request.params.phone),
  );

  api.put(
    '/v1/profiles/:phone/consent',
    {
      schema: {
        tags,
        summary: "Set a number's consent",
        description:
          'Recorded in the ledger with source api, the admin token as actor and the note as evidence. Creates the profile when missing.',
        params: PhoneParams,
        body: Type.Object(
          {
            consent: Type.Union([Type.Literal('subscribed'), Type.Literal('unsubscribed')]),
            note: Type.Optional(
              Type.Union([Type.String({ maxLength: 2000 }), Type.Null()], {
                description: 'Evidence, e.g. "signed up on the web form, 2026-11-25"',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            profile: Type.Ref(ProfileResponse),
            changed: Type.Boolean(),
            from: Consent,
          }),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    (request) =>
      profiles.setConsent(request.sandbox, request.actor, request.params.phone, {
        consent: request.body.consent,
        note: request.body.note ?? null,
      }),
  );

  api.post(
    '/v1/profiles/:phone/double-opt-in',
    {
      schema: {
        tags,
        summary: 'Start a double opt-in',
        description:
          "Marks the number pending (or records a pending request when it has no profile) and queues the credential's double opt-in message from its inbound number (202, sent: true); the person confirms by texting an opt-in keyword. Expires (default 30 days) back to the previous state. 409 when already subscribed. Repeated within 10 minutes of the last request for the number: 200 with the pending request as it stands, sent: false, and no new message.",
        params: PhoneParams,
        body: Type.Object(
          {
            credentialId: Type.String({
              minLength: 1,
              maxLength: 100,
              description: 'The API credential whose inbound number sends and receives',
            }),
            note: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: {
          200: DoubleOptInResponse,
          202: DoubleOptInResponse,
          ...errorResponses(400, 401, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const result = await inbound.requestDoubleOptIn(
        request.sandbox,
        request.actor,
        request.params.phone,
        { credentialId: request.body.credentialId, note: request.body.note ?? null },
      );
      return reply.status(result.sent ? 202 : 200).send(result);
    },
  );

  api.delete(
    '/v1/profiles/:phone',
    {
      schema: {
        tags,
        summary: 'Erase a profile',
        description:
          'Deletes the profile and its attributes. The consent ledger keeps its entries under a hash of the number, so an opt-out still holds.',
        params: PhoneParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await profiles.erase(request.sandbox, request.actor, request.params.phone);
      return reply.status(204).send(null);
    },
  );
}
