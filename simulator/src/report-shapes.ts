/** The JSON shapes of reports and logs built from a message (infobip.md §4.1, §4.2, §4.4). */
import type { SimMessage } from './store.js';
import type { MessageError, MessageStatus } from './statuses.js';
import { formatInfobipTime } from './time.js';

export interface ReportContext {
  currency: string;
  mccMnc: string;
}

interface Snapshot {
  status: MessageStatus;
  error: MessageError;
  doneAt: number | undefined;
}

function price(m: SimMessage, ctx: ReportContext) {
  return { pricePerMessage: m.price, currency: ctx.currency };
}

function platform(m: SimMessage) {
  if (m.entityId === undefined && m.applicationId === undefined) return undefined;
  return { entityId: m.entityId, applicationId: m.applicationId };
}

/** v2 DLR (notifyUrl, `GET /sms/1/reports`). */
export function v2Report(m: SimMessage, s: Snapshot, ctx: ReportContext): object {
  return {
    bulkId: m.bulkId,
    messageId: m.messageId,
    to: m.to,
    from: m.from,
    sentAt: formatInfobipTime(m.sentAt),
    doneAt: s.doneAt === undefined ? undefined : formatInfobipTime(s.doneAt),
    smsCount: m.parts,
    mccMnc: ctx.mccMnc,
    callbackData: m.callbackData,
    price: price(m, ctx),
    status: s.status,
    error: s.error,
    entityId: m.entityId,
    applicationId: m.applicationId,
  };
}

/** v3 DLR (webhooks.delivery.url, `GET /sms/3/reports`); MMS v2 reports share it. */
export function v3Report(m: SimMessage, s: Snapshot, ctx: ReportContext): object {
  return {
    bulkId: m.bulkId,
    messageId: m.messageId,
    to: m.to,
    sender: m.from,
    sentAt: formatInfobipTime(m.sentAt),
    doneAt: s.doneAt === undefined ? undefined : formatInfobipTime(s.doneAt),
    messageCount: m.parts,
    mccMnc: ctx.mccMnc,
    callbackData: m.callbackData,
    price: price(m, ctx),
    status: s.status,
    error: s.error,
    platform: platform(m),
    campaignReferenceId: m.campaignReferenceId,
  };
}

/** The report body shape a message's API expects. */
export function reportFor(m: SimMessage, s: Snapshot, ctx: ReportContext): object {
  return m.api === 'sms-v2' ? v2Report(m, s, ctx) : v3Report(m, s, ctx);
}

/** v1 log entry (`GET /sms/1/logs`), per the v1 `SmsLog` model. */
export function v1Log(m: SimMessage, ctx: ReportContext): object {
  return {
    bulkId: m.bulkId,
    messageId: m.messageId,
    to: m.to,
    from: m.from,
    text: m.text,
    sentAt: formatInfobipTime(m.sentAt),
    doneAt: m.doneAt === undefined ? undefined : formatInfobipTime(m.doneAt),
    smsCount: m.parts,
    mccMnc: ctx.mccMnc,
    price: price(m, ctx),
    status: m.status,
    error: m.error,
  };
}

/** The fields the v3 SMS log and the MMS log share. */
function logBase(m: SimMessage, ctx: ReportContext) {
  return {
    sender: m.from,
    destination: m.to,
    bulkId: m.bulkId,
    messageId: m.messageId,
    sentAt: formatInfobipTime(m.sentAt),
    doneAt: m.doneAt === undefined ? undefined : formatInfobipTime(m.doneAt),
    messageCount: m.parts,
    price: price(m, ctx),
    status: m.status,
    error: m.error,
    platform: platform(m),
  };
}

/** v3 log entry (`GET /sms/3/logs`), per the v3 `SmsLog` model. */
export function v3Log(m: SimMessage, ctx: ReportContext): object {
  return {
    ...logBase(m, ctx),
    content: { text: m.text },
    campaignReferenceId: m.campaignReferenceId,
    mccMnc: ctx.mccMnc,
  };
}

/**
 * MMS log entry (`GET /mms/2/logs`), per the `MmsLog` fields in the Java client's
 * `MmsApiTest` (v2): the v3 SMS log's names (`sender`, `destination`, `messageCount`), a `title`
 * and `content` with the title and segments. Guess: `platform` as in the v3 SMS log; not shown
 * in that test.
 */
export function mmsLog(m: SimMessage, ctx: ReportContext): object {
  const content = m.mmsContent ?? { title: undefined, messageSegments: [] };
  return {
    ...logBase(m, ctx),
    // Guess: the top-level `title` is the content's title (that test gives them different values).
    title: content.title,
    content,
    mccMnc: ctx.mccMnc,
  };
}
