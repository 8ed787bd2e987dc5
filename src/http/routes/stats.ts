import { Type } from '@sinclair/typebox';
import {
  CURRENT_STATUSES,
  STATS_EVENTS,
  STATS_RANGES,
  type StatsService,
} from '../../stats/stats.service.js';
import type { App } from '../app-type.js';
import { errorResponses } from '../schemas.js';

const StatsQuery = Type.Object(
  {
    range: Type.Optional(
      Type.Union(
        STATS_RANGES.map((r) => Type.Literal(r)),
        { description: '24h: hourly buckets; 7d and 30d: daily (UTC). Default 24h.' },
      ),
    ),
    channelConfigurationId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'Only messages of this channel configuration (consent stays sandbox-wide)',
      }),
    ),
  },
  { additionalProperties: false },
);

const Counts = <K extends string>(keys: readonly K[], extra: string[] = []) =>
  Type.Object(
    Object.fromEntries([...keys, ...extra].map((k) => [k, Type.Integer({ minimum: 0 })])),
  );

const StatsResponse = Type.Object(
  {
    range: Type.Union(STATS_RANGES.map((r) => Type.Literal(r))),
    bucket: Type.Union([Type.Literal('hour'), Type.Literal('day')]),
    from: Type.String({ format: 'date-time' }),
    to: Type.String({ format: 'date-time' }),
    channelConfigurationId: Type.Union([Type.String(), Type.Null()]),
    messages: Counts(CURRENT_STATUSES, ['total']),
    events: Counts(STATS_EVENTS),
    queue: Counts(['queued', 'retrying']),
    consent: Counts(['optIns', 'optOuts']),
    series: Type.Array(
      Type.Object({
        start: Type.String({ format: 'date-time' }),
        created: Type.Integer(),
        sent: Type.Integer(),
        delivered: Type.Integer(),
        failed: Type.Integer(),
        suppressed: Type.Integer(),
        optIns: Type.Integer(),
        optOuts: Type.Integer(),
      }),
    ),
  },
  { $id: 'Stats' },
);

/** Sending and consent statistics of the sandbox, from rollups (exact at any volume). */
export function statsRoutes(api: App, stats: StatsService): void {
  api.addSchema(StatsResponse);
  api.get(
    '/v1/stats',
    {
      schema: {
        tags: ['stats'],
        summary: 'Message and consent statistics',
        description:
          '`messages`: messages created in the range by current status (`queued` includes those ' +
          'in a provider call, `retrying` those waiting after a failed provider call). `events`: ' +
          'what happened in the range (`sent`: handed to the provider). `queue`: what waits now, ' +
          'whenever created. `consent`: opt-ins and opt-outs from every source. `series`: one ' +
          'bucket per hour (24h) or UTC day (7d, 30d), oldest first, ending with the current one.',
        querystring: StatsQuery,
        response: { 200: Type.Ref(StatsResponse), ...errorResponses(400, 401) },
      },
    },
    (request) =>
      stats.stats(request.sandbox, {
        range: request.query.range ?? '24h',
        ...(request.query.channelConfigurationId !== undefined
          ? { channelConfigurationId: request.query.channelConfigurationId }
          : {}),
      }),
  );
}
