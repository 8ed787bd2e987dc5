/**
 * A thin typed Infobip client: one method per endpoint Tern uses. Every method resolves to a
 * discriminated union and never throws for HTTP or network outcomes. The HTTP exchange is in
 * `transport.ts`, the failure union in `failures.ts`, the bodies in `payloads.ts`.
 */
import { invalidAnswer, type ClientResult, type RawResponse } from './failures.js';
import {
  chunkIds,
  logEntry,
  mmsRequestBody,
  sentMessages,
  smsRequestBody,
  type LogEntry,
  type MmsToSend,
  type SentMessage,
  type SmsToSend,
} from './payloads.js';
import { isRecord, num, str } from './responses.js';
import { InfobipTransport, type InfobipClientOptions } from './transport.js';

export type { InfobipStatus, Violation } from './responses.js';
export type {
  ClientResult,
  FailureResult,
  NetworkReason,
  NetworkResult,
  RejectedResult,
  RetryableResult,
} from './failures.js';
export type { LogEntry, MmsMedia, MmsToSend, SentMessage, SmsToSend } from './payloads.js';
export type { InfobipClientOptions } from './transport.js';
export { chunkIds } from './payloads.js';

/** `GET /account/1/balance`. */
export type BalanceResult = ClientResult<{ balance: number; currency: string }>;

/** The answer to a send: per-message outcomes, and ids we sent that the answer did not mention. */
export type SendResult = ClientResult<{
  bulkId: string | null;
  messages: SentMessage[];
  /** Sent ids absent from the answer: their fate is unknown, reconcile through the logs. */
  missing: string[];
}>;

/** Which logs to look in: SMS (`GET /sms/3/logs`) or MMS (`GET /mms/2/logs`). */
export type LogChannel = 'sms' | 'mms';

/** The messages Infobip knows among those asked for. */
export type LogsResult = ClientResult<{ logs: LogEntry[] }>;

/** A bare call's answer: only whether it succeeded (scope checks). */
export type ProbeResult = ClientResult<object>;

/** The Infobip API as Tern uses it. */
export interface InfobipApi {
  getBalance(): Promise<BalanceResult>;
  sendSms(batch: readonly SmsToSend[]): Promise<SendResult>;
  sendMms(batch: readonly MmsToSend[]): Promise<SendResult>;
  /** Looks the ids up in the channel's logs; an MMS is not in the SMS logs, nor the reverse. */
  findLogs(channel: LogChannel, messageIds: readonly string[]): Promise<LogsResult>;
  /** One request whose answer only says "allowed or not" (see `scopes.ts`). */
  probe(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ProbeResult>;
}

/** The endpoint of each channel's send and logs. */
export const SEND_PATH: Record<LogChannel, string> = {
  sms: '/sms/3/messages',
  mms: '/mms/2/messages',
};
export const LOGS_PATH: Record<LogChannel, string> = { sms: '/sms/3/logs', mms: '/mms/2/logs' };

/** The Infobip client; it does not own the dispatcher (close that yourself). */
export class InfobipClient implements InfobipApi {
  readonly #http: InfobipTransport;

  constructor(options: InfobipClientOptions) {
    this.#http = new InfobipTransport(options);
  }

  #parseSendAnswer(raw: RawResponse, sentIds: readonly string[]): SendResult {
    if (raw.status < 200 || raw.status >= 300) return this.#http.failure(raw, true);
    const body = raw.body;
    if (!isRecord(body) || !Array.isArray(body.messages)) {
      return invalidAnswer(
        raw,
        true,
        'its body has no messages[]; the messages may have been accepted',
      );
    }
    const messages = sentMessages(body.messages);
    const seen = new Set(messages.map((m) => m.messageId));
    return {
      kind: 'ok',
      httpStatus: raw.status,
      latencyMs: raw.latencyMs,
      bulkId: str(body, 'bulkId'),
      messages,
      missing: sentIds.filter((id) => !seen.has(id)),
    };
  }

  async getBalance(): Promise<BalanceResult> {
    const raw = await this.#http.call('GET', '/account/1/balance');
    if (raw.type === 'failure') return raw.failure;
    if (raw.status < 200 || raw.status >= 300) return this.#http.failure(raw, false);
    const body = raw.body;
    const balance = isRecord(body) ? num(body, 'balance') : null;
    const currency = isRecord(body) ? str(body, 'currency') : null;
    if (balance === null || currency === null)
      return invalidAnswer(raw, false, 'without a balance');
    return { kind: 'ok', httpStatus: raw.status, latencyMs: raw.latencyMs, balance, currency };
  }

  async probe(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ProbeResult> {
    const raw = await this.#http.call(method, path, body);
    if (raw.type === 'failure') return raw.failure;
    if (raw.status < 200 || raw.status >= 300) return this.#http.failure(raw, false);
    return { kind: 'ok', httpStatus: raw.status, latencyMs: raw.latencyMs };
  }

  async sendSms(batch: readonly SmsToSend[]): Promise<SendResult> {
    return this.#send(SEND_PATH.sms, smsRequestBody(batch), batch);
  }

  async sendMms(batch: readonly MmsToSend[]): Promise<SendResult> {
    return this.#send(SEND_PATH.mms, mmsRequestBody(batch), batch);
  }

  async #send(
    path: string,
    body: unknown,
    batch: readonly { messageId: string }[],
  ): Promise<SendResult> {
    const raw = await this.#http.call('POST', path, body);
    if (raw.type === 'failure') return raw.failure;
    return this.#parseSendAnswer(
      raw,
      batch.map((m) => m.messageId),
    );
  }

  async findLogs(channel: LogChannel, messageIds: readonly string[]): Promise<LogsResult> {
    const logs: LogEntry[] = [];
    let latencyMs = 0;
    let httpStatus = 200;
    for (const chunk of chunkIds(messageIds)) {
      const query = new URLSearchParams({
        messageId: chunk.join(','),
        limit: String(chunk.length),
      });
      const raw = await this.#http.call('GET', `${LOGS_PATH[channel]}?${query.toString()}`);
      if (raw.type === 'failure')
        return { ...raw.failure, latencyMs: latencyMs + raw.failure.latencyMs };
      latencyMs += raw.latencyMs;
      if (raw.status < 200 || raw.status >= 300)
        return { ...this.#http.failure(raw, false), latencyMs };
      const body = raw.body;
      if (!isRecord(body) || !Array.isArray(body.results)) {
        return { ...invalidAnswer(raw, false, 'its body has no results[]'), latencyMs };
      }
      httpStatus = raw.status;
      const wanted = new Set(chunk);
      for (const r of body.results) {
        const entry = logEntry(r);
        if (entry !== null && wanted.has(entry.messageId)) logs.push(entry);
      }
    }
    return { kind: 'ok', httpStatus, latencyMs: Math.round(latencyMs * 10) / 10, logs };
  }
}

/** Builds an {@link InfobipClient}; it does not own the dispatcher (close that yourself). */
export function createInfobipClient(options: InfobipClientOptions): InfobipClient {
  return new InfobipClient(options);
}
