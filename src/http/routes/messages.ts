import { Readable } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import type { Message } from '../../messages/message.js';
import { MESSAGE_STATUSES } from '../../messages/status.js';
import { BATCH_MAX, type SendService } from '../../messages/send.service.js';
import type { App } from '../app-type.js';
import { errorResponses, IdParams, PageLimit, PageOf, pageLimit } from '../schemas.js';
import { DltFields, ValidityPeriodSchema } from '../sending-options.js';

const MessageStatus = Type.Union(MESSAGE_STATUSES.map((s) => Type.Literal(s)));

const SendBody = Type.Object(
  {
    channelConfigurationId: Type.String({ maxLength: 100 }),
    to: Type.String({
      maxLength: 100,
      description: 'Phone number, E.164 (+14155550100) or international digits',
    }),
    text: Type.Optional(Type.String({ maxLength: 10_000 })),
    media: Type.Optional(
      Type.Array(
        Type.Object(
          {
            url: Type.String({ maxLength: 4096 }),
            contentType: Type.Optional(Type.String({ maxLength: 100 })),
          },
          { additionalProperties: false },
        ),
        { maxItems: 20, description: 'MMS media, fetched by the provider from these URLs' },
      ),
    ),
    messageType: Type.Optional(
      Type.Union([Type.Literal('marketing'), Type.Literal('transactional')]),
    ),
    sendAt: Type.Optional(
      Type.String({ maxLength: 40, description: 'ISO-8601: send later (at most 180 days ahead)' }),
    ),
    callbackData: Type.Optional(
      Type.String({
        maxLength: 10_000,
        description: "Returned with delivery reports; default: the credential's",
      }),
    ),
    idempotencyKey: Type.Optional(
      Type.String({ maxLength: 1000, description: 'Or the Idempotency-Key header' }),
    ),
    validityPeriod: Type.Optional(ValidityPeriodSchema),
    dltContentTemplateId: Type.Optional(DltFields.dltContentTemplateId),
    dltTelemarketerId: Type.Optional(DltFields.dltTelemarketerId),
  },
  { additionalProperties: false },
);
type SendBodyType = Static<typeof SendBody>;

export const MessageResponse = Type.Object(
  {
    id: Type.String(),
    sandbox: Type.String(),
    channelConfigurationId: Type.Union([Type.String(), Type.Null()]),
    credentialId: Type.String(),
    channel: Type.String(),
    messageType: Type.String(),
    sender: Type.String(),
    to: Type.String(),
    text: Type.Union([Type.String(), Type.Null()]),
    media: Type.Array(
      Type.Object({ url: Type.String(), contentType: Type.Optional(Type.String()) }),
    ),
    callbackData: Type.Union([Type.String(), Type.Null()]),
    status: MessageStatus,
    statusReason: Type.Union([Type.String(), Type.Null()]),
    attempts: Type.Integer(),
    nextAttemptAt: Type.Union([Type.String(), Type.Null()]),
    validUntil: Type.String({
      description:
        "When the provider stops trying: sendAt (or accept) plus the message's or credential's validityPeriod",
    }),
    sendAt: Type.Union([Type.String(), Type.Null()]),
    segments: Type.Integer(),
    encoding: Type.String(),
    providerStatus: Type.Unknown(),
    providerError: Type.Unknown(),
    lastProviderError: Type.Union(
      [Type.Object({ message: Type.String(), at: Type.String() }), Type.Null()],
      {
        description:
          'The last error a provider call for this message met (DNS failure, refused, TLS, an HTTP error), kept after a later success',
      },
    ),
    providerMessageId: Type.Union([Type.String(), Type.Null()], {
      description:
        "The id the provider knows the message by (to find it in the provider's logs); null until it accepted the message",
    }),
    idempotencyKey: Type.Union([Type.String(), Type.Null()]),
    origin: Type.String(),
    inboundMessageId: Type.Union([Type.String(), Type.Null()]),
    dltContentTemplateId: Type.Union([Type.String(), Type.Null()], {
      description:
        "India DLT template sent: the message's or its channel configuration's; null: the credential's",
    }),
    dltTelemarketerId: Type.Union([Type.String(), Type.Null()]),
    campaignId: Type.Union([Type.String(), Type.Null()], {
      description: 'The campaign that queued it (origin campaign); null for every other message',
    }),
    scheduledFor: Type.Union([Type.String(), Type.Null()], {
      description:
        "When Tern hands it to the provider: a held message's release (its recipient's window start plus up to 10 minutes of jitter), else sendAt, else the accept time; null when it never goes (suppressed)",
    }),
    policy: Type.Union(
      [
        Type.Object({
          action: Type.Union([Type.Literal('held'), Type.Literal('dropped')]),
          rule: Type.String({ description: 'The send-time policy rule that decided' }),
          source: Type.String({
            description:
              "Where the recipient's location came from: profile_time_zone, profile_region, area_code, country, sandbox_default or unknown",
          }),
          heldUntil: Type.Union([Type.String(), Type.Null()], {
            description: 'A held message waits in the queue until then; null when dropped',
          }),
        }),
        Type.Null(),
      ],
      { description: 'What the send-time policy (quiet hours, caps) did; null when it let it go' },
    ),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    acceptedAt: Type.Union([Type.String(), Type.Null()]),
    doneAt: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'Message', title: 'Message' },
);

