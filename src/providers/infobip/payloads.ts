/**
 * What Tern writes to Infobip and reads back: the `POST /sms/3/messages` and `/mms/2/messages`
 * bodies, the send answer, and log entries (infobip.md "Corrections, 2026-12"). Pure functions.
 */
import type { MessageStatus } from '../provider.js';
import { isRecord, num, parseStatus, str, type InfobipStatus } from './responses.js';
import { mapInfobipStatus } from './status-map.js';
import { parseInfobipTime } from './time.js';

/** One SMS for `POST /sms/3/messages`: one destination, Tern's id as the provider messageId. */
export interface SmsToSend {
  messageId: string;
  /** E.164; a leading `+` is dropped (Infobip wants international format without it). */
  to: string;
  sender: string;
  text: string;
  /** What is left of the validity period, in whole seconds (Infobip clamps above 48 h). */
  validitySeconds?: number;
  callbackData?: string;
  /** Where Infobip POSTs delivery reports. */
  notifyUrl?: string;
  indiaDlt?: { principalEntityId: string; contentTemplateId?: string; telemarketerId?: string };
}

/** One media item of an MMS, referenced by URL (Infobip fetches it itself). */
export interface MmsMedia {
  url: string;
  /** IANA type, e.g. `image/jpeg`. */
  contentType?: string;
}

/** One MMS for `POST /mms/2/messages`. */
export interface MmsToSend {
  messageId: string;
  to: string;
  /** Optional in MMS v2 (`MmsUnificationMessage` requires only content and destinations). */
  sender?: string;
  title?: string;
  text?: string;
  media: MmsMedia[];
  /** Whole seconds, as for SMS. */
  validitySeconds?: number;
  callbackData?: string;
  notifyUrl?: string;
}

/** The provider's answer for one message of a batch. */
export interface SentMessage {
  messageId: string;
  destination: string | null;
  status: InfobipStatus;
  /** `rejected` for group 5 (a 200 can carry rejections); `accepted` for ACCEPTED/PENDING. */
  ternStatus: MessageStatus | null;
  /** Parts, when Infobip says (`details.messageCount` / `smsCount`). */
  messageCount: number | null;
}

/** One entry of `GET /sms/3/logs` or `GET /mms/2/logs` (the fields Tern reads are named alike). */
export interface LogEntry {
  messageId: string;
  bulkId: string | null;
  destination: string | null;
  sender: string | null;
  /** ISO UTC. */
  sentAt: string | null;
  /** ISO UTC. */
  doneAt: string | null;
  status: InfobipStatus | null;
  ternStatus: MessageStatus | null;
  messageCount: number | null;
}

function withoutPlus(n: string): string {
  return n.startsWith('+') ? n.slice(1) : n;
}

/** A numeric sender given in E.164 loses its `+`; alphanumeric senders are left alone. */
function senderField(sender: string): string {
  return /^\+\d+$/.test(sender) ? sender.slice(1) : sender;
}

/**
 * SMS v3 and MMS v2 `validityPeriod` in seconds, the finest unit they take: whole hours (as
 * before) rounded a 5-minute code up to an hour and let a retry outlive Tern's `validUntil`.
 * Guess: that the operator's SMSC keeps second resolution (SMPP's relative validity does).
 */
function validity(
  seconds: number | undefined,
): { amount: number; timeUnit: 'SECONDS' } | undefined {
  return seconds === undefined ? undefined : { amount: seconds, timeUnit: 'SECONDS' };
}

/** The report webhook of one message: JSON reports to `notifyUrl`, with its callback data. */
function webhooksField(m: { notifyUrl?: string; callbackData?: string }) {
  const webhooks: Record<string, unknown> = {};
  if (m.notifyUrl !== undefined) {
    webhooks.delivery = { url: m.notifyUrl };
    webhooks.contentType = 'application/json';
  }
  if (m.callbackData !== undefined) webhooks.callbackData = m.callbackData;
  return Object.keys(webhooks).length > 0 ? { webhooks } : {};
}

