import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CAMPAIGN_STATUSES, SEED_PHONES_MAX, type Campaign } from '../../campaigns/campaign.js';
import type { ApprovalService } from '../../approvals/approval.service.js';
import type { Actor } from '../../auth/principal.js';
import type { CampaignService } from '../../campaigns/campaign.service.js';
import { answerPending, PendingApproval } from '../approval-schema.js';
import type { App } from '../app-type.js';
import { ifMatchVersion, setEtag } from '../etag.js';
import { errorResponses, IdParams, PageLimit, PageOf, pageLimit } from '../schemas.js';

const Id = Type.String({ minLength: 1, maxLength: 100 });
const Rate = Type.Integer({ minimum: 1, maximum: 1_000_000 });
const Fraction = Type.Number({ exclusiveMinimum: 0, maximum: 1 });

export const CampaignBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    audience: Type.Optional(
      Type.Object(
        { segmentId: Type.Optional(Id), listId: Type.Optional(Id) },
        { additionalProperties: false, description: 'Exactly one of segmentId or listId' },
      ),
    ),
    templateId: Type.Optional(Id),
    templateVersion: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1_000_000,
        description: "The version to pin; default the template's current one",
      }),
    ),
    channelConfigurationId: Type.Optional(Id),
    sendAt: Type.Optional(
      Type.Union([Type.String({ maxLength: 40 }), Type.Null()], {
        description: 'ISO-8601 time to start; null: as soon as confirmed',
      }),
    ),
    pacing: Type.Optional(
      Type.Object(
        { perSecond: Type.Optional(Rate), perMinute: Type.Optional(Rate) },
        {
          additionalProperties: false,
          description: "Exactly one; at most the credential's send rate (default that rate)",
        },
      ),
    ),
    seedPhones: Type.Optional(
      Type.Array(Type.String({ maxLength: 64 }), {
        maxItems: SEED_PHONES_MAX,
        description: 'Numbers the test send goes to',
      }),
    ),
    autoPause: Type.Optional(
      Type.Object(
        {
          optOutRate: Type.Optional(Fraction),
          failureRate: Type.Optional(Fraction),
          minSample: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000_000 })),
        },
        {
          additionalProperties: false,
          description: 'Defaults: optOutRate 0.02, failureRate 0.2, minSample 200',
        },
      ),
    ),
  },
  { additionalProperties: false },
);

const Status = Type.Union(CAMPAIGN_STATUSES.map((s) => Type.Literal(s)));

const CampaignResponse = Type.Object(
  {
    id: Type.String(),
    sandbox: Type.String(),
    name: Type.String(),
    status: Status,
    statusReason: Type.Union([Type.String(), Type.Null()]),
    audience: Type.Object({
      segmentId: Type.Optional(Type.String()),
      listId: Type.Optional(Type.String()),
    }),
    templateId: Type.String(),
    templateVersion: Type.Integer(),
    channelConfigurationId: Type.String(),
    sendAt: Type.Union([Type.String(), Type.Null()]),
    pacing: Type.Object({
      perSecond: Type.Optional(Type.Integer()),
      perMinute: Type.Optional(Type.Integer()),
    }),
    seedPhones: Type.Array(Type.String()),
    autoPause: Type.Object({
      optOutRate: Type.Number(),
      failureRate: Type.Number(),
      minSample: Type.Integer(),
    }),
    progress: Type.Object({
      recipients: Type.Integer({ description: 'Profiles in the snapshot so far' }),
      snapshotDone: Type.Boolean(),
      fannedOut: Type.Integer({ description: 'Recipients the fan-out has dealt with' }),
      queued: Type.Integer({ description: 'Messages queued' }),
      excluded: Type.Integer({ description: 'Excluded by consent' }),
      renderFailed: Type.Integer({ description: 'Did not render or pass the send rules' }),
    }),
    confirmedAt: Type.Union([Type.String(), Type.Null()]),
    startedAt: Type.Union([Type.String(), Type.Null()]),
    finishedAt: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    version: Type.Integer(),
  },
  { $id: 'Campaign', title: 'Campaign' },
);

