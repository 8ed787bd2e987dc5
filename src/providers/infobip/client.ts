/**
 * A thin typed Infobip client over undici `request`, through the SSRF-guarded dispatcher.
 * Every method resolves to a discriminated union and never throws for HTTP or network outcomes,
 * so the worker decides retries in one place. The API key goes only into the Authorization
 * header; every text taken from a response or an error is scrubbed of it.
 */
import { performance } from 'node:perf_hooks';
import { request, type Dispatcher } from 'undici';
import { systemClock, type Clock } from '../../clock.js';
import { VERSION } from '../../version.js';
import {
  isRecord,
  num,
  parseErrorBody,
  parseRetryAfter,
  parseStatus,
  str,
  type InfobipStatus,
  type Violation,
} from './responses.js';
import { mapInfobipStatus, type MessageStatus } from './status-map.js';
import { parseInfobipTime } from './time.js';

export type { InfobipStatus, Violation } from './responses.js';

/** The provider refused the request; sending it again unchanged will not help. */
export interface RejectedResult {
  kind: 'rejected';
  httpStatus: number;
  /** Infobip's code: legacy `messageId` (`UNAUTHORIZED`, `BAD_REQUEST`) or v3 `errorCode` (`E401`). */
  code: string;
  message: string;
  violations: Violation[];
  retryable: false;
  latencyMs: number;
}

/** Try again later: 429 (honour `retryAfterMs`), 408 or 5xx. */
export interface RetryableResult {
  kind: 'retryable';
  httpStatus?: number;
  code: string;
  message: string;
  retryAfterMs?: number;
  /** True for a 5xx answer to a send: the provider may have accepted it anyway (check the logs). */
  maybeAccepted: boolean;
  latencyMs: number;
}

/** Why a request got no usable HTTP answer. */
export type NetworkReason =
  | 'address_refused'
  | 'dns'
  | 'connect'
  | 'tls'
  | 'timeout'
  | 'reset'
  | 'invalid_response'
  | 'other';

/** No usable answer. `maybeAccepted`: the request may have reached the provider (reconcile via logs). */
export interface NetworkResult {
  kind: 'network';
  reason: NetworkReason;
  message: string;
  maybeAccepted: boolean;
  latencyMs: number;
}

/** Every way a call can fail. */
export type FailureResult = RejectedResult | RetryableResult | NetworkResult;

/** A successful call with its payload `T`, or a failure. */
export type ClientResult<T> =
  ({ kind: 'ok'; httpStatus: number; latencyMs: number } & T) | FailureResult;

/** `GET /account/1/balance`. */
export type BalanceResult = ClientResult<{ balance: number; currency: string }>;

