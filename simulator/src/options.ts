/** Simulator options with their defaults; every guess beyond infobip.md is a knob here. */
import { DEFAULT_OUTCOME_RULES, type OutcomeName, type OutcomeRule } from './outcomes.js';
import { checkScopes, type Scope } from './scopes.js';
import { systemClock, type Clock } from './time.js';

export interface BasicCredential {
  username: string;
  password: string;
  /** Default: the sending scopes (`SENDING_SCOPES`). */
  scopes?: readonly Scope[];
}

/** An API key and the scopes it holds (Infobip's `x-scopes`; see scopes.ts). */
export interface ApiKeySpec {
  key: string;
  scopes: readonly Scope[];
}

/** At most `requests` in any `windowMs` per key and endpoint, else 429. */
export interface RateLimit {
  requests: number;
  windowMs: number;
}

export interface SimulatorOptions {
  /**
   * Keys accepted in `Authorization: App <key>`, each with its scopes; a plain string holds the
   * sending scopes (`SENDING_SCOPES`: send, logs read, inbound read for SMS and MMS; not
   * `account-management:manage`, so `GET /account/1/balance` answers 403). A route outside a
   * key's scopes answers 403. Default: [`DEFAULT_API_KEY`] with the sending scopes.
   */
  apiKeys?: (string | ApiKeySpec)[];
  /** Accounts accepted in `Authorization: Basic …`. Default: none. */
  basicCredentials?: BasicCredential[];
  /** Delay between accepting a message and its final report. Default 1000 ms. */
  reportDelayMs?: number;
  /**
   * Scales Infobip's minute-scale timings: the webhook retry schedule (`1 min + n² min`) and
   * validity periods. 1 = real time; tests use e.g. 0.0001 so retries happen in milliseconds.
   */
  timeFactor?: number;
  /** Retries after the first failed webhook POST before giving up. Guess: 10 (not documented). */
  webhookMaxRetries?: number;
  /** Timeout of one webhook POST. Guess: 10 s. */
  webhookTimeoutMs?: number;
  /** Reports per webhook POST (Infobip default 100, `maxBucketSize` 1..2000). */
  reportBatchSize?: number;
  /** Outcome rules, first match wins. Default: `DEFAULT_OUTCOME_RULES` (suffix convention). */
  outcomeRules?: OutcomeRule[];
  /** Outcome when no rule matches. Default DELIVERED. */
  defaultOutcome?: OutcomeName;
  /** Inbound numbers: number → forwarding URL (MO_JSON_2). A number mapped to null uses pull. */
  inboundNumbers?: Record<string, string | null>;
  /** MMS inbound numbers: number → forwarding URL (MO_MMS_2). null: `GET /mms/1/inbox/reports`. */
  mmsInboundNumbers?: Record<string, string | null>;
  /**
   * How long after acceptance a message appears in `/sms/1/logs`, `/sms/3/logs`, `/mms/2/logs`.
   * Guess: 2000 ms (Infobip documents no figure and says logs are for display). Not scaled by
   * `timeFactor`. 0 shows messages at once.
   */
  logsLagMs?: number;
  /**
   * Throttle of each logs endpoint per key (`x-throttling-info`: 120 requests a minute), then
   * 429 in the endpoint's shape. `false` turns it off. Default `{ requests: 120, windowMs: 60000 }`.
   */
  logsRateLimit?: RateLimit | false;
  /**
   * Where reports go when a message names no webhook and did not set `notify: false` (Infobip's
   * Subscriptions fallback). Default: none, the report waits for pull (`GET /sms/1/reports`).
   */
  subscriptionReportUrl?: string;
  /** Account balance for `GET /account/1/balance`; sends beyond it are REJECTED_NOT_ENOUGH_CREDITS. */
  balance?: number;
  currency?: string;
  /** Guess: price per SMS part (Infobip prices depend on country and contract). Default 0.01. */
  pricePerPart?: number;
  /** Guess: price per MMS. Default 0.05. */
  pricePerMms?: number;
  /** Guess: the `mccMnc` put in reports (Infobip derives it from the number). Default "22801". */
  mccMnc?: string;
  /** Error shape of a 401 on `/sms/3/*` and `/mms/2/*` (unconfirmed in infobip.md). Default v3. */
  v3AuthErrorShape?: 'v3' | 'legacy';
  /** v2 answers to one destination omit `bulkId` unless the caller gave one. Default true. */
  omitBulkIdForSingleDestination?: boolean;
  /**
   * What a caller-supplied messageId already seen does: `reject` (default) answers status 23
   * REJECTED_DUPLICATE_MESSAGE_ID (group 5) for that destination in the 200, and reports it;
   * the first copy is unaffected. `accept` sends it again. Counted either way.
   */
  duplicateMessageIds?: 'accept' | 'reject';
  /** Send a final report for destinations rejected inside the 200. Guess: true. */
  reportRejected?: boolean;
  /** Add `Deprecation`/`Sunset` headers to v2 send answers, as Infobip does on deprecated paths. */
  deprecationHeaders?: boolean;
  /** Requests kept for observation (oldest dropped). Default 2 000. */
  maxRecordedRequests?: number;
  /**
   * Request bodies larger than this (by Content-Length) are recorded as
   * `{ omitted: true, bytes }` so a long benchmark does not hold every batch. Default 1 MiB.
   */
  maxRecordedBodyBytes?: number;
  /** Messages kept (the oldest half is forgotten beyond it). Default 2 000 000. */
  maxStoredMessages?: number;
  /** Webhook POSTs kept for observation (oldest dropped). Default 10 000. */
  maxRecordedPosts?: number;
  /** Request body limit in bytes. Default 32 MiB (large batches). */
  bodyLimit?: number;
  /** Fastify logger: false (default; keeps the hot path quiet) or true. */
  logger?: boolean;
  clock?: Clock;
  /** Random source for probabilistic faults (tests pass a deterministic one). */
  random?: () => number;
}

