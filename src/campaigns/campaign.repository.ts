import type { Selectable, Updateable } from 'kysely';
import type { Audience } from '../audiences/audience.js';
import type { Executor } from '../db/executor.js';
import { decodeCursor, toPage, type Page } from '../db/pagination.js';
import type { CampaignsTable } from '../db/schema.js';
import type { AutoPause, Campaign, CampaignStatus } from './campaign.js';

export type CampaignRow = Selectable<CampaignsTable>;

export function campaignFromRow(row: CampaignRow): Campaign {
  const rate = Number(row.pacing_rate);
  return {
    id: row.id,
    sandbox: row.sandbox,
    name: row.name,
    status: row.status as CampaignStatus,
    statusReason: row.status_reason,
    audience: JSON.parse(row.audience) as Audience,
    templateId: row.template_id,
    templateVersion: Number(row.template_version),
    channelConfigurationId: row.channel_configuration_id,
    sendAt: row.send_at,
    pacing: row.pacing_unit === 'minute' ? { perMinute: rate } : { perSecond: rate },
    seedPhones: JSON.parse(row.seed_phones) as string[],
    autoPause: JSON.parse(row.auto_pause) as AutoPause,
    progress: {
      recipients: Number(row.recipients),
      snapshotDone: Number(row.snapshot_done) === 1,
      fannedOut: Number(row.fanout_seq),
      queued: Number(row.queued),
      excluded: Number(row.excluded),
      renderFailed: Number(row.render_failed),
    },
    confirmedAt: row.confirmed_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: Number(row.version),
  };
}

/** The stored form of a campaign's settings. */
export function settingsColumns(
  c: Pick<
    Campaign,
    | 'name'
    | 'audience'
    | 'templateId'
    | 'templateVersion'
    | 'channelConfigurationId'
    | 'sendAt'
    | 'pacing'
    | 'seedPhones'
    | 'autoPause'
  >,
) {
  return {
    name: c.name,
    audience: JSON.stringify(c.audience),
    template_id: c.templateId,
    template_version: c.templateVersion,
    channel_configuration_id: c.channelConfigurationId,
    send_at: c.sendAt,
    pacing_unit: 'perMinute' in c.pacing ? 'minute' : 'second',
    pacing_rate: 'perMinute' in c.pacing ? c.pacing.perMinute : c.pacing.perSecond,
    seed_phones: JSON.stringify(c.seedPhones),
    auto_pause: JSON.stringify(c.autoPause),
  };
}

export async function insertCampaign(db: Executor, c: Campaign): Promise<void> {
  await db
    .insertInto('campaigns')
    .values({
      sandbox: c.sandbox,
      id: c.id,
      status: c.status,
      status_reason: null,
      ...settingsColumns(c),
      snapshot_cursor: null,
      snapshot_done: 0,
      recipients: 0,
      fanout_seq: 0,
      queued: 0,
      excluded: 0,
      render_failed: 0,
      pace_origin: null,
      pace_index: 0,
      confirmed_at: null,
      started_at: null,
      finished_at: null,
      created_at: c.createdAt,
      updated_at: c.updatedAt,
      version: c.version,
    })
    .execute();
}

export function findCampaignRow(
  db: Executor,
  sandbox: string,
  id: string,
): Promise<CampaignRow | undefined> {
  return db
    .selectFrom('campaigns')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('id', '=', id)
    .executeTakeFirst();
}

/**
 * Applies `values` only while the campaign is at `version` and in one of `from`; bumps the
 * version. False when it moved meanwhile (the caller answers 409/412).
 */
export async function updateCampaign(
  db: Executor,
  sandbox: string,
  id: string,
  guard: { version?: number; from: readonly CampaignStatus[] },
  values: Updateable<CampaignsTable>,
): Promise<CampaignRow | undefined> {
  let update = db
    .updateTable('campaigns')
    .set((eb) => ({ ...values, version: eb('version', '+', 1) }))
    .where('sandbox', '=', sandbox)
    .where('id', '=', id)
    .where('status', 'in', guard.from);
  if (guard.version !== undefined) update = update.where('version', '=', guard.version);
  return update.returningAll().executeTakeFirst();
}

/** A sandbox's campaigns, newest first, optionally of one status. */
export async function listCampaigns(
  db: Executor,
  sandbox: string,
  query: { status?: CampaignStatus; cursor?: string; limit: number },
): Promise<Page<Campaign>> {
  let select = db.selectFrom('campaigns').selectAll().where('sandbox', '=', sandbox);
  if (query.status) select = select.where('status', '=', query.status);
  const before = decodeCursor(query.cursor);
  if (before) select = select.where('id', '<', before);
  const rows = await select
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
  return toPage(rows, query.limit, campaignFromRow);
}

/**
 * Campaigns the runner has work for, in any sandbox: scheduled and due, running, or cancelled
 * since `cancelledSince` (a message the worker held in a provider call that outlived the
 * cancel's sweep is cancelled then).
 */
export function activeCampaigns(
  db: Executor,
  now: string,
  cancelledSince: string,
  limit: number,
): Promise<CampaignRow[]> {
  return db
    .selectFrom('campaigns')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb('status', '=', 'running'),
        eb.and([eb('status', '=', 'scheduled'), eb('send_at', '<=', now)]),
        eb.and([eb('status', '=', 'cancelled'), eb('finished_at', '>=', cancelledSince)]),
      ]),
    )
    .orderBy('id')
    .limit(limit)
    .execute();
}