/** One SMS for `POST /sms/3/messages`: one destination, Tern's id as the provider messageId. */
export interface SmsToSend {
  messageId: string;
  /** E.164; a leading `+` is dropped (Infobip wants international format without it). */
  to: string;
  sender: string;
  text: string;
  /** Whole hours (Infobip clamps above 48). */
  validityHours?: number;
  callbackData?: string;
  /** Where Infobip POSTs delivery reports. */
  notifyUrl?: string;
  indiaDlt?: { principalEntityId: string; contentTemplateId?: string };
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
  sender: string;
  title?: string;
  text?: string;
  media: MmsMedia[];
  validityHours?: number;
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

/** The answer to a send: per-message outcomes, and ids we sent that the answer did not mention. */
export type SendResult = ClientResult<{
  bulkId: string | null;
  messages: SentMessage[];
  /** Sent ids absent from the answer: their fate is unknown, reconcile through the logs. */
  missing: string[];
}>;

/** Which logs to look in: SMS (`GET /sms/3/logs`) or MMS (`GET /mms/2/logs`). */
export type LogChannel = 'sms' | 'mms';

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

/** The messages Infobip knows among those asked for. */
export type LogsResult = ClientResult<{ logs: LogEntry[] }>;

/** How the client reaches Infobip. */
export interface InfobipClientOptions {
  /** A base URL already accepted by `checkProviderBaseUrl`. */
  baseUrl: string;
  apiKey: string;
  /** Normally `createGuardedDispatcher(...)`, shared by all clients of a process. */
  dispatcher: Dispatcher;
  /** Default for both timeouts below. */
  timeoutMs?: number;
  /** Time to wait for the response headers once the request is sent. Default 15 s. */
  headersTimeoutMs?: number;
  /** Longest pause between body chunks. Default 15 s. */
  bodyTimeoutMs?: number;
  /** Answers larger than this are refused. Default 8 MiB (1,000 log entries are ~1 MiB). */
  maxResponseBytes?: number;
  /** For `Retry-After` HTTP-dates. */
  clock?: Clock;
}

/** The Infobip API as Tern uses it (tests of callers may fake it). */
export interface InfobipApi {
  getBalance(): Promise<BalanceResult>;
  sendSms(batch: readonly SmsToSend[]): Promise<SendResult>;
  sendMms(batch: readonly MmsToSend[]): Promise<SendResult>;
  /** Looks the ids up in the channel's logs; an MMS is not in the SMS logs, nor the reverse. */
  findLogs(channel: LogChannel, messageIds: readonly string[]): Promise<LogsResult>;
}

// Infobip documents a 2048-character cap for each comma-separated list filter of /sms/3/logs and
// at most 1000 results per call (infobip.md §4.4); /mms/2/logs states the same for messageId and
// limit (Infobip's Java client, MmsApi.getOutboundMmsMessageLogs).
const LOGS_LIST_MAX_CHARS = 2048;
const LOGS_MAX_PER_CALL = 1000;
const LOGS_PATH: Record<LogChannel, string> = { sms: '/sms/3/logs', mms: '/mms/2/logs' };

const USER_AGENT = `tern/${VERSION}`;

type Method = 'GET' | 'POST';

type RawOutcome =
  | {
      type: 'response';
      status: number;
      headers: Record<string, string | string[] | undefined>;
      body: unknown;
      text: string;
      latencyMs: number;
    }
  | { type: 'failure'; failure: FailureResult };

function withoutPlus(n: string): string {
  return n.startsWith('+') ? n.slice(1) : n;
}

/** A numeric sender given in E.164 loses its `+`; alphanumeric senders are left alone. */
function senderField(sender: string): string {
  return /^\+\d+$/.test(sender) ? sender.slice(1) : sender;
}

function errorCode(err: unknown): string | undefined {
  if (!isRecord(err)) return undefined;
  const code = err.code;
  if (typeof code === 'string') return code;
  // Happy-eyeballs connects fail with an AggregateError of the per-address errors.
  if (err instanceof AggregateError) {
    for (const inner of err.errors) {
      const c = errorCode(inner);
      if (c !== undefined) return c;
    }
  }
  return errorCode(err.cause);
}

function bytesWritten(err: unknown): number | undefined {
  if (!isRecord(err) || !isRecord(err.socket)) return undefined;
  const n = err.socket.bytesWritten;
  return typeof n === 'number' ? n : undefined;
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'EHOSTDOWN',
  'ENETDOWN',
]);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'ENODATA']);

/** Classifies a thrown network error; `sideEffects` is true for requests that change state (sends). */
function networkFailure(
  err: unknown,
  sideEffects: boolean,
  latencyMs: number,
  scrub: (s: string) => string,
): NetworkResult {
  const code = errorCode(err) ?? '';
  const detail = scrub(err instanceof Error ? err.message : String(err));
  const fail = (reason: NetworkReason, maybe: boolean, what: string): NetworkResult => ({
    kind: 'network',
    reason,
    maybeAccepted: sideEffects && maybe,
    message: `${what}: ${detail}${code !== '' && !detail.includes(code) ? ` (${code})` : ''}`,
    latencyMs,
  });
  if (code === 'ERR_TERN_ADDRESS_REFUSED')
    return fail('address_refused', false, 'Provider address refused');
  if (DNS_CODES.has(code)) return fail('dns', false, 'Provider host not found');
  if (CONNECT_CODES.has(code)) return fail('connect', false, 'Could not connect to the provider');
  if (code === 'UND_ERR_CONNECT_TIMEOUT')
    return fail('timeout', false, 'Timed out connecting to the provider');
  if (code.startsWith('ERR_TLS') || code.includes('CERT') || code.startsWith('ERR_SSL')) {
    return fail('tls', false, 'TLS handshake with the provider failed');
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return fail('timeout', true, 'Timed out waiting for the provider after sending the request');
  }
  if (
    code === 'UND_ERR_SOCKET' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'UND_ERR_CLOSED'
  ) {
    // Nothing written on the socket: the provider cannot have seen the request.
    return fail('reset', bytesWritten(err) !== 0, 'The provider closed the connection');
  }
  if (code === 'UND_ERR_INVALID_ARG' || code === 'ERR_INVALID_URL' || code === 'ERR_INVALID_CHAR') {
    return fail('other', false, 'The request could not be built');
  }
  // Unknown: assume the worst for sends, so the caller reconciles rather than sends twice.
  return fail('other', true, 'Provider request failed');
}

