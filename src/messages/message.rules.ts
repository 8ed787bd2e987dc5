import type { ChannelConfiguration, MessageType } from '../channels/channel.js';
import type { ErrorDetail } from '../errors.js';
import { normalizeE164 } from '../phone.js';
import { providerLimits } from '../providers/registry.js';
import { chooseDlt, dltProblem, type DltChoice } from './india-dlt.js';
import type { MediaItem } from './message.js';
import { countSegments, type SegmentCount } from './segments.js';
import { validityMs, validityProblem, type ValidityPeriod } from './validity.js';

/** What a caller asks to send (one item of the single or batch API). */
export interface SendInput {
  channelConfigurationId?: string;
  to?: string;
  text?: string;
  media?: MediaItem[];
  messageType?: MessageType;
  sendAt?: string;
  callbackData?: string;
  idempotencyKey?: string;
  /** Over the credential's validity period (e.g. 5 minutes for a one-time code). */
  validityPeriod?: ValidityPeriod;
  /** India DLT ids over the channel configuration's and the credential's (SMS only). */
  dltContentTemplateId?: string | null;
  dltTelemarketerId?: string | null;
}

/** What a message inherits from its credential. */
export interface CredentialDefaults {
  validityPeriod: ValidityPeriod;
  dltPrincipalEntityId: string | null;
}

/** Infobip refuses more than 25 parts; 10 parts (~1,530 GSM-7 characters) is the common carrier ceiling. */
export const SMS_MAX_SEGMENTS = 10;
// The provider's limits, from its adapter (one provider today: Infobip).
const LIMITS = providerLimits('infobip');
/** The provider's MMS TEXT segment limit (Infobip: 4,096). */
export const MMS_TEXT_MAX = LIMITS.maxMmsTextLength;
export const MMS_MEDIA_MAX = 10;
export const MEDIA_URL_MAX = 2048;
export const CALLBACK_DATA_MAX = LIMITS.maxCallbackDataLength;
export const IDEMPOTENCY_KEY_MAX = 200;
/** How far ahead the provider schedules (Infobip: 180 days). */
export const SEND_AT_MAX_DAYS = LIMITS.maxScheduleDays;
const MEDIA_TYPES =
  /^(image\/(jpeg|png|gif|bmp|webp)|video\/(mp4|3gpp)|audio\/(mpeg|mp4|amr|wav)|text\/(vcard|x-vcard|plain|calendar)|application\/pdf)$/;

export interface CheckedMessage {
  to: string;
  text: string | null;
  media: MediaItem[];
  messageType: MessageType;
  sendAt: string | null;
  count: SegmentCount;
  /** `sendAt` (or now) plus the message's or the credential's validity period, to the ms. */
  validUntil: string;
  /** The message's own DLT ids, else its channel configuration's; null: the credential's. */
  dlt: DltChoice;
}

/**
 * Checks one message against its channel configuration and returns it normalised (number in
 * E.164, marketing footer added), or the problems by field. Pure.
 */
