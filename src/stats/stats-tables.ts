/** One counter row of migration 0014: written only by its triggers (and {@link rebuildStats}). */
interface MessageCounter {
  sandbox: string;
  /** 'YYYY-MM-DDTHH' (hourly) or 'YYYY-MM-DD' (daily), UTC. */
  period: string;
  /** '' for messages without a channel configuration. */
  channel_configuration_id: string;
  /** `status:<current status>` (by created period) or `event:<sent|final status>` (by its period). */
  metric: string;
  shard: number;
  count: number;
}

interface ConsentCounter {
  sandbox: string;
  period: string;
  change: 'opt_in' | 'opt_out';
  source: string;
  shard: number;
  count: number;
}

/**
 * The rollup tables, added to a query with `kysely.withTables<StatsTables>()`: nothing but the
 * statistics reads them, so they stay out of the shared schema.
 */
export type StatsTables = {
  message_stats_hourly: MessageCounter;
  message_stats_daily: MessageCounter;
  consent_stats_hourly: ConsentCounter;
  consent_stats_daily: ConsentCounter;
};
