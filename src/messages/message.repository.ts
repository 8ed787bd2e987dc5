import { sql, type Selectable } from 'kysely';
import type { Clock } from '../clock.js';
import type { Executor } from '../db/executor.js';
import {
  decodeTimeCursor,
  encodeTimeCursor,
  toPage,
  type Page,
  type TimeMark,
} from '../db/pagination.js';
import { insertRows } from '../db/prepared.js';
import type { MessagesTable } from '../db/schema.js';
import { newId } from '../ids.js';
import type { Message, MessageEvent, MessageOrigin, MessageStatus, NewMessage } from './message.js';
import type { Channel, MessageType } from '../channels/channel.js';
import type { SmsEncoding } from './segments.js';

export type MessageRow = Selectable<MessagesTable>;

const json = (value: unknown) =>
  value === undefined || value === null ? null : JSON.stringify(value);
const parse = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

export function messageFromRow(row: MessageRow): Message {
  return {
    id: row.id,
    sandbox: row.sandbox,
    channelConfigurationId: row.channel_configuration_id,
    credentialId: row.credential_id,
    channel: row.channel as Channel,
    messageType: row.message_type as MessageType,
    sender: row.sender,
    to: row.to_number,
    text: row.text,
    media: (parse(row.media) as Message['media'] | null) ?? [],
    callbackData: row.callback_data,
    status: row.status as MessageStatus,
    statusReason: row.status_reason,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    validUntil: row.valid_until,
    sendAt: row.send_at,
    segments: row.segments,
    encoding: row.encoding as SmsEncoding,
    providerStatus: parse(row.provider_status),
    providerError: parse(row.provider_error),
    lastProviderError:
      row.last_provider_error === null
        ? null
        : { message: row.last_provider_error, at: row.last_provider_error_at ?? row.updated_at },
    providerMessageId: row.provider_message_id,
    idempotencyKey: row.idempotency_key,
    origin: row.origin as MessageOrigin,
    inboundMessageId: row.inbound_message_id,
    dltContentTemplateId: row.dlt_content_template_id,
    dltTelemarketerId: row.dlt_telemarketer_id,
    campaignId: row.campaign_id,
    scheduledFor:
      row.status === 'suppressed' && row.attempts === 0
        ? null
        : (row.held_until ?? row.send_at ?? row.created_at),
    policy:
      row.policy_rule === null
        ? null
        : {
            action: row.held_until === null ? 'dropped' : 'held',
            rule: row.policy_rule,
            source: row.policy_source ?? 'unknown',
            heldUntil: row.held_until,
          },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    acceptedAt: row.accepted_at,
    doneAt: row.done_at,
  };
}

/**
 * Enqueue: stores new messages (and their first history entry) inside the caller's
 * transaction, so a message exists exactly when the work that produced it is committed.
 */
export async function enqueueMessages(
  db: Executor,
  clock: Clock,
  messages: NewMessage[],
): Promise<MessageRow[]> {
  if (messages.length === 0) return [];
  const now = clock.now().toISOString();
  const rows: MessageRow[] = messages.map((m) => ({
    sandbox: m.sandbox,
    id: newId(),
    channel_configuration_id: m.channelConfigurationId,
    credential_id: m.credentialId,
    channel: m.channel,
    message_type: m.messageType,
    sender: m.sender,
    to_number: m.to,
    text: m.text,
    media: m.media.length > 0 ? JSON.stringify(m.media) : null,
    callback_data: m.callbackData,
    status: m.status,
    status_reason: m.statusReason,
    attempts: 0,
    next_attempt_at: m.status === 'queued' ? (m.policy?.heldUntil ?? m.sendAt ?? now) : null,
    valid_until: m.validUntil,
    uncertain: 0,
    uncertain_since: null,
    lease_owner: null,
    lease_expires_at: null,
    provider_status: null,
    provider_error: null,
    provider_message_id: null,
    last_provider_error: null,
    last_provider_error_at: null,
    segments: m.segments,
    encoding: m.encoding,
    idempotency_key: m.idempotencyKey,
    request_hash: m.requestHash,
    send_at: m.sendAt,
    origin: m.origin,
    inbound_message_id: m.inboundMessageId,
    dlt_content_template_id: m.dltContentTemplateId ?? null,
    dlt_telemarketer_id: m.dltTelemarketerId ?? null,
    created_at: now,
    updated_at: now,
    accepted_at: null,
    done_at: m.status === 'suppressed' ? now : null,
    campaign_id: m.campaignId ?? null,
    policy_rule: m.policy?.rule ?? null,
    policy_source: m.policy?.source ?? null,
    held_until: m.policy?.heldUntil ?? null,
  }));
  // SQLite allows at most 32,766 bound parameters per statement; 41 columns → 500 rows a chunk.
  for (let i = 0; i < rows.length; i += 500)
    await insertRows(db, 'messages', rows.slice(i, i + 500));
  await appendMessageEvents(
    db,
    clock,
    rows.map((r) => ({
      sandbox: r.sandbox,
      messageId: r.id,
      status: r.status as MessageStatus,
      reason: r.status_reason,
    })),
  );
  return rows;
}