export const DEFAULT_API_KEY = 'tern-simulator-key';

export type ResolvedOptions = Required<
  Omit<
    SimulatorOptions,
    'subscriptionReportUrl' | 'inboundNumbers' | 'mmsInboundNumbers' | 'outcomeRules'
  >
> & {
  subscriptionReportUrl: string | undefined;
  inboundNumbers: Record<string, string | null>;
  mmsInboundNumbers: Record<string, string | null>;
  outcomeRules: readonly OutcomeRule[];
};

/** Infobip's logs throttle (`x-throttling-info` of the four logs endpoints). */
export const LOGS_RATE_LIMIT: RateLimit = Object.freeze({ requests: 120, windowMs: 60_000 });

/** Guess: see `logsLagMs`. */
export const DEFAULT_LOGS_LAG_MS = 2000;

function checkKeys(keys: readonly (string | ApiKeySpec)[]): void {
  keys.forEach((spec, i) => {
    if (typeof spec === 'string') return;
    const problems = checkScopes(spec.scopes, `apiKeys[${i}].scopes`);
    if (problems.length > 0) throw new Error(problems.join('; '));
  });
}

export function checkRateLimit(limit: RateLimit | false, name: string): void {
  if (limit === false) return;
  if (!Number.isInteger(limit.requests) || limit.requests < 1 || !(limit.windowMs > 0)) {
    throw new Error(`${name} needs an integer requests >= 1 and windowMs > 0`);
  }
}

export function checkBatchSize(batch: unknown): batch is number {
  return Number.isInteger(batch) && (batch as number) >= 1 && (batch as number) <= 2000;
}

export function resolveOptions(options: SimulatorOptions = {}): ResolvedOptions {
  const timeFactor = options.timeFactor ?? 1;
  if (!(timeFactor > 0)) throw new Error('timeFactor must be > 0');
  const batch = options.reportBatchSize ?? 100;
  if (!checkBatchSize(batch)) throw new Error('reportBatchSize must be an integer in 1..2000');
  const apiKeys = options.apiKeys ?? [DEFAULT_API_KEY];
  checkKeys(apiKeys);
  const logsLagMs = options.logsLagMs ?? DEFAULT_LOGS_LAG_MS;
  if (!(logsLagMs >= 0)) throw new Error('logsLagMs must be >= 0');
  const logsRateLimit = options.logsRateLimit ?? LOGS_RATE_LIMIT;
  checkRateLimit(logsRateLimit, 'logsRateLimit');
  return {
    apiKeys,
    basicCredentials: options.basicCredentials ?? [],
    reportDelayMs: options.reportDelayMs ?? 1000,
    timeFactor,
    webhookMaxRetries: options.webhookMaxRetries ?? 10,
    webhookTimeoutMs: options.webhookTimeoutMs ?? 10_000,
    reportBatchSize: batch,
    outcomeRules: options.outcomeRules ?? DEFAULT_OUTCOME_RULES,
    defaultOutcome: options.defaultOutcome ?? 'DELIVERED',
    inboundNumbers: options.inboundNumbers ?? {},
    mmsInboundNumbers: options.mmsInboundNumbers ?? {},
    logsLagMs,
    logsRateLimit,
    subscriptionReportUrl: options.subscriptionReportUrl,
    balance: options.balance ?? 100_000,
    currency: options.currency ?? 'EUR',
    pricePerPart: options.pricePerPart ?? 0.01,
    pricePerMms: options.pricePerMms ?? 0.05,
    mccMnc: options.mccMnc ?? '22801',
    v3AuthErrorShape: options.v3AuthErrorShape ?? 'v3',
    omitBulkIdForSingleDestination: options.omitBulkIdForSingleDestination ?? true,
    duplicateMessageIds: options.duplicateMessageIds ?? 'reject',
    reportRejected: options.reportRejected ?? true,
    deprecationHeaders: options.deprecationHeaders ?? false,
    maxRecordedRequests: options.maxRecordedRequests ?? 2_000,
    maxRecordedBodyBytes: options.maxRecordedBodyBytes ?? 1024 * 1024,
    maxStoredMessages: options.maxStoredMessages ?? 2_000_000,
    maxRecordedPosts: options.maxRecordedPosts ?? 10_000,
    bodyLimit: options.bodyLimit ?? 32 * 1024 * 1024,
    logger: options.logger ?? false,
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
  };
}