const Problems = Type.Array(
  Type.Object(
    { path: Type.Optional(Type.String()), message: Type.String() },
    { additionalProperties: true },
  ),
);

const EstimateResponse = Type.Object({
  recipients: Type.Integer({ description: 'Profiles in the audience now (exact)' }),
  eligible: Type.Integer({ description: 'Whose consent allows marketing (exact)' }),
  excluded: Type.Object({
    total: Type.Integer(),
    byReason: Type.Array(
      Type.Object({ consent: Type.String(), reason: Type.String(), recipients: Type.Integer() }),
    ),
  }),
  rendering: Type.Object({
    method: Type.Union([Type.Literal('exact'), Type.Literal('sampled')]),
    rendered: Type.Integer(),
    parts: Type.Array(
      Type.Object({
        segments: Type.Integer(),
        encoding: Type.String(),
        recipients: Type.Integer(),
      }),
    ),
    totalParts: Type.Integer(),
    failures: Type.Object({
      recipients: Type.Integer(),
      examples: Type.Array(
        Type.Object({
          profileId: Type.String(),
          phone: Type.String(),
          reason: Type.String(),
          problems: Problems,
        }),
      ),
    }),
  }),
  heldByQuietHours: Type.Union(
    [
      Type.Object({
        held: Type.Integer(),
        dropped: Type.Integer(),
        byRule: Type.Array(
          Type.Object({
            rule: Type.String(),
            action: Type.Union([Type.Literal('hold'), Type.Literal('drop')]),
            reason: Type.Union([Type.String(), Type.Null()]),
            recipients: Type.Integer(),
            firstRelease: Type.Union([Type.String(), Type.Null()]),
            lastRelease: Type.Union([Type.String(), Type.Null()]),
          }),
        ),
      }),
      Type.Null(),
    ],
    {
      description:
        "What the send-time policy would do if the send began now: per rule, how many recipients it holds (and the earliest and latest window start they wait for; each goes up to 10 minutes after its window's start) or drops. Scaled when sampled; null without a policy",
    },
  ),
  accuracy: Type.String({ description: 'What is exact and what is sampled' }),
});

const ResultsResponse = Type.Object({
  recipients: Type.Integer(),
  excluded: Type.Integer(),
  renderFailed: Type.Integer(),
  messages: Type.Object({
    total: Type.Integer(),
    queued: Type.Integer(),
    paused: Type.Integer(),
    sent: Type.Integer({ description: 'Handed to the provider' }),
    accepted: Type.Integer(),
    delivered: Type.Integer(),
    failed: Type.Integer({ description: 'Undeliverable, expired, rejected or failed' }),
    suppressed: Type.Integer({ description: 'Blocked by consent right before sending' }),
    cancelled: Type.Integer(),
  }),
  optOuts: Type.Integer({ description: 'Recipients who opted out within 24 h of their send' }),
  replies: Type.Integer({ description: 'Recipients who texted back after their send' }),
  optOutRate: Type.Number(),
  failureRate: Type.Number(),
});

export const TestSendBody = Type.Object(
  {
    phones: Type.Optional(
      Type.Array(Type.String({ maxLength: 64 }), {
        minItems: 1,
        maxItems: SEED_PHONES_MAX,
        description: "Default: the campaign's seedPhones",
      }),
    ),
  },
  { additionalProperties: false },
);

const TestSendResponse = Type.Object({
  items: Type.Array(
    Type.Object({
      phone: Type.String(),
      ok: Type.Boolean(),
      messageId: Type.Union([Type.String(), Type.Null()]),
      text: Type.Union([Type.String(), Type.Null()]),
      problems: Problems,
    }),
  ),
});

const ConfirmBody = Type.Object(
  {
    templateVersion: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1_000_000,
        description: 'The template version you reviewed; 409 when the campaign pins another',
      }),
    ),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object(
  {
    status: Type.Optional(Status),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Optional(PageLimit),
  },
  { additionalProperties: false },
);

const tags = ['campaigns'];