/** The body of `POST /sms/3/messages`. */
export function smsRequestBody(batch: readonly SmsToSend[]): Record<string, unknown> {
  const messages = batch.map((m) => {
    const options: Record<string, unknown> = {};
    const vp = validity(m.validitySeconds);
    if (vp) options.validityPeriod = vp;
    if (m.indiaDlt) {
      const { principalEntityId, contentTemplateId, telemarketerId } = m.indiaDlt;
      options.regional = {
        indiaDlt: {
          principalEntityId,
          ...(contentTemplateId !== undefined ? { contentTemplateId } : {}),
          ...(telemarketerId !== undefined ? { telemarketerId } : {}),
        },
      };
    }
    return {
      sender: senderField(m.sender),
      destinations: [{ to: withoutPlus(m.to), messageId: m.messageId }],
      content: { text: m.text },
      ...(Object.keys(options).length > 0 ? { options } : {}),
      ...webhooksField(m),
    };
  });
  // `messageCount` per message comes back only when asked (SmsMessageRequestOptions).
  return { messages, options: { includeSmsCountInResponse: true } };
}

/** The body of `POST /mms/2/messages`. */
export function mmsRequestBody(batch: readonly MmsToSend[]): Record<string, unknown> {
  const messages = batch.map((m) => {
    const segments: Record<string, unknown>[] = [];
    if (m.text !== undefined && m.text !== '') {
      segments.push({ type: 'TEXT', contentId: 'text1', text: m.text });
    }
    m.media.forEach((media, i) => {
      segments.push({
        type: 'LINK',
        contentId: `media${i + 1}`,
        ...(media.contentType !== undefined ? { contentType: media.contentType } : {}),
        contentUrl: media.url,
      });
    });
    const vp = validity(m.validitySeconds);
    return {
      ...(m.sender !== undefined && m.sender !== '' ? { sender: senderField(m.sender) } : {}),
      destinations: [{ to: withoutPlus(m.to), messageId: m.messageId }],
      content: {
        ...(m.title !== undefined ? { title: m.title } : {}),
        messageSegments: segments,
      },
      ...(vp ? { options: { validityPeriod: vp } } : {}),
      ...webhooksField(m),
    };
  });
  return { messages };
}

/** The per-message entries of a send answer's `messages[]` (unreadable entries skipped). */
export function sentMessages(list: readonly unknown[]): SentMessage[] {
  const messages: SentMessage[] = [];
  for (const m of list) {
    if (!isRecord(m)) continue;
    const messageId = str(m, 'messageId');
    const status = parseStatus(m.status);
    if (messageId === null || status === null) continue;
    const details = isRecord(m.details) ? m.details : {};
    messages.push({
      messageId,
      destination: str(m, 'destination') ?? str(m, 'to'),
      status,
      ternStatus: mapInfobipStatus(status),
      messageCount: num(details, 'messageCount') ?? num(m, 'smsCount'),
    });
  }
  return messages;
}

/** One log entry; the SMS v3 and MMS v2 entries name these fields alike. */
export function logEntry(raw: unknown): LogEntry | null {
  if (!isRecord(raw)) return null;
  const messageId = str(raw, 'messageId');
  if (messageId === null) return null;
  const status = parseStatus(raw.status);
  const time = (key: string) => {
    const v = str(raw, key);
    return v === null ? null : parseInfobipTime(v);
  };
  return {
    messageId,
    bulkId: str(raw, 'bulkId'),
    destination: str(raw, 'destination') ?? str(raw, 'to'),
    sender: str(raw, 'sender') ?? str(raw, 'from'),
    sentAt: time('sentAt'),
    doneAt: time('doneAt'),
    status,
    ternStatus: status === null ? null : mapInfobipStatus(status),
    messageCount: num(raw, 'messageCount') ?? num(raw, 'smsCount'),
  };
}

// Infobip documents a 2048-character cap for each comma-separated list filter of /sms/3/logs and
// at most 1000 results per call (infobip.md §4.4); /mms/2/logs states the same for messageId and
// limit (Infobip's Java client, MmsApi.getOutboundMmsMessageLogs).
const LOGS_LIST_MAX_CHARS = 2048;
const LOGS_MAX_PER_CALL = 1000;

/** Splits ids into groups whose comma-joined, URL-encoded form fits Infobip's list filter cap. */
export function chunkIds(ids: readonly string[]): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let length = 0;
  for (const id of new Set(ids)) {
    const cost = encodeURIComponent(id).length + (current.length > 0 ? 3 : 0); // %2C
    if (
      current.length > 0 &&
      (length + cost > LOGS_LIST_MAX_CHARS || current.length >= LOGS_MAX_PER_CALL)
    ) {
      chunks.push(current);
      current = [];
      length = 0;
    }
    current.push(id);
    length += encodeURIComponent(id).length + (current.length > 1 ? 3 : 0);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
