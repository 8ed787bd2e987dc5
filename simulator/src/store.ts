/** What the simulator remembers: messages, requests received, webhook POSTs made, duplicates. */
import { BoundedLog } from './bounded-log.js';
import type { MessageError, MessageStatus } from './statuses.js';

export type Api = 'sms-v2' | 'sms-v3' | 'mms-v2';

/** An MMS's `content` as it was sent (title and segments), for `GET /mms/2/logs`. */
export interface MmsContent {
  title: string | undefined;
  messageSegments: unknown[];
}

/** One accepted destination (Infobip's unit of "message"). */
export interface SimMessage {
  messageId: string;
  bulkId: string | undefined;
  api: Api;
  to: string;
  from: string | undefined;
  /** SMS text, or the MMS title and text segments joined by newlines. */
  text: string;
  /** MMS only: the content as sent (shared by every destination of the message). */
  mmsContent: MmsContent | undefined;
  /** SMS parts (1 for MMS). */
  parts: number;
  acceptedAt: number;
  /** When the message leaves (acceptedAt, or a later `sendAt`). */
  sentAt: number;
  /** Validity after the 48 h clamp, unscaled. */
  validityMs: number;
  /** Webhook for reports; undefined → pull (or nothing when `notify` is false). */
  reportUrl: string | undefined;
  notify: boolean;
  callbackData: string | undefined;
  entityId: string | undefined;
  applicationId: string | undefined;
  campaignReferenceId: string | undefined;
  intermediateReport: boolean;
  /** Why it ends as it does: an outcome name, or a fault / duplicate / credit rejection. */
  outcome: string;
  /** Rejected inside the 200 answer (its final status is already known). */
  rejected: boolean;
  /** The status and error the final report will carry. */
  finalStatus: MessageStatus;
  finalError: MessageError;
  /** Current status (PENDING_ACCEPTED until the final report is due). */
  status: MessageStatus;
  error: MessageError;
  doneAt: number | undefined;
  price: number;
  /** Number of reports handed to the webhook sender or pull queue so far. */
  reportsEmitted: number;
}

export interface RecordedRequest {
  id: number;
  at: number;
  method: string;
  url: string;
  path: string;
  /** Headers as received, the Authorization value replaced by its scheme and `[redacted]`. */
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** HTTP status answered, or `reset` when the connection was dropped; undefined while open. */
  outcome?: number | 'reset';
}

export type PostKind = 'report' | 'inbound';

/** One webhook POST attempt made by the simulator. */
export interface WebhookPost {
  id: number;
  kind: PostKind;
  url: string;
  /** 0 for the first try, n for the n-th retry. */
  attempt: number;
  at: number;
  body: unknown;
  /** HTTP status answered by the receiver, or undefined when the POST failed at network level. */
  status: number | undefined;
  error: string | undefined;
  /** True when the receiver answered 2xx. */
  ok: boolean;
}

export class Store {
  messages: SimMessage[] = [];
  readonly byId = new Map<string, SimMessage>();
  readonly requests: BoundedLog<RecordedRequest>;
  readonly posts: BoundedLog<WebhookPost>;
  duplicateCount = 0;
  readonly duplicateIds: string[] = [];
  private requestSeq = 0;
  private postSeq = 0;

  constructor(
    maxRequests: number,
    maxPosts: number,
    private readonly maxMessages: number,
  ) {
    this.requests = new BoundedLog(maxRequests);
    this.posts = new BoundedLog(maxPosts);
  }

  nextRequestId(): number {
    return ++this.requestSeq;
  }

  nextPostId(): number {
    return ++this.postSeq;
  }

  addMessage(message: SimMessage): void {
    this.messages.push(message);
    // A duplicate id refused with 23 must not hide the first copy from lookups by id.
    if (!this.byId.has(message.messageId)) this.byId.set(message.messageId, message);
    // Long benchmarks: forget the oldest half at once rather than one by one.
    if (this.messages.length > this.maxMessages) {
      const drop = this.messages.length - Math.floor(this.maxMessages / 2);
      for (let i = 0; i < drop; i++) {
        const old = this.messages[i]!;
        if (this.byId.get(old.messageId) === old) this.byId.delete(old.messageId);
      }
      this.messages = this.messages.slice(drop);
    }
  }

  /** Counts a caller-supplied id seen before; returns true when it is a duplicate. */
  checkDuplicate(messageId: string): boolean {
    if (!this.byId.has(messageId)) return false;
    this.duplicateCount += 1;
    this.duplicateIds.push(messageId);
    return true;
  }

  clear(): void {
    this.messages = [];
    this.byId.clear();
    this.requests.clear();
    this.posts.clear();
    this.duplicateCount = 0;
    this.duplicateIds.length = 0;
  }
}