/** A POST whose body is all optional may come without one: it reads as `{}`. */
function emptyBody(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  request.body ??= {};
  done();
}
function withEtag(reply: FastifyReply, campaign: Campaign): Campaign {
  setEtag(reply, campaign.version);
  return campaign;
}

/** `/api/v1/campaigns`: drafts, estimate, test send, confirm, pause / resume / cancel, results. */
export function campaignRoutes(api: App, campaigns: CampaignService, approvals: ApprovalService) {
  api.addSchema(CampaignResponse);
  const one = Type.Ref(CampaignResponse);

  api.get(
    '/v1/campaigns',
    {
      schema: {
        tags,
        summary: 'List campaigns, newest first',
        querystring: ListQuery,
        response: { 200: PageOf(one), ...errorResponses(400, 401) },
      },
    },
    (request) =>
      campaigns.list(request.sandbox, {
        status: request.query.status,
        cursor: request.query.cursor,
        limit: pageLimit(request.query.limit),
      }),
  );

  api.post(
    '/v1/campaigns',
    {
      schema: {
        tags,
        summary: 'Create a campaign (a draft)',
        body: CampaignBody,
        response: { 201: one, ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      const campaign = await campaigns.create(request.sandbox, request.actor, request.body);
      reply.header('location', `/api/v1/campaigns/${campaign.id}`);
      return reply.status(201).send(withEtag(reply, campaign));
    },
  );

  api.get(
    '/v1/campaigns/:id',
    {
      schema: {
        tags,
        summary: 'Get a campaign and its progress',
        params: IdParams,
        response: { 200: one, ...errorResponses(401, 404) },
      },
    },
    async (request, reply) =>
      withEtag(reply, await campaigns.get(request.sandbox, request.params.id)),
  );

  api.patch(
    '/v1/campaigns/:id',
    {
      schema: {
        tags,
        summary: 'Edit a draft campaign',
        description: 'Only a draft; send If-Match with the ETag you read (412 when stale).',
        params: IdParams,
        body: CampaignBody,
        response: { 200: one, ...errorResponses(400, 401, 404, 409, 412) },
      },
    },
    async (request, reply) =>
      withEtag(
        reply,
        await campaigns.update(
          request.sandbox,
          request.actor,
          request.params.id,
          request.body,
          ifMatchVersion(request),
        ),
      ),
  );

  api.delete(
    '/v1/campaigns/:id',
    {
      schema: {
        tags,
        summary: 'Delete a draft campaign',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(401, 404, 409) },
      },
    },
    async (request, reply) => {
      await campaigns.delete(request.sandbox, request.actor, request.params.id);
      return reply.status(204).send(null);
    },
  );

  api.post(
    '/v1/campaigns/:id/estimate',
    {
      schema: {
        tags,
        summary: 'Estimate the send: recipients, exclusions, parts and encodings',
        description:
          'Recipients and consent exclusions are counted exactly; up to 5,000 eligible recipients are all rendered, past that a uniform random sample of 5,000 (see `accuracy`).',
        params: IdParams,
        response: { 200: EstimateResponse, ...errorResponses(401, 404, 409) },
      },
    },
    (request) => campaigns.estimate(request.sandbox, request.params.id),
  );

  api.post(
    '/v1/campaigns/:id/test-send',
    {
      schema: {
        tags,
        summary: 'Send the campaign text to the seed numbers',
        description:
          "Rendered for the profile of each number when there is one; sent as ordinary messages through the API's send path (not counted in the results).",
        params: IdParams,
        body: TestSendBody,
        response: { 200: TestSendResponse, ...errorResponses(400, 401, 404, 409) },
      },
      preValidation: emptyBody,
    },
    (request) =>
      campaigns.testSend(request.sandbox, request.actor, request.params.id, request.body.phones),
  );

  const transition = (
    path: string,
    summary: string,
    description: string,
    act: (
      sandbox: string,
      actor: Actor,
      id: string,
      version: number | undefined,
    ) => Promise<Campaign>,
  ) =>
    api.post(
      `/v1/campaigns/:id/${path}`,
      {
        schema: {
          tags,
          summary,
          description: `${description} If-Match (the ETag you read) makes it conditional: 412 when stale.`,
          params: IdParams,
          response: { 200: one, ...errorResponses(400, 401, 404, 409, 412) },
        },
      },
      async (request, reply) =>
        withEtag(
          reply,
          await act(request.sandbox, request.actor, request.params.id, ifMatchVersion(request)),
        ),
    );

  api.post(
    '/v1/campaigns/:id/confirm',
    {
      schema: {
        tags,
        summary: 'Confirm a draft: snapshot the audience and send (now or at sendAt)',
        description:
          "409 when the template changed since the pinned version, the audience is empty or no one in it may receive marketing, the campaign is not a draft or is already waiting for approval. If-Match (the ETag you read) makes it conditional: 412 when stale. 202 when the audience is larger than the sandbox's campaignApprovalAbove: the confirm waits for a second person's approval and nothing is sent until then.",
        params: IdParams,
        body: ConfirmBody,
        response: { 200: one, 202: PendingApproval, ...errorResponses(400, 401, 404, 409, 412) },
      },
      preValidation: emptyBody,
    },
    async (request, reply) => {
      const { sandbox, actor } = request;
      const id = request.params.id;
      const expectedVersion = ifMatchVersion(request);
      const campaign = await campaigns.get(sandbox, id);
      // The audience as it is now decides; a campaign that is not a draft gets confirm's 409.
      const threshold = (await approvals.settings(sandbox)).campaignApprovalAbove;
      if (campaign.status === 'draft' && threshold !== null) {
        const { recipients } = await campaigns.estimate(sandbox, id);
        if (await approvals.campaignNeedsApproval(sandbox, recipients))
          return answerPending(
            reply,
            await approvals.request(sandbox, actor, {
              kind: 'campaign.confirm',
              resourceType: 'campaign',
              resourceId: id,
              resourceName: campaign.name,
              change: { ...request.body },
              expectedVersion,
            }),
          );
      }
      return withEtag(
        reply,
        await campaigns.confirm(sandbox, actor, id, request.body, expectedVersion),
      );
    },
  );
  transition(
    'pause',
    'Pause a running campaign',
    'Its queued messages are held (status paused) until resumed.',
    (s, a, id, v) => campaigns.pause(s, a, id, v),
  );
  transition(
    'resume',
    'Resume a paused campaign',
    'Its held messages are queued again, paced from now.',
    (s, a, id, v) => campaigns.resume(s, a, id, v),
  );
  transition(
    'cancel',
    'Cancel a campaign',
    'Its queued and held messages are cancelled: none of them is sent.',
    (s, a, id, v) => campaigns.cancel(s, a, id, v),
  );

  api.get(
    '/v1/campaigns/:id/results',
    {
      schema: {
        tags,
        summary: 'Progress and results: messages by status, opt-outs, replies',
        params: IdParams,
        response: { 200: ResultsResponse, ...errorResponses(401, 404) },
      },
    },
    (request) => campaigns.results(request.sandbox, request.params.id),
  );

  api.get(
    '/v1/campaigns/:id/recipients/export',
    {
      schema: {
        tags,
        summary: 'Export the recipients and their outcomes as CSV',
        description:
          'Streamed (RFC 4180, CRLF lines, a header row) in recipient order, 1,000 at a time as the client takes them; cells a spreadsheet would run as a formula get a leading apostrophe.',
        params: IdParams,
        response: {
          200: Type.Unknown({
            description: 'text/csv: seq,profileId,phone,state,reason,messageId,status,…',
          }),
          ...errorResponses(401, 404),
        },
      },
    },
    async (request, reply) => {
      const csv = await campaigns.exportRecipients(request.sandbox, request.params.id);
      reply.header('content-type', 'text/csv; charset=utf-8');
      reply.header(
        'content-disposition',
        `attachment; filename="campaign-${request.params.id}-recipients.csv"`,
      );
      return reply.send(Readable.from(csv, { objectMode: false }));
    },
  );
}
