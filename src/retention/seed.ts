import type { Kysely } from 'kysely';
import type { Database, MessagesTable } from '../db/schema.js';
import { newId } from '../ids.js';

/**
 * Message log rows written straight into the tables, shaped as the send path writes them: for
 * the retention tests and the size-per-million measurement (bench/retention.ts), which need
 * rows of a chosen age and status in bulk, not through the API's clock and worker.
 */
export interface SeedMessage {
  sandbox: string;
  createdAt: string;
  status: string;
  uncertain?: boolean;
  /** History rows besides the first (2: queued → accepted → delivered, the last with the report). */
  extraHistory?: number;
  /** A raw delivery report stored for the message. */
  report?: boolean;
  /** `message.status_changed` events (the send path records one per change after queued). */
  events?: number;
}

// A typical Infobip delivery report, as stored raw (~420 bytes).
const REPORT = {
  bulkId: null,
  messageId: '',
  to: '447911123456',
  sentAt: '2026-01-01T00:00:01.000+0000',
  doneAt: '2026-01-01T00:00:03.000+0000',
  smsCount: 1,
  price: { pricePerMessage: 0.01, currency: 'EUR' },
  status: {
    groupId: 3,
    groupName: 'DELIVERED',
    id: 5,
    name: 'DELIVERED_TO_HANDSET',
    description: 'Message delivered to handset',
  },
  error: {
    groupId: 0,
    groupName: 'OK',
    id: 0,
    name: 'NO_ERROR',
    description: 'No Error',
    permanent: false,
  },
};

/** Inserts messages (500 a statement), their history and reports; returns the ids in order. */
export async function seedMessages(
  db: Kysely<Database>,
  messages: SeedMessage[],
  credentialId = 'cred-seed',
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < messages.length; i += 250) {
    const slice = messages.slice(i, i + 250);
    const rows: MessagesTable[] = slice.map((m, j) => ({
      sandbox: m.sandbox,
      id: newId(),
      channel_configuration_id: 'chan-seed',
      credential_id: credentialId,
      channel: 'sms',
      message_type: 'transactional',
      sender: 'Tern',
      to_number: `+4479111${String((i + j) % 100_000).padStart(5, '0')}`,
      text: 'Your code is 123456. It expires in 10 minutes.',
      media: null,
      callback_data: null,
      status: m.status,
      status_reason: null,
      attempts: 1,
      next_attempt_at: m.status === 'queued' ? m.createdAt : null,
      valid_until: m.createdAt,
      uncertain: m.uncertain ? 1 : 0,
      uncertain_since: m.uncertain ? m.createdAt : null,
      lease_owner: null,
      lease_expires_at: null,
      provider_status: null,
      provider_error: null,
      provider_message_id: null,
      last_provider_error: null,
      last_provider_error_at: null,
      segments: 1,
      encoding: 'GSM-7',
      idempotency_key: null,
      request_hash: null,
      send_at: null,
      origin: 'api',
      inbound_message_id: null,
      dlt_content_template_id: null,
      dlt_telemarketer_id: null,
      created_at: m.createdAt,
      updated_at: m.createdAt,
      accepted_at: m.status === 'queued' ? null : m.createdAt,
      done_at: null,
      campaign_id: null,
      policy_rule: null,
      policy_source: null,
      held_until: null,
    }));
    await db.insertInto('messages').values(rows).execute();
    const history = rows.flatMap((r, j) =>
      Array.from({ length: 1 + (slice[j]!.extraHistory ?? 0) }, (_, k) => ({
        sandbox: r.sandbox,
        id: newId(),
        message_id: r.id,
        at: r.created_at,
        status: k === 0 ? 'queued' : r.status,
        reason: null,
        // The last change carries the raw report that caused it (delivered).
        report:
          k > 0 && k === (slice[j]!.extraHistory ?? 0)
            ? JSON.stringify({ ...REPORT, messageId: r.id })
            : null,
      })),
    );
    for (let k = 0; k < history.length; k += 500)
      await db
        .insertInto('message_events')
        .values(history.slice(k, k + 500))
        .execute();
    const reports = rows
      .filter((_, j) => slice[j]!.report)
      .map((r) => ({
        id: newId(),
        dedup_key: `${credentialId}:${r.id}:5`,
        sandbox: r.sandbox,
        credential_id: credentialId,
        message_id: r.id,
        matched: 1,
        received_at: r.created_at,
        raw: JSON.stringify({ ...REPORT, messageId: r.id }),
      }));
    if (reports.length > 0) await db.insertInto('delivery_reports').values(reports).execute();
    const events = rows.flatMap((r, j) =>
      Array.from({ length: slice[j]!.events ?? 0 }, () => ({
        sandbox: r.sandbox,
        id: newId(),
        type: 'message.status_changed',
        payload: JSON.stringify({
          messageId: r.id,
          status: r.status,
          reason: null,
          to: r.to_number,
          callbackData: null,
        }),
        at: r.created_at,
      })),
    );
    for (let k = 0; k < events.length; k += 500)
      await db
        .insertInto('events')
        .values(events.slice(k, k + 500))
        .execute();
    ids.push(...rows.map((r) => r.id));
  }
  return ids;
}
