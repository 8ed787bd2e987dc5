import { Type } from '@sinclair/typebox';
import { FLOW_LIMITS } from '../../flows/definition.js';
import { FLOW_NAME_MAX, type FlowService } from '../../flows/flow.service.js';
import type { App } from '../app-type.js';
import { ifMatchVersion, setEtag } from '../etag.js';
import { errorResponses, IdParams, PageLimit, PageOf, pageLimit } from '../schemas.js';

const Status = Type.Union([Type.Literal('draft'), Type.Literal('active'), Type.Literal('paused')]);
const Definition = Type.Unknown({
  description:
    'A FlowDefinition: { trigger, channelConfigurationId, settings?, steps }. Checked in full by the service (every bad field named with its path and the allowed values); POST /v1/flows/validate checks one without saving.',
});
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const Name = Type.String({
  maxLength: FLOW_NAME_MAX * 2,
  description: `1 to ${FLOW_NAME_MAX} characters, unique in the sandbox`,
});
/** `POST /v1/flows` (also the CLI's `tern flows create`). */
export const FlowCreateBody = Type.Object(
  { name: Name, definition: Definition, status: Type.Optional(Status) },
  { additionalProperties: false },
);
/** `PATCH /v1/flows/{id}`: any of the fields. */
export const FlowUpdateBody = Type.Object(
  {
    name: Type.Optional(Name),
    definition: Type.Optional(Definition),
    status: Type.Optional(Status),
  },
  { additionalProperties: false },
);
export const FlowValidateBody = Type.Object(
  { definition: Definition },
  { additionalProperties: false },
);

const FlowResponse = Type.Object(
  {
    id: Type.String(),
    sandbox: Type.String(),
    name: Type.String(),
    status: Type.String(),
    version: Type.Integer(),
    definition: Definition,
    activeRuns: Type.Integer(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: 'Flow', title: 'Flow' },
);
const FlowVersionResponse = Type.Object(
  {
    flowId: Type.String(),
    version: Type.Integer(),
    definition: Definition,
    createdAt: Type.String(),
  },
  { $id: 'FlowVersion', title: 'Flow version' },
);
const Waiting = Type.Union([
  Type.Object({ stepId: Type.String(), untilReply: Type.Boolean(), dueAt: Type.String() }),
  Type.Null(),
]);
const runFields = {
  id: Type.String(),
  flowId: Type.String(),
  flowName: Nullable(Type.String()),
  flowVersion: Type.Integer(),
  phone: Type.String(),
  profileId: Nullable(Type.String()),
  status: Type.String(),
  position: Nullable(Type.String()),
  waiting: Waiting,
  dueAt: Nullable(Type.String()),
  sends: Type.Integer(),
  endReason: Nullable(Type.String()),
  startedAt: Type.String(),
  updatedAt: Type.String(),
  endedAt: Nullable(Type.String()),
};
const FlowRunResponse = Type.Object(runFields, { $id: 'FlowRun', title: 'Flow run' });
const FlowRunDetailResponse = Type.Object(
  {
    ...runFields,
    timeline: Type.Array(
      Type.Object({
        at: Type.String(),
        stepId: Nullable(Type.String()),
        kind: Type.String(),
        detail: Type.String(),
        messageId: Nullable(Type.String()),
      }),
    ),
  },
  { $id: 'FlowRunDetail', title: 'Flow run with its timeline' },
);

const Problems = Type.Array(
  Type.Object(
    { path: Type.Optional(Type.String()), message: Type.String() },
    { additionalProperties: true },
  ),
);

const Cursor = Type.Optional(
  Type.String({ maxLength: 200, description: 'nextCursor of the previous page' }),
);
const FlowsQuery = Type.Object(
  {
    cursor: Cursor,
    limit: Type.Optional(PageLimit),
    name: Type.Optional(
      Type.String({ maxLength: 100, description: 'Only flows whose name contains this' }),
    ),
    status: Type.Optional(Status),
  },
  { additionalProperties: false },
);
const VersionsQuery = Type.Object(
  { cursor: Type.Optional(Type.String({ maxLength: 20 })), limit: Type.Optional(PageLimit) },
  { additionalProperties: false },
);
const RunsQuery = Type.Object(
  {
    cursor: Cursor,
    limit: Type.Optional(PageLimit),
    flowId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    phone: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('ended')])),
  },
  { additionalProperties: false },
);

