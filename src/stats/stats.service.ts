import type { Clock } from '../clock.js';
import { MESSAGE_STATUSES, type MessageStatus } from '../messages/status.js';
import type { Db } from '../db/database.js';
import type { StatsTables } from './stats-tables.js';

/** The periods the statistics cover: 24 hourly buckets, or 7 / 30 daily (UTC) buckets. */
export const STATS_RANGES = ['24h', '7d', '30d'] as const;
export type StatsRange = (typeof STATS_RANGES)[number];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const RANGES: Record<StatsRange, { bucket: 'hour' | 'day'; buckets: number }> = {
  '24h': { bucket: 'hour', buckets: 24 },
  '7d': { bucket: 'day', buckets: 7 },
  '30d': { bucket: 'day', buckets: 30 },
};

/** Messages created in the range, by their current status (`queued` includes in a provider call). */
export type CurrentStatus = Exclude<MessageStatus, 'sending'> | 'retrying';
export const CURRENT_STATUSES: readonly CurrentStatus[] = [
  ...MESSAGE_STATUSES.filter((s): s is Exclude<MessageStatus, 'sending'> => s !== 'sending'),
  'retrying',
];

/** What happened in the range: handed to the provider (`sent`), and each final outcome. */
export const STATS_EVENTS = [
  'sent',
  'delivered',
  'undeliverable',
  'expired',
  'rejected',
  'failed',
] as const;
export type StatsEvent = (typeof STATS_EVENTS)[number];

/** Failure outcomes, summed as `failed` in the series. */
const FAILURES: readonly StatsEvent[] = ['undeliverable', 'expired', 'rejected', 'failed'];

export interface StatsBucket {
  /** ISO-8601 start of the hour or UTC day. */
  start: string;
  /** Messages created in the bucket. */
  created: number;
  /** Handed to the provider in the bucket. */
  sent: number;
  delivered: number;
  /** Became undeliverable, expired, rejected or failed in the bucket. */
  failed: number;
  /** Created suppressed (no consent) in the bucket. */
  suppressed: number;
  optIns: number;
  optOuts: number;
}

export interface Stats {
  range: StatsRange;
  bucket: 'hour' | 'day';
  /** Start of the first bucket; `to` is the end of the last (the current hour or day). */
  from: string;
  to: string;
  channelConfigurationId: string | null;
  /** Messages created in the range, by current status, and their total. */
  messages: Record<CurrentStatus, number> & { total: number };
  /** Counted in the range when they happened. */
  events: Record<StatsEvent, number>;
  /** Waiting now, whenever created: queued (or in a provider call), and queued after a failed provider call. */
  queue: { queued: number; retrying: number };
  /** Consent changes in the range, every source (keyword, API, console, import); sandbox-wide. */
  consent: { optIns: number; optOuts: number };
  series: StatsBucket[];
}

export interface StatsQuery {
  range: StatsRange;
  channelConfigurationId?: string;
}

/**
 * Statistics from the rollups that migration 0014's triggers keep (`message_stats`,
 * `consent_stats`), never from `messages`: three index range reads of at most
 * buckets × metrics × channels × shards rows, whatever the number of messages.
 */
export class StatsService {
  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  async stats(sandbox: string, query: StatsQuery): Promise<Stats> {
    const { bucket, buckets } = RANGES[query.range];
    const now = this.deps.clock.now().getTime();
    const step = bucket === 'hour' ? HOUR_MS : DAY_MS;
    const end = Math.floor(now / step) * step + step;
    const start = end - buckets * step;
    // Counter periods are ISO times cut to 'YYYY-MM-DDTHH' or 'YYYY-MM-DD', so they compare as text.
    const cutAt = bucket === 'hour' ? 13 : 10;
    const from = new Date(start).toISOString().slice(0, cutAt);
    const to = new Date(end).toISOString().slice(0, cutAt);
    const messageTable = bucket === 'hour' ? 'message_stats_hourly' : 'message_stats_daily';
    const consentTable = bucket === 'hour' ? 'consent_stats_hourly' : 'consent_stats_daily';
    const db = this.deps.db.kysely.withTables<StatsTables>();
    const channel = query.channelConfigurationId;

    let counters = db
      .selectFrom(messageTable)
      .select((eb) => ['period', 'metric', eb.fn.sum<number | string>('count').as('count')])
      .where('sandbox', '=', sandbox)
      .where('period', '>=', from)
      .where('period', '<', to)
      .groupBy(['period', 'metric']);
    // Daily rows hold every message the hourly ones do: the smaller table, over every period.
    let waiting = db
      .selectFrom('message_stats_daily')
      .select((eb) => ['metric', eb.fn.sum<number | string>('count').as('count')])
      .where('sandbox', '=', sandbox)
      .where('metric', 'in', ['status:queued', 'status:retrying'])
      .groupBy('metric');
    if (channel !== undefined) {
      counters = counters.where('channel_configuration_id', '=', channel);
      waiting = waiting.where('channel_configuration_id', '=', channel);
    }
    const consent = db
      .selectFrom(consentTable)
      .select((eb) => ['period', 'change', eb.fn.sum<number | string>('count').as('count')])
      .where('sandbox', '=', sandbox)
      .where('period', '>=', from)
      .where('period', '<', to)
      .groupBy(['period', 'change']);
    const [counterRows, waitingRows, consentRows] = await Promise.all([
      counters.execute(),
      waiting.execute(),
      consent.execute(),
    ]);

    const series = Array.from({ length: buckets }, (_, i): StatsBucket => {
      return {
        start: new Date(start + i * step).toISOString(),
        created: 0,
        sent: 0,
        delivered: 0,
        failed: 0,
        suppressed: 0,
        optIns: 0,
        optOuts: 0,
      };
    });
    const slot = (key: string) => {
      const at = Date.parse(key.length === 13 ? `${key}:00:00.000Z` : `${key}T00:00:00.000Z`);
      return series[Math.floor((at - start) / step)];
    };
    const messages = { total: 0, ...zeros(CURRENT_STATUSES) };
    const events = zeros(STATS_EVENTS);
    for (const row of counterRows) {
      const count = Number(row.count);
      const b = slot(row.period);
      const [kind, name] = row.metric.split(':') as [string, string];
      if (kind === 'status' && isOneOf(CURRENT_STATUSES, name)) {
        messages[name] += count;
        messages.total += count;
        if (b) {
          b.created += count;
          if (name === 'suppressed') b.suppressed += count;
        }
      } else if (kind === 'event' && isOneOf(STATS_EVENTS, name)) {
        events[name] += count;
        if (b) {
          if (name === 'sent') b.sent += count;
          else if (name === 'delivered') b.delivered += count;
          else if (FAILURES.includes(name)) b.failed += count;
        }
      }
    }
    const queue = { queued: 0, retrying: 0 };
    for (const row of waitingRows) {
      if (row.metric === 'status:queued') queue.queued = Number(row.count);
      else queue.retrying = Number(row.count);
    }
    const consentTotals = { optIns: 0, optOuts: 0 };
    for (const row of consentRows) {
      const count = Number(row.count);
      const key = row.change === 'opt_in' ? 'optIns' : 'optOuts';
      consentTotals[key] += count;
      const b = slot(row.period);
      if (b) b[key] += count;
    }
    return {
      range: query.range,
      bucket,
      from: new Date(start).toISOString(),
      to: new Date(end).toISOString(),
      channelConfigurationId: channel ?? null,
      messages,
      events,
      queue,
      consent: consentTotals,
      series,
    };
  }
}

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

function isOneOf<T extends string>(list: readonly T[], value: string): value is T {
  return (list as readonly string[]).includes(value);
}
