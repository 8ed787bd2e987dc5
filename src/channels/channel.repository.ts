import type { Selectable } from 'kysely';
import type { Executor } from '../db/executor.js';
import { decodeCursor, toPage, type Page } from '../db/pagination.js';
import type { ChannelConfigurationsTable } from '../db/schema.js';
import { nameContains } from '../db/search.js';
import type { Channel, ChannelConfiguration, MessageType } from './channel.js';

function fromRow(row: Selectable<ChannelConfigurationsTable>): ChannelConfiguration {
  return {
    id: row.id,
    sandbox: row.sandbox,
    name: row.name,
    description: row.description,
    channel: row.channel as Channel,
    messageType: row.message_type as MessageType,
    credentialId: row.credential_id,
    sender: row.sender,
    marketingFooter: row.marketing_footer,
    dltContentTemplateId: row.dlt_content_template_id,
    dltTelemarketerId: row.dlt_telemarketer_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

function toRow(c: ChannelConfiguration) {
  return {
    sandbox: c.sandbox,
    id: c.id,
    name: c.name,
    description: c.description,
    channel: c.channel,
    message_type: c.messageType,
    credential_id: c.credentialId,
    sender: c.sender,
    marketing_footer: c.marketingFooter,
    dlt_content_template_id: c.dltContentTemplateId,
    dlt_telemarketer_id: c.dltTelemarketerId,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    version: c.version,
  };
}

export async function findChannel(
  db: Executor,
  sandbox: string,
  id: string,
): Promise<ChannelConfiguration | undefined> {
  const row = await db
    .selectFrom('channel_configurations')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export async function listChannels(
  db: Executor,
  sandbox: string,
  query: { name?: string; credentialId?: string; cursor?: string; limit: number },
): Promise<Page<ChannelConfiguration>> {
  const after = decodeCursor(query.cursor);
  let select = db.selectFrom('channel_configurations').selectAll().where('sandbox', '=', sandbox);
  if (query.name) select = select.where(nameContains(query.name));
  if (query.credentialId) select = select.where('credential_id', '=', query.credentialId);
  if (after) select = select.where('id', '>', after);
  const rows = await select
    .orderBy('id')
    .limit(query.limit + 1)
    .execute();
  return toPage(rows, query.limit, fromRow);
}

export async function insertChannel(db: Executor, channel: ChannelConfiguration): Promise<void> {
  await db.insertInto('channel_configurations').values(toRow(channel)).execute();
}

export async function updateChannel(
  db: Executor,
  channel: ChannelConfiguration,
  expectedVersion: number,
): Promise<boolean> {
  const { sandbox: _s, id: _i, created_at: _c, ...changes } = toRow(channel);
  const result = await db
    .updateTable('channel_configurations')
    .set(changes)
    .where('sandbox', '=', channel.sandbox)
    .where('id', '=', channel.id)
    .where('version', '=', expectedVersion)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteChannel(db: Executor, sandbox: string, id: string): Promise<void> {
  await db
    .deleteFrom('channel_configurations')
    .where('sandbox', '=', sandbox)
    .where('id', '=', id)
    .execute();
}