const ScriptLine = Type.Object(
  {
    atSeconds: Type.Number({ minimum: 0, maximum: 400 * 86_400 }),
    text: Type.String({ maxLength: 1600 }),
  },
  { additionalProperties: false },
);
/** `POST /v1/flows/{id}/simulate`: the script, and optionally an unsaved definition. */
export const FlowSimulateBody = Type.Object(
  {
    script: Type.Array(ScriptLine, { maxItems: 200 }),
    start: Type.Optional(Type.Boolean()),
    untilSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 400 * 86_400 })),
    consent: Type.Optional(
      Type.Union([
        Type.Literal('unknown'),
        Type.Literal('subscribed'),
        Type.Literal('unsubscribed'),
        Type.Literal('pending'),
      ]),
    ),
    attributes: Type.Optional(
      Type.Record(
        Type.String({ maxLength: 64 }),
        Type.Union([Type.String({ maxLength: 500 }), Type.Number(), Type.Boolean(), Type.Null()]),
        { maxProperties: 50 },
      ),
    ),
    /** A number with a profile in the sandbox: its consent and attributes (the fields above override). */
    phone: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    definition: Type.Optional(Definition),
  },
  { additionalProperties: false },
);
const SimulationResponse = Type.Object(
  {
    messages: Type.Array(
      Type.Object({
        atSeconds: Type.Number(),
        at: Type.String(),
        stepId: Nullable(Type.String()),
        kind: Type.String(),
        text: Nullable(Type.String()),
        status: Type.String(),
        reason: Nullable(Type.String()),
      }),
    ),
    timeline: Type.Array(
      Type.Object({
        atSeconds: Type.Number(),
        at: Type.String(),
        stepId: Nullable(Type.String()),
        kind: Type.String(),
        detail: Type.String(),
      }),
    ),
    runs: Type.Array(
      Type.Object({
        startedAtSeconds: Type.Number(),
        endedAtSeconds: Type.Union([Type.Number(), Type.Null()]),
        endReason: Nullable(Type.String()),
      }),
    ),
    endedAtSeconds: Type.Number(),
  },
  { $id: 'FlowSimulation', title: 'A simulated conversation with a flow' },
);

const FlowEventBody = Type.Object(
  {
    event: Type.String({ minLength: 1, maxLength: FLOW_LIMITS.eventNameLength }),
    phone: Type.String({ minLength: 1, maxLength: 50 }),
    data: Type.Optional(
      Type.Record(
        Type.String({ maxLength: 64 }),
        Type.Union([Type.String({ maxLength: 500 }), Type.Number(), Type.Boolean(), Type.Null()]),
        { maxProperties: 20 },
      ),
    ),
  },
  { additionalProperties: false },
);

const tags = ['Flows'];

