import type { Executor } from '../db/executor.js';
import type { TimeMark } from '../db/pagination.js';
import { csvField } from '../profiles/csv.js';
import {
  messagePage,
  pageMark,
  type MessageFilters,
  type MessageRow,
} from './message.repository.js';

/**
 * The message log as CSV (RFC 4180), read in keyset pages with the list's filters
 * (message.repository.ts `messagePage`), newest first. A generator: the HTTP route pulls a page
 * only when the client has taken the last one, so memory holds a page or two however long the
 * log, and a client that goes away ends the loop at its next page.
 */

/** 1,000 rows a page (~300 kB of CSV for SMS of ~50 characters). */
export const EXPORT_PAGE_SIZE = 1000;

/** The columns, in order: the header names and how each cell is read from a row. */
export const EXPORT_COLUMNS: [string, (row: MessageRow) => string | number | null][] = [
  ['id', (r) => r.id],
  ['createdAt', (r) => r.created_at],
  ['status', (r) => r.status],
  ['statusReason', (r) => r.status_reason],
  ['to', (r) => r.to_number],
  ['sender', (r) => r.sender],
  ['channel', (r) => r.channel],
  ['messageType', (r) => r.message_type],
  ['channelConfigurationId', (r) => r.channel_configuration_id],
  ['credentialId', (r) => r.credential_id],
  ['origin', (r) => r.origin],
  ['text', (r) => r.text],
  ['media', (r) => mediaUrls(r.media)],
  ['segments', (r) => r.segments],
  ['encoding', (r) => r.encoding],
  ['attempts', (r) => r.attempts],
  ['callbackData', (r) => r.callback_data],
  ['sendAt', (r) => r.send_at],
  ['validUntil', (r) => r.valid_until],
  ['acceptedAt', (r) => r.accepted_at],
  ['doneAt', (r) => r.done_at],
  ['updatedAt', (r) => r.updated_at],
  ['lastProviderError', (r) => r.last_provider_error],
  ['idempotencyKey', (r) => r.idempotency_key],
  ['inboundMessageId', (r) => r.inbound_message_id],
];

function mediaUrls(media: string | null): string | null {
  if (media === null) return null;
  const parts = JSON.parse(media) as { url: string }[];
  return parts.map((p) => p.url).join(' ');
}

// A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
const FORMULA_START = /^[=+\-@\t\r]/;
// A plain number (a phone number, +447911123456) is no formula: left as it is.
const PLAIN_NUMBER = /^[+-]?\d+(\.\d+)?$/;

/**
 * One CSV cell: null is empty; a text that a spreadsheet would run as a formula gets a leading
 * apostrophe (shown as text, not run); a cell with a quote, comma or line break is quoted, its
 * quotes doubled (RFC 4180).
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  let text = value;
  if (FORMULA_START.test(text) && !PLAIN_NUMBER.test(text)) text = `'${text}`;
  return csvField(text);
}

function csvRow(cells: (string | number | null)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/**
 * The CSV text, the header first, then one string per page. `onPage` hears each page read
 * (the route logs them; tests count them).
 */
export async function* exportMessagesCsv(
  db: Executor,
  sandbox: string,
  filters: MessageFilters,
  options: { pageSize?: number; onPage?: (rows: number) => void } = {},
): AsyncGenerator<string, void, undefined> {
  const pageSize = options.pageSize ?? EXPORT_PAGE_SIZE;
  yield csvRow(EXPORT_COLUMNS.map(([name]) => name));
  let before: TimeMark | undefined;
  for (;;) {
    const rows = await messagePage(db, sandbox, filters, before, pageSize);
    options.onPage?.(rows.length);
    if (rows.length === 0) return;
    let text = '';
    for (const row of rows) text += csvRow(EXPORT_COLUMNS.map(([, read]) => read(row)));
    yield text;
    if (rows.length < pageSize) return;
    before = pageMark(rows[rows.length - 1]!);
  }
}
