import type { Selectable } from 'kysely';
import type { Executor } from '../db/executor.js';
import { decodeCursor, toPage, type Page } from '../db/pagination.js';
import { prepare } from '../db/prepared.js';
import type { InboundMessagesTable } from '../db/schema.js';
import type { InboundCategory } from './classify.js';
import type { InboundAction, InboundMessage, InboundPart } from './inbound.js';

type Row = Selectable<InboundMessagesTable>;

export function inboundFromRow(row: Row, replyMessageId: string | null = null): InboundMessage {
  return {
    id: row.id,
    providerMessageId: row.provider_message_id,
    sandbox: row.sandbox,
    credentialId: row.credential_id,
    from: row.from_number,
    to: row.to_number,
    channel: row.channel === 'mms' ? 'mms' : 'sms',
    text: row.text,
    parts: parseParts(row.parts),
    category: row.category as InboundCategory | null,
    action: row.action as InboundAction | null,
    replyMessageId,
    receivedAt: row.received_at,
  };
}

/** The stored parts of an MMS (`[]` for a text); a row Tern did not write gives none. */
function parseParts(json: string): InboundPart[] {
  try {
    const parts: unknown = JSON.parse(json);
    return Array.isArray(parts) ? (parts as InboundPart[]) : [];
  } catch {
    return [];
  }
}

/**
 * Stores an inbound text unless its provider message id was seen before by the same webhook
 * credential (Infobip retries webhooks to the same URL; another credential's ids never count,
 * so no one can pre-claim a tenant's id): true when stored, false for a replay. A concurrent replay on PostgreSQL waits for
 * the first insert's transaction, then does nothing.
 */
export async function insertInbound(db: Executor, row: Row): Promise<boolean> {
  const inserted = await insertInboundQuery(db, row);
  return inserted.length > 0;
}

// The webhook's hot path: compiled once (see db/prepared.ts).
const insertInboundQuery = prepare<Row>((db, param) =>
  db
    .insertInto('inbound_messages')
    .values({
      id: param('id'),
      provider_message_id: param('provider_message_id'),
      sandbox: param('sandbox'),
      credential_id: param('credential_id'),
      from_number: param('from_number'),
      to_number: param('to_number'),
      text: param('text'),
      category: param('category'),
      action: param('action'),
      received_at: param('received_at'),
      raw: param('raw'),
      webhook_credential_id: param('webhook_credential_id'),
      channel: param('channel'),
      parts: param('parts'),
    })
    .onConflict((oc) => oc.columns(['webhook_credential_id', 'provider_message_id']).doNothing())
    .returning('id'),
);

export async function setInboundOutcome(
  db: Executor,
  id: string,
  category: InboundCategory | null,
  action: InboundAction,
): Promise<void> {
  await setInboundOutcomeQuery(db, { id, category, action });
}

const setInboundOutcomeQuery = prepare<{
  id: string;
  category: InboundCategory | null;
  action: InboundAction;
}>((db, param) =>
  db
    .updateTable('inbound_messages')
    .set({ category: param('category'), action: param('action') })
    .where('id', '=', param('id')),
);

export interface InboundQuery {
  from?: string;
  to?: string;
  category?: InboundCategory;
  since?: string;
  until?: string;
  cursor?: string;
  limit: number;
}

/** The inbound log of a sandbox, newest first. */
export async function listInbound(
  db: Executor,
  sandbox: string,
  query: InboundQuery,
): Promise<Page<InboundMessage>> {
  const before = decodeCursor(query.cursor);
  let select = db.selectFrom('inbound_messages').selectAll().where('sandbox', '=', sandbox);
  if (query.from) select = select.where('from_number', '=', query.from);
  if (query.to) select = select.where('to_number', '=', query.to);
  if (query.category) select = select.where('category', '=', query.category);
  if (query.since) select = select.where('received_at', '>=', query.since);
  if (query.until) select = select.where('received_at', '<', query.until);
  if (before) select = select.where('id', '<', before);
  const rows = await select
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
  const replies = await replyIds(
    db,
    sandbox,
    rows.map((r) => r.id),
  );
  return toPage(rows, query.limit, (row) => inboundFromRow(row, replies.get(row.id) ?? null));
}

/** The reply queued for each inbound text (by inbound id). */
async function replyIds(
  db: Executor,
  sandbox: string,
  inboundIds: string[],
): Promise<Map<string, string>> {
  if (inboundIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('messages')
    .select(['id', 'inbound_message_id'])
    .where('sandbox', '=', sandbox)
    .where('inbound_message_id', 'in', inboundIds)
    .execute();
  return new Map(rows.map((r) => [r.inbound_message_id ?? '', r.id]));
}

export async function findInbound(
  db: Executor,
  sandbox: string,
  id: string,
): Promise<InboundMessage | undefined> {
  const row = await db
    .selectFrom('inbound_messages')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  const replies = await replyIds(db, sandbox, [row.id]);
  return inboundFromRow(row, replies.get(row.id) ?? null);
}
