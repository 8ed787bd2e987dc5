import { sql } from 'kysely';
import type { Executor } from '../db/executor.js';
import { csvCell } from '../messages/message-export.js';

/** How long after its send an opt-out counts against a campaign. */
export const OPT_OUT_WINDOW_MS = 24 * 3_600_000;

/** A campaign's outcome so far; every figure is counted from the rows (exact). */
export interface CampaignResults {
  recipients: number;
  excluded: number;
  renderFailed: number;
  /** Messages by where they are now. */
  messages: {
    total: number;
    /** Waiting for their turn, or in a provider call. */
    queued: number;
    paused: number;
    /** Handed to the provider (accepted, or a report said more). */
    sent: number;
    accepted: number;
    delivered: number;
    /** Undeliverable, expired, rejected or failed. */
    failed: number;
    /** Blocked by consent right before sending (an opt-out after the snapshot). */
    suppressed: number;
    cancelled: number;
  };
  /** Recipients who opted out within 24 h after their message was sent (consent ledger). */
  optOuts: number;
  /** Recipients who texted back after their message was sent. */
  replies: number;
  optOutRate: number;
  failureRate: number;
}

const FAILED = ['undeliverable', 'expired', 'rejected', 'failed'];

/** Message counts by status, and how many were handed to the provider (campaign index). */
export async function campaignMessageCounts(
  db: Executor,
  sandbox: string,
  campaignId: string,
): Promise<CampaignResults['messages']> {
  const rows = await db
    .selectFrom('messages')
    .select([
      'status',
      sql<number | string>`count(*)`.as('n'),
      sql<number | string>`sum(case when accepted_at is not null then 1 else 0 end)`.as('handed'),
    ])
    .where('sandbox', '=', sandbox)
    .where('campaign_id', '=', campaignId)
    .groupBy('status')
    .execute();
  const m: CampaignResults['messages'] = {
    total: 0,
    queued: 0,
    paused: 0,
    sent: 0,
    accepted: 0,
    delivered: 0,
    failed: 0,
    suppressed: 0,
    cancelled: 0,
  };
  for (const row of rows) {
    const n = Number(row.n);
    m.total += n;
    m.sent += row.status === 'delivered' || row.status === 'accepted' ? n : Number(row.handed);
    if (row.status === 'queued' || row.status === 'sending') m.queued += n;
    else if (FAILED.includes(row.status)) m.failed += n;
    else if (row.status in m) m[row.status as 'paused'] += n;
  }
  return m;
}

/**
 * Recipients who opted out within 24 h of their message's send: ledger entries to
 * `unsubscribed` of the recipient's profile at or after the message was accepted, the window
 * applied here (ISO times are not added to portably in SQL; the rows are the opt-outs only).
 */
export async function campaignOptOuts(
  db: Executor,
  sandbox: string,
  campaignId: string,
): Promise<number> {
  const rows = await db
    .selectFrom('campaign_recipients as r')
    .innerJoin('messages as m', (join) =>
      join.onRef('m.sandbox', '=', 'r.sandbox').onRef('m.id', '=', 'r.message_id'),
    )
    .innerJoin('consent_events as c', (join) =>
      join.onRef('c.sandbox', '=', 'r.sandbox').onRef('c.profile_id', '=', 'r.profile_id'),
    )
    .select(['r.seq', 'm.accepted_at', 'c.at'])
    .where('r.sandbox', '=', sandbox)
    .where('r.campaign_id', '=', campaignId)
    .where('m.accepted_at', 'is not', null)
    .where('c.to_state', '=', 'unsubscribed')
    .whereRef('c.at', '>=', 'm.accepted_at')
    .execute();
  const within = new Set<number>();
  for (const row of rows)
    if (Date.parse(row.at) - Date.parse(row.accepted_at ?? row.at) <= OPT_OUT_WINDOW_MS)
      within.add(Number(row.seq));
  return within.size;
}

/** Recipients with an inbound text from their number after their message was sent. */
export async function campaignReplies(
  db: Executor,
  sandbox: string,
  campaignId: string,
): Promise<number> {
  const row = await db
    .selectFrom('campaign_recipients as r')
    .innerJoin('messages as m', (join) =>
      join.onRef('m.sandbox', '=', 'r.sandbox').onRef('m.id', '=', 'r.message_id'),
    )
    .select(sql<number | string>`count(*)`.as('n'))
    .where('r.sandbox', '=', sandbox)
    .where('r.campaign_id', '=', campaignId)
    .where('m.accepted_at', 'is not', null)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('inbound_messages as i')
          .select('i.id')
          .where('i.sandbox', '=', sandbox)
          .whereRef('i.from_number', '=', 'r.phone')
          .whereRef('i.received_at', '>=', 'm.accepted_at'),
      ),
    )
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Rate of `part` over `whole`, 0 when nothing was sent. */
export function rate(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole;
}

/** Recipients a CSV page holds. */
export const RECIPIENT_EXPORT_PAGE = 1000;

const COLUMNS = [
  'seq',
  'profileId',
  'phone',
  'state',
  'reason',
  'messageId',
  'status',
  'statusReason',
  'segments',
  'acceptedAt',
  'doneAt',
] as const;

/**
 * A campaign's recipients with their message's outcome as CSV (RFC 4180, cells guarded against
 * spreadsheet formulas as the message export does), in seq order, a keyset page at a time: the
 * route pulls a page only when the client took the last one.
 */
export async function* exportRecipientsCsv(
  db: Executor,
  sandbox: string,
  campaignId: string,
  pageSize = RECIPIENT_EXPORT_PAGE,
): AsyncGenerator<string> {
  yield `${COLUMNS.join(',')}\r\n`;
  let after = 0;
  for (;;) {
    const rows = await db
      .selectFrom('campaign_recipients as r')
      .leftJoin('messages as m', (join) =>
        join.onRef('m.sandbox', '=', 'r.sandbox').onRef('m.id', '=', 'r.message_id'),
      )
      .select([
        'r.seq',
        'r.profile_id',
        'r.phone',
        'r.state',
        'r.reason',
        'r.message_id',
        'm.status',
        'm.status_reason',
        'm.segments',
        'm.accepted_at',
        'm.done_at',
      ])
      .where('r.sandbox', '=', sandbox)
      .where('r.campaign_id', '=', campaignId)
      .where('r.seq', '>', after)
      .orderBy('r.seq')
      .limit(pageSize)
      .execute();
    if (rows.length === 0) return;
    yield rows
      .map(
        (r) =>
          `${[
            Number(r.seq),
            r.profile_id,
            r.phone,
            r.state,
            r.reason,
            r.message_id,
            r.status,
            r.status_reason,
            r.segments === null ? null : Number(r.segments),
            r.accepted_at,
            r.done_at,
          ]
            .map(csvCell)
            .join(',')}\r\n`,
      )
      .join('');
    after = Number(rows[rows.length - 1]?.seq ?? after);
    if (rows.length < pageSize) return;
  }
}
