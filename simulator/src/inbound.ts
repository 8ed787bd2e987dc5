/**
 * Inbound (MO) texts: a person "texts" one of the account's numbers; the simulator forwards it
 * in Infobip's MO_JSON_2 format to the URL configured for that number (retrying like reports),
 * or keeps it for `GET /sms/1/inbox/reports` when the number has no forwarding URL. Inbound MMS
 * go the same way in MO_MMS_2 to the MMS forwarding URL of the number (or wait for
 * `GET /mms/1/inbox/reports`).
 *
 * Addresses are as Infobip writes them: a number in international format without `+`
 * (a leading `+` given here is dropped), a short code as is (`"25256"`), or an alphanumeric id.
 */
import type { IdGenerator } from './ids.js';
import type { WebhookSender } from './webhook-sender.js';
import type { Clock } from './time.js';
import { formatInfobipTime } from './time.js';
import { countSegments } from './segments.js';

export interface InboundInput {
  from: string;
  to: string;
  text: string;
}

/** One part of an inbound MMS: text (`value`) or media (`url`), per MO_MMS_2 `message[]`. */
export type MmsPart = { contentType: string; value: string } | { contentType: string; url: string };

/** MO_MMS_2 `group[]`: the other recipients of a group MMS. */
export type MmsGroupMember = { to: string } | { cc: string };

export interface InboundMmsInput {
  from: string;
  to: string;
  parts: MmsPart[];
  group?: MmsGroupMember[];
  userAgent?: string;
  callbackData?: string;
  pairedMessageId?: string;
}

/** One MO_MMS_2 `results[]` entry (MMS OpenAPI `MMSMoWebhookResult`). */
export interface InboundMms {
  from: string;
  to: string;
  receivedAt: string;
  messageId: string;
  pairedMessageId?: string;
  userAgent?: string;
  callbackData?: string;
  message: MmsPart[];
  group?: MmsGroupMember[];
  price: { pricePerMessage: number; currency: string };
}

export interface InboundMmsRecord {
  message: InboundMms;
  forwardUrl: string | undefined;
}

export type AddressKind = 'number' | 'short-code' | 'alphanumeric';

/**
 * Guess: the lengths are the common ones, not Infobip's: short codes 3–8 digits, numbers 9–15
 * digits (E.164 without `+`), alphanumeric ids up to 11 characters (the GSM sender-id limit).
 */
export function addressKind(address: string): AddressKind | undefined {
  if (/^\d{3,8}$/.test(address)) return 'short-code';
  if (/^\d{9,15}$/.test(address)) return 'number';
  if (/^(?=.*[A-Za-z])[A-Za-z0-9 .&_-]{1,11}$/.test(address)) return 'alphanumeric';
  return undefined;
}

/** Infobip writes numbers without `+`. */
export function infobipAddress(address: string): string {
  return /^\+\d+$/.test(address) ? address.slice(1) : address;
}

/** One MO_JSON_2 `results[]` entry. */
export interface InboundMessage {
  messageId: string;
  from: string;
  to: string;
  text: string;
  cleanText: string;
  keyword: string;
  receivedAt: string;
  smsCount: number;
  price: { pricePerMessage: number; currency: string };
  callbackData?: string;
}

export interface InboundRecord {
  message: InboundMessage;
  /** Where it was forwarded, or undefined when it waits for pull. */
  forwardUrl: string | undefined;
}

/**
 * Splits the first word off as the keyword. Guess: Infobip fills `keyword` only when it matches
 * a keyword configured on the number; the simulator treats every first word as the keyword
 * (upper-cased), which is what a catch-all configuration with keywords would report.
 */
export function splitKeyword(text: string): { keyword: string; cleanText: string } {
  const trimmed = text.trim();
  const match = /^(\S+)\s*([\s\S]*)$/.exec(trimmed);
  if (!match) return { keyword: '', cleanText: '' };
  return { keyword: match[1]!.toUpperCase(), cleanText: match[2] ?? '' };
}

export class InboundService {
  /** number → forwarding URL (null: pull). */
  readonly numbers = new Map<string, string | null>();
  /** number → MMS forwarding URL (null: pull). */
  readonly mmsNumbers = new Map<string, string | null>();
  readonly received: InboundRecord[] = [];
  readonly inbox: InboundMessage[] = [];
  readonly receivedMms: InboundMmsRecord[] = [];
  readonly mmsInbox: InboundMms[] = [];

  constructor(
    private readonly sender: WebhookSender,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly currency: string,
    numbers: Record<string, string | null>,
    mmsNumbers: Record<string, string | null> = {},
  ) {
    for (const [number, url] of Object.entries(numbers)) this.setNumber(number, url);
    for (const [number, url] of Object.entries(mmsNumbers)) this.setMmsNumber(number, url);
  }

  setNumber(number: string, url: string | null): void {
    this.numbers.set(infobipAddress(number), url);
  }

  setMmsNumber(number: string, url: string | null): void {
    this.mmsNumbers.set(infobipAddress(number), url);
  }

  inject(input: InboundInput): InboundRecord {
    const { keyword, cleanText } = splitKeyword(input.text);
    const to = infobipAddress(input.to);
    const message: InboundMessage = {
      messageId: this.ids.next(),
      from: infobipAddress(input.from),
      to,
      text: input.text,
      cleanText,
      keyword,
      receivedAt: formatInfobipTime(this.clock()),
      smsCount: countSegments(input.text).parts,
      // Inbound texts are free on most numbers (infobip.md example shows 0).
      price: { pricePerMessage: 0, currency: this.currency },
    };
    const url = this.numbers.get(to) ?? undefined;
    const record: InboundRecord = { message, forwardUrl: url };
    this.received.push(record);
    this.forwardOrKeep(url, message, this.inbox);
    return record;
  }

  /** An inbound MMS, forwarded in MO_MMS_2 or kept for `GET /mms/1/inbox/reports`. */
  injectMms(input: InboundMmsInput): InboundMmsRecord {
    const to = infobipAddress(input.to);
    const message: InboundMms = {
      from: infobipAddress(input.from),
      to,
      receivedAt: formatInfobipTime(this.clock()),
      messageId: this.ids.next(),
      pairedMessageId: input.pairedMessageId,
      userAgent: input.userAgent,
      callbackData: input.callbackData,
      message: input.parts.map((p) => ({ ...p })),
      group: input.group?.map((g) => ({ ...g })),
      price: { pricePerMessage: 0, currency: this.currency },
    };
    const url = this.mmsNumbers.get(to) ?? undefined;
    const record: InboundMmsRecord = { message, forwardUrl: url };
    this.receivedMms.push(record);
    this.forwardOrKeep(url, message, this.mmsInbox);
    return record;
  }

  /** POSTs one inbound item to its forwarding URL, or keeps it for the pull endpoint. */
  private forwardOrKeep<T>(url: string | undefined, message: T, inbox: T[]): void {
    if (!url) {
      inbox.push(message);
      return;
    }
    // Guess: one message per POST (messageCount 1, nothing pending), as in the docs' example.
    this.sender.send('inbound', url, {
      results: [message],
      messageCount: 1,
      pendingMessageCount: 0,
    });
  }

  clear(): void {
    this.received.length = 0;
    this.inbox.length = 0;
    this.receivedMms.length = 0;
    this.mmsInbox.length = 0;
  }
}
