/**
 * One HTTP exchange with Infobip over undici `request`, through the SSRF-guarded dispatcher:
 * the `App` key in the Authorization header only, timeouts, a cap on the answer's size, and
 * every thrown error classified (never thrown on). Texts from outside are scrubbed of the key.
 */
import { performance } from 'node:perf_hooks';
import { request, type Dispatcher } from 'undici';
import { systemClock, type Clock } from '../../clock.js';
import { VERSION } from '../../version.js';
import { httpFailure, networkFailure, type FailureResult, type RawResponse } from './failures.js';

/** How the client reaches Infobip. */
export interface InfobipClientOptions {
  /** A base URL already accepted by `checkProviderBaseUrl` (a bare host gets `https://`). */
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

/** An answer, or a failure to get one. */
export type RawOutcome =
  ({ type: 'response' } & RawResponse) | { type: 'failure'; failure: FailureResult };

const USER_AGENT = `tern/${VERSION}`;

/**
 * The base URL as the portal shows it (`xxxxx.api.infobip.com`) or with a scheme: a bare host
 * gets `https://` (as Infobip's own SDKs do, infobip.md §1.1); trailing slashes go.
 */
export function normaliseBaseUrl(baseUrl: string): string {
  const trimmed = baseUrl.trim().replace(/\/+$/, '');
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
}

/** The HTTP layer of the client; it does not own the dispatcher. */
export class InfobipTransport {
  readonly #base: string;
  readonly #apiKey: string;
  readonly #dispatcher: Dispatcher;
  readonly #headersTimeout: number;
  readonly #bodyTimeout: number;
  readonly #maxBytes: number;
  readonly clock: Clock;

  constructor(options: InfobipClientOptions) {
    this.#base = normaliseBaseUrl(options.baseUrl);
    this.#apiKey = options.apiKey;
    this.#dispatcher = options.dispatcher;
    this.#headersTimeout = options.headersTimeoutMs ?? options.timeoutMs ?? 15_000;
    this.#bodyTimeout = options.bodyTimeoutMs ?? options.timeoutMs ?? 15_000;
    this.#maxBytes = options.maxResponseBytes ?? 8 * 1024 * 1024;
    this.clock = options.clock ?? systemClock;
  }

  /** Removes the API key from any text that came from outside (answers, error messages). */
  scrub = (s: string): string =>
    this.#apiKey.length >= 4 ? s.split(this.#apiKey).join('[redacted]') : s;

  /** A non-2xx answer as a failure (`sideEffects`: the request was a send). */
  failure(raw: RawResponse, sideEffects: boolean): FailureResult {
    return httpFailure(raw, sideEffects, this.scrub, this.clock);
  }

  async call(method: 'GET' | 'POST', path: string, payload?: unknown): Promise<RawOutcome> {
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
      return { type: 'failure', failure: networkFailure(err, sideEffects, elapsed(), this.scrub) };
    }
  }
}