/** `/api/v1/flows`, `/api/v1/flow-runs`, `/api/v1/flow-events`: automations and their runs. */
export function flowRoutes(api: App, flows: FlowService) {
  api.addSchema(FlowResponse);
  api.addSchema(FlowVersionResponse);
  api.addSchema(FlowRunResponse);
  api.addSchema(FlowRunDetailResponse);
  api.addSchema(SimulationResponse);

  api.get(
    '/v1/flows',
    {
      schema: {
        tags,
        summary: 'List flows',
        description: 'By name; `status` keeps one status.',
        querystring: FlowsQuery,
        response: { 200: PageOf(Type.Ref(FlowResponse)), ...errorResponses(400, 401) },
      },
    },
    (request) =>
      flows.list(request.sandbox, {
        status: request.query.status,
        name: request.query.name,
        cursor: request.query.cursor,
        limit: pageLimit(request.query.limit),
      }),
  );

  api.post(
    '/v1/flows',
    {
      schema: {
        tags,
        summary: 'Create a flow',
        description:
          'Checked before it is saved: the structure (every bad field named), then the templates, channel configuration, credential keyword, segment and lists it names. Status defaults to draft; only an active flow starts runs.',
        body: FlowCreateBody,
        response: { 201: Type.Ref(FlowResponse), ...errorResponses(400, 401, 409) },
      },
    },
    async (request, reply) => {
      const flow = await flows.create(request.sandbox, request.actor, request.body);
      setEtag(reply, flow.version);
      reply.header('location', `/api/v1/flows/${flow.id}`);
      return reply.status(201).send(flow);
    },
  );

  api.post(
    '/v1/flows/validate',
    {
      schema: {
        tags,
        summary: 'Check a flow definition without saving it',
        body: FlowValidateBody,
        response: {
          200: Type.Object({ ok: Type.Boolean(), problems: Problems }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => {
      const result = await flows.validate(request.sandbox, request.body.definition);
      return result.ok ? { ok: true, problems: [] } : { ok: false, problems: result.problems };
    },
  );

  api.get(
    '/v1/flows/:id',
    {
      schema: {
        tags,
        summary: 'Get a flow',
        params: IdParams,
        response: { 200: Type.Ref(FlowResponse), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const flow = await flows.get(request.sandbox, request.params.id);
      setEtag(reply, flow.version);
      return flow;
    },
  );

  api.patch(
    '/v1/flows/:id',
    {
      schema: {
        tags,
        summary: 'Edit a flow (a new version)',
        description:
          'Send If-Match with the ETag you read: a stale one gets 412. Any change makes version + 1; runs keep the version they started on. Pausing stops its runs from advancing until it is active again.',
        params: IdParams,
        body: FlowUpdateBody,
        response: { 200: Type.Ref(FlowResponse), ...errorResponses(400, 401, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      const flow = await flows.update(
        request.sandbox,
        request.actor,
        request.params.id,
        request.body,
        ifMatchVersion(request),
      );
      setEtag(reply, flow.version);
      return flow;
    },
  );

  api.delete(
    '/v1/flows/:id',
    {
      schema: {
        tags,
        summary: 'Delete a flow',
        description: 'Its active runs end (flow_deleted); their timelines stay.',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      await flows.delete(request.sandbox, request.actor, request.params.id);
      return reply.status(204).send(null);
    },
  );

  api.get(
    '/v1/flows/:id/versions',
    {
      schema: {
        tags,
        summary: "List a flow's versions, newest first",
        params: IdParams,
        querystring: VersionsQuery,
        response: { 200: PageOf(Type.Ref(FlowVersionResponse)), ...errorResponses(400, 401, 404) },
      },
    },
    (request) =>
      flows.versions(request.sandbox, request.params.id, {
        cursor: request.query.cursor,
        limit: pageLimit(request.query.limit),
      }),
  );

  api.post(
    '/v1/flows/:id/simulate',
    {
      schema: {
        tags,
        summary: 'Simulate a flow against a scripted conversation',
        description:
          'Runs the flow (or an unsaved `definition`) on a manual clock against the script ("at 0 s the person texts JOIN, at 30 s YES"), with real rendering, keyword rules, consent and send-time policy, and returns the messages that would go out. Sends nothing, changes nothing.',
        params: IdParams,
        body: FlowSimulateBody,
        response: { 200: Type.Ref(SimulationResponse), ...errorResponses(400, 401, 404) },
      },
    },
    (request) => flows.simulate(request.sandbox, request.params.id, request.body),
  );

  api.get(
    '/v1/flow-runs',
    {
      schema: {
        tags,
        summary: 'List flow runs, newest first',
        querystring: RunsQuery,
        response: { 200: PageOf(Type.Ref(FlowRunResponse)), ...errorResponses(400, 401) },
      },
    },
    (request) =>
      flows.runs(request.sandbox, {
        flowId: request.query.flowId,
        phone: request.query.phone,
        status: request.query.status,
        cursor: request.query.cursor,
        limit: pageLimit(request.query.limit),
      }),
  );

  api.get(
    '/v1/flow-runs/:id',
    {
      schema: {
        tags,
        summary: 'Get a flow run with its timeline',
        params: IdParams,
        response: { 200: Type.Ref(FlowRunDetailResponse), ...errorResponses(401, 404) },
      },
    },
    (request) => flows.run(request.sandbox, request.params.id),
  );

  api.post(
    '/v1/flow-runs/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel a flow run',
        description: 'Ends an active run (cancelled); 409 when it has ended already.',
        params: IdParams,
        response: { 200: Type.Ref(FlowRunDetailResponse), ...errorResponses(401, 404, 409) },
      },
    },
    (request) => flows.cancelRun(request.sandbox, request.actor, request.params.id),
  );

  api.post(
    '/v1/flow-events',
    {
      schema: {
        tags,
        summary: 'Send an event that starts flows',
        description:
          'Starts a run for `phone` of every active flow whose trigger is this api_event; a flow a person is already in (one run per person) is skipped with the reason.',
        body: FlowEventBody,
        response: {
          202: Type.Object({
            runs: Type.Array(Type.Object({ flowId: Type.String(), runId: Type.String() })),
            skipped: Type.Array(Type.Object({ flowId: Type.String(), reason: Type.String() })),
          }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request, reply) => {
      const result = await flows.flowEvent(request.sandbox, request.body);
      return reply.status(202).send(result);
    },
  );
}