const MessageDetail = Type.Object({
  message: Type.Ref(MessageResponse),
  history: Type.Array(
    Type.Object({
      id: Type.String(),
      at: Type.String(),
      status: Type.String(),
      reason: Type.Union([Type.String(), Type.Null()]),
      report: Type.Unknown(),
    }),
  ),
  reports: Type.Array(Type.Object({ receivedAt: Type.String(), report: Type.Unknown() }), {
    description: 'Raw delivery reports received',
  }),
});

const BatchItemResult = Type.Object({
  index: Type.Integer(),
  accepted: Type.Boolean(),
  replayed: Type.Optional(Type.Boolean()),
  message: Type.Optional(Type.Ref(MessageResponse)),
  error: Type.Optional(
    Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Array(
        Type.Object({ path: Type.Optional(Type.String()), message: Type.String() }),
      ),
    }),
  ),
});

/** The log's filters: the list's and the export's query. */
const MessageFilterFields = {
  status: Type.Optional(MessageStatus),
  to: Type.Optional(Type.String({ maxLength: 100 })),
  channelConfigurationId: Type.Optional(Type.String({ maxLength: 100 })),
  from: Type.Optional(
    Type.String({ maxLength: 40, description: 'Created at or after (ISO-8601)' }),
  ),
  until: Type.Optional(Type.String({ maxLength: 40, description: 'Created before (ISO-8601)' })),
};

const ListMessagesQuery = Type.Object(
  {
    ...MessageFilterFields,
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Optional(PageLimit),
  },
  { additionalProperties: false },
);

const ExportMessagesQuery = Type.Object(MessageFilterFields, { additionalProperties: false });

/** A `to` filter as stored: E.164 with its plus (a `+` in a query string often arrives as a space). */
function messageFilters<Q extends { to?: string | undefined }>(query: Q): Q {
  const { to } = query;
  return to ? { ...query, to: to.startsWith('+') ? to : `+${to.trim()}` } : query;
}

/**
 * Passes the CSV through and logs, once it ends, how much went out and whether the client took
 * it all: a client that goes away destroys the stream, which ends the generator's page loop.
 */
async function* loggedExport(
  csv: AsyncGenerator<string>,
  log: FastifyBaseLogger,
  sandbox: string,
  counts: { pages: number; rows: number },
): AsyncGenerator<string> {
  let complete = false;
  try {
    yield* csv;
    complete = true;
  } finally {
    log.info(
      { sandbox, ...counts, complete },
      complete ? 'messages exported' : 'messages export stopped: the client went away',
    );
  }
}

const tags = ['messages'];

function withKeyHeader(body: SendBodyType, header: string | string[] | undefined): SendBodyType {
  const key = Array.isArray(header) ? header[0] : header;
  return key !== undefined && body.idempotencyKey === undefined
    ? { ...body, idempotencyKey: key }
    : body;
}

/**
 * Logs what a request queued, so that a message can be followed by its id from accept through
 * the worker's send to its delivery report: one info line per message for a single send; for a
 * batch, one info line with the ids (1,000 messages are one line, not 1,000) and a debug line
 * per message with its credential and status.
 */
function logAccepted(
  log: FastifyBaseLogger,
  sandbox: string,
  stored: { message: Message; replayed: boolean }[],
): void {
  const line = ({ message, replayed }: { message: Message; replayed: boolean }) => ({
    messageId: message.id,
    credentialId: message.credentialId,
    sandbox,
    status: message.status,
    replayed,
  });
  const [only] = stored;
  if (stored.length === 1 && only) {
    log.info(line(only), 'message accepted');
    return;
  }
  if (stored.length === 0) return;
  log.info(
    { sandbox, count: stored.length, messageIds: stored.map((s) => s.message.id) },
    'messages accepted',
  );
  for (const s of stored) log.debug(line(s), 'message accepted');
}

