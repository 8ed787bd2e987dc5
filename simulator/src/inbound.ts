/**
 * Inbound (MO) texts: a person "texts" one of the account's numbers; the simulator forwards it
 * in Infobip's MO_JSON_2 format to the URL configured for that number (retrying like reports),
 * or keeps it for `GET /sms/1/inbox/reports` when the number has no forwarding URL.
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
  readonly received: InboundRecord[] = [];
  readonly inbox: InboundMessage[] = [];

  constructor(
    private readonly sender: WebhookSender,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly currency: string,
    numbers: Record<string, string | null>,
  ) {
    for (const [number, url] of Object.entries(numbers)) this.numbers.set(number, url);
  }

  inject(input: InboundInput): InboundRecord {
    const { keyword, cleanText } = splitKeyword(input.text);
    const message: InboundMessage = {
      messageId: this.ids.next(),
      from: input.from,
      to: input.to,
      text: input.text,
      cleanText,
      keyword,
      receivedAt: formatInfobipTime(this.clock()),
      smsCount: countSegments(input.text).parts,
      // Inbound texts are free on most numbers (infobip.md example shows 0).
      price: { pricePerMessage: 0, currency: this.currency },
    };
    const url = this.numbers.get(input.to) ?? undefined;
    const record: InboundRecord = { message, forwardUrl: url };
    this.received.push(record);
    if (url) {
      // Guess: one message per POST (messageCount 1, nothing pending), as in the docs' example.
      this.sender.send('inbound', url, {
        results: [message],
        messageCount: 1,
        pendingMessageCount: 0,
      });
    } else {
      this.inbox.push(message);
    }
    return record;
  }

  clear(): void {
    this.received.length = 0;
    this.inbox.length = 0;
  }
}