export interface StatusChange {
  sandbox: string;
  messageId: string;
  status: MessageStatus;
  reason: string | null;
  report?: unknown;
}

/** Appends status-history entries. */
export async function appendMessageEvents(
  db: Executor,
  clock: Clock,
  changes: StatusChange[],
): Promise<void> {
  if (changes.length === 0) return;
  const at = clock.now().toISOString();
  const rows = changes.map((c) => ({
    sandbox: c.sandbox,
    id: newId(),
    message_id: c.messageId,
    at,
    status: c.status,
    reason: c.reason,
    report: json(c.report),
  }));
  for (let i = 0; i < rows.length; i += 2000) {
    await insertRows(db, 'message_events', rows.slice(i, i + 2000));
  }
}

export async function findMessage(
  db: Executor,
  sandbox: string,
  id: string,
): Promise<MessageRow | undefined> {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function findByIdempotencyKey(
  db: Executor,
  sandbox: string,
  key: string,
): Promise<MessageRow | undefined> {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
}

export async function messageHistory(
  db: Executor,
  sandbox: string,
  id: string,
): Promise<MessageEvent[]> {
  const rows = await db
    .selectFrom('message_events')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .where('message_id', '=', id)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    status: r.status as MessageStatus,
    reason: r.reason,
    report: parse(r.report),
  }));
}

/** The message log's filters: the list's and the CSV export's. */
export interface MessageFilters {
  status?: MessageStatus;
  to?: string;
  channelConfigurationId?: string;
  from?: string;
  until?: string;
}

export interface MessageQuery extends MessageFilters {
  cursor?: string;
  limit: number;
}

/**
 * Whether a page of the log is ordered by creation time (a `from` / `until` window) rather than
 * by id. Ids are time-ordered too, but by the system clock, and `created_at` by Tern's clock:
 * a window's rows are found by walking `messages_window_idx` (sandbox, created_at, id) from the window's
 * end, where walking the id index from the newest row read half of 10M messages for a day 15
 * days back (2.9 s).
 */
function timeOrdered(filters: MessageFilters): boolean {
  return filters.from !== undefined || filters.until !== undefined;
}

/**
 * One page of the log, newest first: the filtered rows after `before` (a keyset page on the
 * primary key, or on creation time and id for a time window, so page 10,000 costs what page 1
 * does).
 */
export function messagePage(
  db: Executor,
  sandbox: string,
  filters: MessageFilters,
  before: TimeMark | { id: string } | undefined,
  limit: number,
): Promise<MessageRow[]> {
  let select = db.selectFrom('messages').selectAll().where('sandbox', '=', sandbox);
  if (filters.status) select = select.where('status', '=', filters.status);
  if (filters.to) select = select.where('to_number', '=', filters.to);
  if (filters.channelConfigurationId)
    select = select.where('channel_configuration_id', '=', filters.channelConfigurationId);
  if (filters.from) select = select.where('created_at', '>=', filters.from);
  if (filters.until) select = select.where('created_at', '<', filters.until);
  if (!timeOrdered(filters)) {
    if (before) select = select.where('id', '<', before.id);
    return select.orderBy('id', 'desc').limit(limit).execute();
  }
  if (before && 'createdAt' in before)
    select = select.where(sql<boolean>`(created_at, id) < (${before.createdAt}, ${before.id})`);
  else if (before) select = select.where('id', '<', before.id);
  return select.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

/** Where the next page starts after `row`. */
export function pageMark(row: MessageRow): TimeMark {
  return { createdAt: row.created_at, id: row.id };
}

/** The message log, newest first (by creation time within a time window). */
export async function listMessages(
  db: Executor,
  sandbox: string,
  query: MessageQuery,
): Promise<Page<Message>> {
  const { cursor, limit, ...filters } = query;
  const rows = await messagePage(db, sandbox, filters, decodeTimeCursor(cursor), limit + 1);
  return toPage(rows, limit, messageFromRow, (row) => encodeTimeCursor(pageMark(row)));
}

/** Counts per status, for dashboards and the benchmark. */
export async function countByStatus(
  db: Executor,
  sandbox?: string,
): Promise<Record<string, number>> {
  let select = db.selectFrom('messages').select(['status', sql<number>`count(*)`.as('n')]);
  if (sandbox) select = select.where('sandbox', '=', sandbox);
  const rows = await select.groupBy('status').execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