function accepted(reply: FastifyReply, message: Message, replayed: boolean) {
  if (replayed) reply.header('idempotent-replayed', 'true');
  reply.header('location', `/api/v1/messages/${message.id}`);
  return reply.status(202).send(message);
}

/** `/api/v1/messages`: send (single and batch) and the outbound message log. */
export function messageRoutes(api: App, messages: SendService) {
  api.addSchema(MessageResponse);

  api.post(
    '/v1/messages',
    {
      schema: {
        tags,
        summary: 'Send a message',
        description:
          'Validates, applies consent (an opted-out number gets a `suppressed` message, not an error) and queues the message durably. ' +
          'Idempotency-Key (header or field): the same key and body return the original message; another body, 409.',
        body: SendBody,
        response: { 202: Type.Ref(MessageResponse), ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      const { message, replayed } = await messages.send(
        request.sandbox,
        withKeyHeader(request.body, request.headers['idempotency-key']),
      );
      logAccepted(request.log, request.sandbox, [{ message, replayed }]);
      return accepted(reply, message, replayed);
    },
  );

  api.post(
    '/v1/messages/batch',
    {
      schema: {
        tags,
        summary: `Send up to ${BATCH_MAX} messages`,
        description:
          'Each message is judged on its own: the answer says, per item and in order, whether it was accepted or why not.',
        body: Type.Object(
          { messages: Type.Array(SendBody, { minItems: 1, maxItems: BATCH_MAX }) },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({
            accepted: Type.Integer(),
            refused: Type.Integer(),
            results: Type.Array(BatchItemResult),
          }),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      const outcomes = await messages.sendMany(request.sandbox, request.body.messages);
      logAccepted(
        request.log,
        request.sandbox,
        outcomes.flatMap((o) => (o.ok ? [o] : [])),
      );
      const results = outcomes.map((o, index) =>
        o.ok
          ? { index, accepted: true, replayed: o.replayed, message: o.message }
          : {
              index,
              accepted: false,
              error: { code: o.code, message: o.message, details: o.problems },
            },
      );
      const acceptedCount = results.filter((r) => r.accepted).length;
      return reply
        .status(202)
        .send({ accepted: acceptedCount, refused: results.length - acceptedCount, results });
    },
  );

  api.get(
    '/v1/messages',
    {
      schema: {
        tags,
        summary: 'The outbound message log, newest first',
        querystring: ListMessagesQuery,
        response: { 200: PageOf(Type.Ref(MessageResponse)), ...errorResponses(400, 401, 404) },
      },
    },
    (request) => {
      const { limit, ...filters } = messageFilters(request.query);
      return messages.list(request.sandbox, { ...filters, limit: pageLimit(limit) });
    },
  );

  api.get(
    '/v1/messages/export',
    {
      schema: {
        tags,
        summary: 'Export the message log as CSV, newest first',
        description:
          'The filters of `GET /v1/messages`, the whole log at once: streamed (RFC 4180, CRLF lines, a header row), read 1,000 messages at a time as the client takes them. ' +
          'A cell a spreadsheet would run as a formula (starting with = + - @, a tab or CR, unless it is a plain number such as +447911123456) gets a leading apostrophe.',
        querystring: ExportMessagesQuery,
        response: {
          200: Type.Unknown({
            description: 'text/csv: id,createdAt,status,… one line per message',
          }),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    (request, reply) => {
      const counts = { pages: 0, rows: 0 };
      const csv = messages.exportCsv(request.sandbox, messageFilters(request.query), (rows) => {
        counts.pages += 1;
        counts.rows += rows;
        request.log.debug({ page: counts.pages, rows }, 'messages export page');
      });
      reply.header('content-type', 'text/csv; charset=utf-8');
      reply.header('content-disposition', `attachment; filename="messages-${request.sandbox}.csv"`);
      // Not object mode: the stream buffers at most 16 kB past what the socket took, so the
      // next page is read only once the client has taken this one.
      return reply.send(
        Readable.from(loggedExport(csv, request.log, request.sandbox, counts), {
          objectMode: false,
        }),
      );
    },
  );

  api.get(
    '/v1/messages/:id',
    {
      schema: {
        tags,
        summary: 'A message with its status history and raw provider reports',
        params: IdParams,
        response: { 200: MessageDetail, ...errorResponses(401, 404) },
      },
    },
    (request) => messages.get(request.sandbox, request.params.id),
  );
}
