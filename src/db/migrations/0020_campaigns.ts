import { sql, type Kysely } from 'kysely';

/**
 * Campaigns: one template version sent to an audience through a marketing channel
 * configuration, paced, with guard rails.
 *
 * `campaigns` holds the definition and the fan-out's progress: `snapshot_cursor` (the last
 * profile id copied into the snapshot), `fanout_seq` (the last recipient seq turned into a
 * message) and `pace_origin` / `pace_index` (message k of the run is due at origin + k / rate).
 * Each is advanced in the transaction that does the work, so a crash resumes where the last
 * commit stopped: no duplicate, no gap.
 *
 * `campaign_recipients` is the audience snapshot, numbered by `seq` in profile id order; unique
 * per (campaign, profile), so a chunk copied twice cannot add anyone twice. `message_id` is set
 * in the transaction that queues the recipient's message.
 *
 * `messages.campaign_id` ties a message to its campaign; the index holds only campaign messages
 * (null for every other), so API sends do not maintain it. It serves pause / resume / cancel
 * (the campaign's messages by status) and the results' counts.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('campaigns')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    // JSON: {segmentId} or {listId}.
    .addColumn('audience', 'text', (c) => c.notNull())
    .addColumn('template_id', 'text', (c) => c.notNull())
    .addColumn('template_version', 'integer', (c) => c.notNull())
    .addColumn('channel_configuration_id', 'text', (c) => c.notNull())
    // Null: when confirmed.
    .addColumn('send_at', 'text')
    // 'second' or 'minute', and messages per that unit.
    .addColumn('pacing_unit', 'text', (c) => c.notNull())
    .addColumn('pacing_rate', 'integer', (c) => c.notNull())
    // JSON array of E.164 numbers for the test send.
    .addColumn('seed_phones', 'text', (c) => c.notNull())
    // JSON {optOutRate, failureRate, minSample}.
    .addColumn('auto_pause', 'text', (c) => c.notNull())
    .addColumn('status_reason', 'text')
    .addColumn('snapshot_cursor', 'text')
    .addColumn('snapshot_done', 'integer', (c) => c.notNull())
    .addColumn('recipients', 'integer', (c) => c.notNull())
    .addColumn('fanout_seq', 'integer', (c) => c.notNull())
    .addColumn('queued', 'integer', (c) => c.notNull())
    .addColumn('excluded', 'integer', (c) => c.notNull())
    .addColumn('render_failed', 'integer', (c) => c.notNull())
    .addColumn('pace_origin', 'text')
    .addColumn('pace_index', 'integer', (c) => c.notNull())
    .addColumn('confirmed_at', 'text')
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('campaigns_pk', ['sandbox', 'id'])
    .execute();
  // The runner's scan: campaigns that are scheduled, running or paused.
  await db.schema.createIndex('campaigns_status_idx').on('campaigns').columns(['status']).execute();

  await db.schema
    .createTable('campaign_recipients')
    .addColumn('sandbox', 'text', (c) => c.notNull())
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('phone', 'text', (c) => c.notNull())
    // pending (snapshotted), queued (has its message), excluded (consent), failed (render/check).
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('message_id', 'text')
    .addPrimaryKeyConstraint('campaign_recipients_pk', ['sandbox', 'campaign_id', 'seq'])
    .addUniqueConstraint('campaign_recipients_profile_unique', [
      'sandbox',
      'campaign_id',
      'profile_id',
    ])
    .execute();

  await db.schema.alterTable('messages').addColumn('campaign_id', 'text').execute();
  await db.schema
    .createIndex('messages_campaign_idx')
    .on('messages')
    .columns(['sandbox', 'campaign_id', 'status'])
    .where(sql.ref('campaign_id'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('messages_campaign_idx').execute();
  await db.schema.alterTable('messages').dropColumn('campaign_id').execute();
  await db.schema.dropTable('campaign_recipients').execute();
  await db.schema.dropTable('campaigns').execute();
}