export function checkMessage(
  input: SendInput,
  channel: ChannelConfiguration,
  credential: CredentialDefaults,
  now: Date,
): { ok: true; message: CheckedMessage } | { ok: false; problems: ErrorDetail[] } {
  const problems: ErrorDetail[] = [];
  const problem = (path: string, message: string) => problems.push({ path, message });

  const to = input.to === undefined ? undefined : normalizeE164(input.to);
  if (input.to === undefined || input.to.trim() === '') problem('/to', 'is required');
  else if (!to)
    problem('/to', 'must be a valid phone number in international format, e.g. +14155550100');

  const messageType = input.messageType ?? channel.messageType;
  const given = input.text === undefined || input.text === '' ? null : input.text;
  const text = given === null ? null : withMarketingFooter(given, messageType, channel);
  const media = input.media ?? [];

  if (channel.channel === 'sms') {
    if (text === null) problem('/text', 'is required for SMS');
    if (media.length > 0)
      problem(
        '/media',
        `channel configuration "${channel.name}" sends SMS, which carries no media; use an MMS configuration`,
      );
  } else {
    if (text === null && media.length === 0) problem('/text', 'an MMS needs text or media');
    if (text !== null && text.length > MMS_TEXT_MAX)
      problem('/text', `must be at most ${MMS_TEXT_MAX} characters for MMS`);
    if (media.length > MMS_MEDIA_MAX) problem('/media', `at most ${MMS_MEDIA_MAX} media items`);
    media.forEach((item, i) => problems.push(...mediaItemProblems(item, i)));
  }

  const count = countSegments(text ?? '');
  if (channel.channel === 'sms' && count.segments > SMS_MAX_SEGMENTS) {
    problem(
      '/text',
      `is ${count.segments} SMS parts (${count.encoding}); at most ${SMS_MAX_SEGMENTS} are allowed`,
    );
  }

  let sendAt: string | null = null;
  if (input.sendAt !== undefined) {
    const at = Date.parse(input.sendAt);
    if (Number.isNaN(at) || !/^\d{4}-\d{2}-\d{2}T/.test(input.sendAt)) {
      problem('/sendAt', 'must be an ISO-8601 date-time, e.g. 2026-12-01T09:00:00Z');
    } else if (at > now.getTime() + SEND_AT_MAX_DAYS * 86_400_000) {
      problem('/sendAt', `must be at most ${SEND_AT_MAX_DAYS} days ahead`);
    } else if (at > now.getTime()) {
      sendAt = new Date(at).toISOString();
    }
  }

  if (input.callbackData !== undefined && input.callbackData.length > CALLBACK_DATA_MAX) {
    problem('/callbackData', `must be at most ${CALLBACK_DATA_MAX} characters`);
  }
  if (
    input.idempotencyKey !== undefined &&
    (input.idempotencyKey.length === 0 || input.idempotencyKey.length > IDEMPOTENCY_KEY_MAX)
  ) {
    problem('/idempotencyKey', `must be 1 to ${IDEMPOTENCY_KEY_MAX} characters`);
  }

  if (input.validityPeriod !== undefined) {
    const reason = validityProblem(input.validityPeriod);
    if (reason) problem('/validityPeriod', reason);
  }
  for (const field of ['dltContentTemplateId', 'dltTelemarketerId'] as const) {
    const value = input[field];
    if (value === undefined || value === null) continue;
    const reason = dltProblem(field, value);
    if (reason) problem(`/${field}`, reason);
    else if (channel.channel === 'mms')
      problem(`/${field}`, 'is for SMS; MMS carries no India DLT ids');
    else if (!credential.dltPrincipalEntityId)
      problem(`/${field}`, "needs a DLT principal entity id on the channel's credential");
  }

  if (problems.length > 0 || !to) return { ok: false, problems };
  const validFrom = sendAt ? Date.parse(sendAt) : now.getTime();
  const validity = input.validityPeriod ?? credential.validityPeriod;
  const validUntil = new Date(validFrom + validityMs(validity)).toISOString();
  const dlt = chooseDlt(input, channel);
  return {
    ok: true,
    message: { to, text, media, messageType, sendAt, count, validUntil, dlt },
  };
}

/**
 * The text as sent: a marketing text gets the configuration's footer on a new line, unless it
 * already ends with it. Templates check the same final text (src/templates/check.ts).
 */
export function withMarketingFooter(
  text: string,
  messageType: MessageType,
  channel: Pick<ChannelConfiguration, 'marketingFooter'>,
): string {
  if (
    messageType === 'marketing' &&
    channel.marketingFooter &&
    !text.trimEnd().endsWith(channel.marketingFooter)
  ) {
    return `${text}\n${channel.marketingFooter}`;
  }
  return text;
}

/** The problems of one media item (its URL and content type), at `/media/<index>`. */
export function mediaItemProblems(item: MediaItem, index: number): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const reason = mediaUrlProblem(item.url);
  if (reason) problems.push({ path: `/media/${index}/url`, message: reason });
  if (item.contentType !== undefined && !MEDIA_TYPES.test(item.contentType)) {
    problems.push({
      path: `/media/${index}/contentType`,
      message: 'must be an image, video, audio, vCard, calendar, PDF or text type carriers deliver',
    });
  }
  return problems;
}

function mediaUrlProblem(raw: string): string | undefined {
  if (raw.length > MEDIA_URL_MAX) return `must be at most ${MEDIA_URL_MAX} characters`;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      return 'must be an http(s) URL the provider can fetch';
    if (url.username || url.password) return 'must not carry credentials';
    return undefined;
  } catch {
    return 'must be an absolute URL';
  }
}