function validity(hours: number | undefined): { amount: number; timeUnit: 'HOURS' } | undefined {
  return hours === undefined ? undefined : { amount: hours, timeUnit: 'HOURS' };
}

// One reader for both channels: the SMS v3 and MMS v2 entries name these fields alike.
function logEntry(raw: unknown): LogEntry | null {
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

/** The Infobip client; it does not own the dispatcher (close that yourself). */
export class InfobipClient implements InfobipApi {
  readonly #base: string;
  readonly #apiKey: string;
  readonly #dispatcher: Dispatcher;
  readonly #headersTimeout: number;
  readonly #bodyTimeout: number;
  readonly #maxBytes: number;
  readonly #clock: Clock;

  constructor(options: InfobipClientOptions) {
    this.#base = options.baseUrl.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#dispatcher = options.dispatcher;
    this.#headersTimeout = options.headersTimeoutMs ?? options.timeoutMs ?? 15_000;
    this.#bodyTimeout = options.bodyTimeoutMs ?? options.timeoutMs ?? 15_000;
    this.#maxBytes = options.maxResponseBytes ?? 8 * 1024 * 1024;
    this.#clock = options.clock ?? systemClock;
  }

  /** Removes the API key from any text that came from outside (answers, error messages). */
  #scrub = (s: string): string =>
    this.#apiKey.length >= 4 ? s.split(this.#apiKey).join('[redacted]') : s;

  async #call(method: Method, path: string, payload?: unknown): Promise<RawOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
    const sideEffects = method === 'POST';
    const headers: Record<string, string> = {
      authorization: `App ${this.#apiKey}`,
      accept: 'application/json',
      'user-agent': USER_AGENT,
    };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    try {
      const res = await request(`${this.#base}${path}`, {
        method,
        headers,
        body: payload === undefined ? undefined : JSON.stringify(payload),
        dispatcher: this.#dispatcher,
        headersTimeout: this.#headersTimeout,
        bodyTimeout: this.#bodyTimeout,
        // undici 7 never follows redirects without an interceptor: the key stays on this host.
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        size += buf.length;
        if (size > this.#maxBytes) {
          res.body.destroy();
          return {
            type: 'failure',
            failure: {
              kind: 'network',
              reason: 'invalid_response',
              maybeAccepted: sideEffects && res.statusCode < 300,
              message: `The provider's answer exceeded ${this.#maxBytes} bytes (HTTP ${res.statusCode})`,
              latencyMs: elapsed(),
            },
          };
        }
        chunks.push(buf);
      }
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = undefined;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = undefined;
      }
      return {
        type: 'response',
        status: res.statusCode,
        headers: res.headers,
        body,
        text,
        latencyMs: elapsed(),
      };
    } catch (err) {
      return { type: 'failure', failure: networkFailure(err, sideEffects, elapsed(), this.#scrub) };
    }
  }

  /** Maps a non-2xx answer onto the failure union. */
  #httpFailure(
    raw: Extract<RawOutcome, { type: 'response' }>,
    sideEffects: boolean,
  ): FailureResult {
    const parsed = parseErrorBody(raw.body);
    const status = raw.status;
    const snippet = raw.text.replace(/\s+/g, ' ').trim().slice(0, 200);
    const code = this.#scrub(parsed?.code ?? `HTTP_${status}`);
    const message = this.#scrub(
      parsed !== null && parsed.message !== ''
        ? parsed.message
        : `HTTP ${status}${snippet !== '' ? `: ${snippet}` : ''}`,
    );
    if (status === 429 || status === 408 || status >= 500) {
      const retryAfterMs = parseRetryAfter(raw.headers['retry-after'], this.#clock.now().getTime());
      return {
        kind: 'retryable',
        httpStatus: status,
        code,
        message,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        maybeAccepted: sideEffects && status >= 500,
        latencyMs: raw.latencyMs,
      };
    }
    return {
      kind: 'rejected',
      httpStatus: status,
      code,
      message:
        status >= 300 && status < 400
          ? `Unexpected redirect (HTTP ${status}), not followed`
          : message,
      violations: (parsed?.violations ?? []).map((v) => ({
        property: this.#scrub(v.property),
        violation: this.#scrub(v.violation),
      })),
      retryable: false,
      latencyMs: raw.latencyMs,
    };
  }

  #invalid(
    raw: { status: number; latencyMs: number },
    sideEffects: boolean,
    what: string,
  ): NetworkResult {
    return {
      kind: 'network',
      reason: 'invalid_response',
      maybeAccepted: sideEffects,
      message: `The provider answered HTTP ${raw.status} but ${what}`,
      latencyMs: raw.latencyMs,
    };
  }

  #parseSendAnswer(
    raw: Extract<RawOutcome, { type: 'response' }>,
    sentIds: readonly string[],
  ): SendResult {
    if (raw.status < 200 || raw.status >= 300) return this.#httpFailure(raw, true);
    const body = raw.body;
    if (!isRecord(body) || !Array.isArray(body.messages)) {
      return this.#invalid(
        raw,
        true,
        'its body has no messages[]; the messages may have been accepted',
      );
    }
    const messages: SentMessage[] = [];
    for (const m of body.messages) {
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
    const raw = await this.#call('GET', '/account/1/balance');
    if (raw.type === 'failure') return raw.failure;
    if (raw.status < 200 || raw.status >= 300) return this.#httpFailure(raw, false);
    const body = raw.body;
    const balance = isRecord(body) ? num(body, 'balance') : null;
    const currency = isRecord(body) ? str(body, 'currency') : null;
    if (balance === null || currency === null)
      return this.#invalid(raw, false, 'without a balance');
    return { kind: 'ok', httpStatus: raw.status, latencyMs: raw.latencyMs, balance, currency };
  }

  async sendSms(batch: readonly SmsToSend[]): Promise<SendResult> {
    const messages = batch.map((m) => {
      const options: Record<string, unknown> = {};
      const vp = validity(m.validityHours);
      if (vp) options.validityPeriod = vp;
      if (m.indiaDlt) {
        options.regional = {
          indiaDlt: {
            principalEntityId: m.indiaDlt.principalEntityId,
            ...(m.indiaDlt.contentTemplateId !== undefined
              ? { contentTemplateId: m.indiaDlt.contentTemplateId }
              : {}),
          },
        };
      }
      const webhooks: Record<string, unknown> = {};
      if (m.notifyUrl !== undefined) {
        webhooks.delivery = { url: m.notifyUrl };
        webhooks.contentType = 'application/json';
      }
      if (m.callbackData !== undefined) webhooks.callbackData = m.callbackData;
      return {
        sender: senderField(m.sender),
        destinations: [{ to: withoutPlus(m.to), messageId: m.messageId }],
        content: { text: m.text },
        ...(Object.keys(options).length > 0 ? { options } : {}),
        ...(Object.keys(webhooks).length > 0 ? { webhooks } : {}),
      };
    });
    const raw = await this.#call('POST', '/sms/3/messages', { messages });
    if (raw.type === 'failure') return raw.failure;
    return this.#parseSendAnswer(
      raw,
      batch.map((m) => m.messageId),
    );
  }

  async sendMms(batch: readonly MmsToSend[]): Promise<SendResult> {
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
      const vp = validity(m.validityHours);
      const webhooks: Record<string, unknown> = {};
      if (m.notifyUrl !== undefined) webhooks.delivery = { url: m.notifyUrl };
      if (m.callbackData !== undefined) webhooks.callbackData = m.callbackData;
      return {
        sender: senderField(m.sender),
        destinations: [{ to: withoutPlus(m.to), messageId: m.messageId }],
        content: {
          ...(m.title !== undefined ? { title: m.title } : {}),
          messageSegments: segments,
        },
        ...(vp ? { options: { validityPeriod: vp } } : {}),
        ...(Object.keys(webhooks).length > 0 ? { webhooks } : {}),
      };
    });
    const raw = await this.#call('POST', '/mms/2/messages', { messages });
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
      const raw = await this.#call('GET', `${LOGS_PATH[channel]}?${query.toString()}`);
      if (raw.type === 'failure')
        return { ...raw.failure, latencyMs: latencyMs + raw.failure.latencyMs };
      latencyMs += raw.latencyMs;
      if (raw.status < 200 || raw.status >= 300)
        return { ...this.#httpFailure(raw, false), latencyMs };
      const body = raw.body;
      if (!isRecord(body) || !Array.isArray(body.results)) {
        return { ...this.#invalid(raw, false, 'its body has no results[]'), latencyMs };
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
