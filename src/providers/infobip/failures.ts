/**
 * The ways an Infobip call fails, as the client reports them: a thrown network error or a
 * non-2xx answer mapped onto one union. The adapter (`provider.ts`) maps these onto the
 * contract's taxonomy; nothing here decides retries.
 */
import type { Clock } from '../../clock.js';
import type { UnreachableReason } from '../provider.js';
import { isRecord, parseErrorBody, parseRetryAfter, type Violation } from './responses.js';

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
export type NetworkReason = UnreachableReason;

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

/** An HTTP answer as the transport read it. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  text: string;
  latencyMs: number;
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
export function networkFailure(
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

/** Maps a non-2xx answer onto the failure union. */
export function httpFailure(
  raw: RawResponse,
  sideEffects: boolean,
  scrub: (s: string) => string,
  clock: Clock,
): FailureResult {
  const parsed = parseErrorBody(raw.body);
  const status = raw.status;
  const snippet = raw.text.replace(/\s+/g, ' ').trim().slice(0, 200);
  const code = scrub(parsed?.code ?? `HTTP_${status}`);
  const message = scrub(
    parsed !== null && parsed.message !== ''
      ? parsed.message
      : `HTTP ${status}${snippet !== '' ? `: ${snippet}` : ''}`,
  );
  if (status === 429 || status === 408 || status >= 500) {
    const retryAfterMs = parseRetryAfter(raw.headers['retry-after'], clock.now().getTime());
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
      property: scrub(v.property),
      violation: scrub(v.violation),
    })),
    retryable: false,
    latencyMs: raw.latencyMs,
  };
}

/** A 2xx answer Tern cannot read: treated as no answer (a send may have been accepted). */
export function invalidAnswer(
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
