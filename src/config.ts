import { existsSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import { readFileSync } from 'node:fs';
import { LOOKUP_SCHEDULE_MS } from './messages/uncertain.js';
import { parseTrustProxy, type TrustProxy } from './net/trust-proxy.js';
import { zoneProblem } from './policy/locate.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

/** Validated, frozen configuration: read once at start, passed everywhere else. */
export interface Config {
  port: number;
  host: string;
  /** `postgres://…` selects PostgreSQL; anything else is a SQLite file path (or `:memory:`). */
  databaseUrl: string;
  publicUrl: string;
  /** 32-byte key for AES-256-GCM, or undefined to use (or create) a key file beside the database. */
  secretKey: Buffer | undefined;
  adminToken: string | undefined;
  logLevel: LogLevel;
  bodyLimitBytes: number;
  /** Extra provider hosts (besides Infobip's) that a credential's base URL may name. */
  providerHostAllowlist: string[];
  /** Allow http base URLs on loopback addresses: for the simulator and the demo only. */
  allowLoopbackProvider: boolean;
  /** Requests a minute per admin token on `/api`, and per credential on provider webhooks. */
  apiRateLimitPerMinute: number;
  webhookRateLimitPerMinute: number;
  /** Automatic inbound replies to one texting number an hour, and from one credential a minute. */
  inboundRepliesPerNumberPerHour: number;
  /**
   * The zone send-time windows are read in when nothing else locates a recipient (a +1 800
   * number, no profile zone or state); null: such a marketing text under a window is dropped.
   */
  policyDefaultTimeZone: string | null;
  /** Flow waits last `seconds / flowTimeScale` (the demo's accelerated clock: 1440, a day a minute). */
  flowTimeScale: number;
  inboundRepliesPerCredentialPerMinute: number;
  /** Failed authentications (401) a minute per client address on `/api` and webhooks, then 429. */
  authFailuresPerMinute: number;
  /**
   * Whose `X-Forwarded-For` gives the client's address (request.ip): false (the socket's peer),
   * true (any), or the proxies' addresses and ranges (src/net/trust-proxy.ts). Off by default.
   */
  trustProxy: TrustProxy;
  /** Bearer token `GET /metrics` requires; unset, `/metrics` answers 404 (metrics off). */
  metricsToken: string | undefined;
  /** Reports for unknown message ids kept per credential; the oldest are pruned past it. */
  unmatchedReportsPerCredential: number;
  /** Open event streams (SSE) one admin token may hold in a process; more get 429. */
  eventStreamsPerToken: number;
  /** How often an open event stream checks that its token is still valid. */
  eventStreamTokenCheckMs: number;
  /** How long an event stream waits for a client that reads nothing before dropping it. */
  eventStreamStallMs: number;
  /** Event-loop lag past which requests get 503 + Retry-After (0 = never shed). */
  maxEventLoopDelayMs: number;
  /** Run the send worker inside `tern serve` (turn off to run `tern worker` processes apart). */
  worker: boolean;
  /**
   * With `worker`: run it in a worker thread of its own, off the API's event loop. Off by
   * default: on SQLite the two threads' connections take turns at the one write lock (the batch
   * API met it past its 50 ms wait: 503s in the benchmark), and on PostgreSQL a database restart
   * ended the process with the thread on (test/pg-restart.test.ts), a cause not yet found.
   */
  workerThread: boolean;
  sendBatchSize: number;
  sendConcurrency: number;
  /** How long a worker's claim on a batch lasts; a crashed worker's batch is retaken after it. */
  sendLeaseMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Logs lookups of an uncertain send, as offsets from when it became uncertain (uncertain.ts). */
  uncertainLookupScheduleMs: readonly number[];
  /** Days each log is kept before the retention job prunes it; 0: kept forever (src/retention/). */
  retentionDays: RetentionDays;
  /** Single sign-on through an OpenID Connect provider, or null when not configured. */
  oidc: OidcConfig | null;
}

/** An OpenID Connect provider the console signs in through (src/auth/oidc.ts). */
export interface OidcConfig {
  /** The issuer URL; its `/.well-known/openid-configuration` is read on first use. */
  issuer: string;
  clientId: string;
  /** The client secret: never logged, never returned. */
  clientSecret: string;
  /** The sign-in button's label ("Sign in with <name>"). */
  name: string;
  /** `${publicUrl}/auth/oidc/callback`: register this at the provider. */
  redirectUri: string;
}

/** Retention per kind, in days (0: never pruned). The consent ledger and profiles have none. */
export interface RetentionDays {
  /** Messages, their status history and raw delivery reports (and unmatched reports). */
  messages: number;
  /** Inbound texts and rejected webhook items. */
  inbound: number;
  /** The event log (SSE, event webhooks) and event-webhook delivery attempts. */
  events: number;
}

/** Thrown with every problem found, so an operator fixes them all in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Reads `.env` (if present) under the real environment: real variables win. */
export function loadEnv(env: Env = process.env, dotenvPath = '.env'): Env {
  if (!existsSync(dotenvPath)) return env;
  return { ...parseDotenv(readFileSync(dotenvPath)), ...env };
}

/** Parses and validates the environment; throws ConfigError listing every problem. */
export function parseConfig(env: Env): Config {
  const problems: string[] = [];
  const str = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };

  const bool = (name: string, fallback: boolean): boolean => {
    const raw = str(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  };

  // Up to 12 offsets (the default has 6), each 1 s to 48 h (the longest validity), rising.
  const schedule = (name: string): readonly number[] => {
    const raw = str(name);
    if (raw === undefined) return LOOKUP_SCHEDULE_MS;
    const parts = raw.length <= 200 ? raw.split(',').map((p) => p.trim()) : [];
    const offsets = parts.map(Number);
    const ok =
      parts.length >= 1 &&
      parts.length <= 12 &&
      parts.every((p) => /^\d{1,9}$/.test(p)) &&
      offsets.every((n, i) => n >= 1000 && n <= 172_800_000 && (i === 0 || n > offsets[i - 1]!));
    if (ok) return Object.freeze(offsets);
    problems.push(
      `${name} must be 1 to 12 rising whole numbers of ms from 1000 to 172800000, comma-separated (got "${raw.slice(0, 200)}")`,
    );
    return LOOKUP_SCHEDULE_MS;
  };

  const port = int('TERN_PORT', 8080, 0, 65535);
  const host = str('TERN_HOST') ?? '127.0.0.1';
  const databaseUrl = str('DATABASE_URL') ?? './data/tern.db';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(databaseUrl) && !isPostgresUrl(databaseUrl)) {
    problems.push(
      `DATABASE_URL must be a postgres:// URL or a SQLite file path (got a "${databaseUrl.split(':')[0]}" URL)`,
    );
  }

  const publicUrl = (str('TERN_PUBLIC_URL') ?? `http://localhost:${port}`).replace(/\/+$/, '');
  if (!isHttpUrl(publicUrl)) {
    problems.push(`TERN_PUBLIC_URL must be an http(s) URL (got "${publicUrl}")`);
  }

  let secretKey: Buffer | undefined;
  const rawKey = str('TERN_SECRET_KEY');
  if (rawKey !== undefined) {
    secretKey = decodeSecretKey(rawKey);
    if (!secretKey) {
      problems.push(
        'TERN_SECRET_KEY must be 32 bytes as 64 hex characters or base64 (make one with: openssl rand -hex 32)',
      );
    }
  }

  const adminToken = str('TERN_ADMIN_TOKEN');
  if (adminToken !== undefined && adminToken.length < 16) {
    problems.push('TERN_ADMIN_TOKEN must be at least 16 characters');
  }

  const rawLevel = str('LOG_LEVEL') ?? 'info';
  const logLevel = LOG_LEVELS.find((level) => level === rawLevel.toLowerCase());
  if (!logLevel)
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${rawLevel}")`);

  const bodyLimitBytes = int('TERN_BODY_LIMIT_BYTES', 2 * 1024 * 1024, 1024, 64 * 1024 * 1024);

  const providerHostAllowlist = (str('TERN_PROVIDER_HOST_ALLOWLIST') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  for (const host of providerHostAllowlist) {
    if (!/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(host)) {
      problems.push(
        `TERN_PROVIDER_HOST_ALLOWLIST entries must be host names like sms.example.com or *.example.com (got "${host}")`,
      );
    }
  }
  const allowLoopbackProvider = bool('TERN_ALLOW_LOOPBACK_PROVIDER', false);

  const apiRateLimitPerMinute = int('TERN_RATE_LIMIT_API_PER_MINUTE', 60_000, 1, 10_000_000);
  const webhookRateLimitPerMinute = int(
    'TERN_RATE_LIMIT_WEBHOOK_PER_MINUTE',
    60_000,
    1,
    10_000_000,
  );
  // 600 a minute (10/s) is far above a person mistyping and far below a guessing script.
  const authFailuresPerMinute = int('TERN_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE', 600, 1, 10_000_000);
  // Off by default: believed from a client that reaches Tern directly, the header is a disguise.
  const trustProxyParsed = parseTrustProxy(str('TERN_TRUST_PROXY'));
  if ('problem' in trustProxyParsed) problems.push(trustProxyParsed.problem);
  const trustProxy = 'value' in trustProxyParsed ? trustProxyParsed.value : false;
  const metricsToken = str('TERN_METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 16) {
    problems.push('TERN_METRICS_TOKEN must be at least 16 characters');
  }
  // 10,000 reports of at most ~9 kB: under 90 MB a credential, however it is fed.
  const unmatchedReportsPerCredential = int(
    'TERN_UNMATCHED_REPORTS_PER_CREDENTIAL',
    10_000,
    1,
    10_000_000,
  );
  // Toll-fraud guard (src/inbound/reply-limits.ts says why these defaults).
  const inboundRepliesPerNumberPerHour = int(
    'TERN_INBOUND_REPLIES_PER_NUMBER_PER_HOUR',
    10,
    1,
    1_000_000,
  );
  const inboundRepliesPerCredentialPerMinute = int(
    'TERN_INBOUND_REPLIES_PER_CREDENTIAL_PER_MINUTE',
    1000,
    1,
    10_000_000,
  );
  // 100,000 turns the longest wait (90 days) into 78 s: beyond that a demo learns nothing.
  const flowTimeScale = int('TERN_FLOW_TIME_SCALE', 1, 1, 100_000);
  const policyDefaultTimeZone = str('TERN_POLICY_DEFAULT_TIME_ZONE') ?? null;
  if (policyDefaultTimeZone !== null) {
    const problem = zoneProblem(policyDefaultTimeZone);
    if (problem)
      problems.push(
        `TERN_POLICY_DEFAULT_TIME_ZONE: ${problem} (got "${policyDefaultTimeZone.slice(0, 64)}")`,
      );
  }
  // 10 of the process's 200 stream slots: a console in a few tabs, and 19 other tokens still fit.
  const eventStreamsPerToken = int('TERN_EVENT_STREAMS_PER_TOKEN', 10, 1, 200);
  // A revoked token's streams end within two of these (one check, one cached answer): 10 s.
  const eventStreamTokenCheckMs = int('TERN_EVENT_STREAM_TOKEN_CHECK_MS', 5000, 100, 60_000);
  const eventStreamStallMs = int('TERN_EVENT_STREAM_STALL_MS', 30_000, 100, 3_600_000);
  // Off by default: a start-up burst (JIT, migrations) on a busy machine would shed the first requests.
  const maxEventLoopDelayMs = int('TERN_MAX_EVENT_LOOP_DELAY_MS', 0, 0, 60_000);
  const worker = bool('TERN_WORKER', true);
  const workerThread = bool('TERN_WORKER_THREAD', false);
  const sendBatchSize = int('TERN_SEND_BATCH_SIZE', 500, 1, 1000);
  const sendConcurrency = int('TERN_SEND_CONCURRENCY', 8, 1, 64);
  const sendLeaseMs = int('TERN_SEND_LEASE_MS', 60_000, 1000, 3_600_000);
  const retryBaseMs = int('TERN_RETRY_BASE_MS', 2000, 1, 3_600_000);
  const retryMaxMs = int('TERN_RETRY_MAX_MS', 600_000, 1, 86_400_000);
  const uncertainLookupScheduleMs = schedule('TERN_UNCERTAIN_LOOKUP_SCHEDULE_MS');
  // Retention: 90 days covers a monthly invoice reconciliation and a carrier dispute (60 days)
  // with room, and bounds the log at ~90 × the daily volume (README "Retention" has the size
  // per million). 0 or "off" keeps forever; at most 100 years. Consent is never pruned.
  const days = (name: string, fallback: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (raw.toLowerCase() === 'off') return 0;
    if (!/^\d{1,5}$/.test(raw) || Number(raw) > 36_500) {
      problems.push(
        `${name} must be a whole number of days from 0 to 36500, or "off" (got "${raw.slice(0, 40)}")`,
      );
      return fallback;
    }
    return Number(raw);
  };
  const retentionAll = days('TERN_RETENTION_DAYS', 90);
  const retentionDays: RetentionDays = Object.freeze({
    messages: days('TERN_RETENTION_MESSAGES_DAYS', retentionAll),
    inbound: days('TERN_RETENTION_INBOUND_DAYS', retentionAll),
    events: days('TERN_RETENTION_EVENTS_DAYS', retentionAll),
  });

  const oidc = oidcConfig(str, publicUrl, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    port,
    host,
    databaseUrl,
    publicUrl,
    secretKey,
    adminToken,
    logLevel: logLevel ?? 'info',
    bodyLimitBytes,
    providerHostAllowlist,
    allowLoopbackProvider,
    apiRateLimitPerMinute,
    webhookRateLimitPerMinute,
    inboundRepliesPerNumberPerHour,
    inboundRepliesPerCredentialPerMinute,
    policyDefaultTimeZone,
    flowTimeScale,
    authFailuresPerMinute,
    trustProxy,
    metricsToken,
    unmatchedReportsPerCredential,
    eventStreamsPerToken,
    eventStreamTokenCheckMs,
    eventStreamStallMs,
    maxEventLoopDelayMs,
    worker,
    workerThread,
    sendBatchSize,
    sendConcurrency,
    sendLeaseMs,
    retryBaseMs,
    retryMaxMs,
    uncertainLookupScheduleMs,
    retentionDays,
    oidc,
  });
}

const OIDC_VARIABLES = [
  'TERN_OIDC_ISSUER',
  'TERN_OIDC_CLIENT_ID',
  'TERN_OIDC_CLIENT_SECRET',
] as const;

/**
 * Single sign-on is on when the issuer, client id and secret are all set, off when none is;
 * some but not all is a mistake worth stopping for (a half-configured sign-in fails at the
 * provider, far from the cause). http issuers only on loopback: tokens would cross the network
 * in clear.
 */
function oidcConfig(
  str: (name: string) => string | undefined,
  publicUrl: string,
  problems: string[],
): OidcConfig | null {
  const set = OIDC_VARIABLES.filter((name) => str(name) !== undefined);
  if (set.length === 0) {
    if (str('TERN_OIDC_NAME') !== undefined) {
      problems.push(
        `TERN_OIDC_NAME is set but single sign-on is not: set ${OIDC_VARIABLES.join(', ')}`,
      );
    }
    return null;
  }
  const missing = OIDC_VARIABLES.filter((name) => str(name) === undefined);
  if (missing.length > 0) {
    problems.push(
      `single sign-on is partly configured: ${set.join(', ')} set but ${missing.join(', ')} missing`,
    );
    return null;
  }
  const issuer = str('TERN_OIDC_ISSUER')!.replace(/\/+$/, '');
  if (!isOidcIssuer(issuer)) {
    problems.push(
      `TERN_OIDC_ISSUER must be an https URL of at most 512 characters (http only for localhost or 127.0.0.1) with no query or fragment (got "${issuer.slice(0, 200)}")`,
    );
  }
  const clientId = str('TERN_OIDC_CLIENT_ID')!;
  if (clientId.length > 256) problems.push('TERN_OIDC_CLIENT_ID must be at most 256 characters');
  const clientSecret = str('TERN_OIDC_CLIENT_SECRET')!;
  if (clientSecret.length > 1024) {
    problems.push('TERN_OIDC_CLIENT_SECRET must be at most 1024 characters');
  }
  const name = str('TERN_OIDC_NAME') ?? 'single sign-on';
  if (name.length > 64) problems.push('TERN_OIDC_NAME must be at most 64 characters');
  return Object.freeze({
    issuer,
    clientId,
    clientSecret,
    name,
    redirectUri: `${publicUrl}/auth/oidc/callback`,
  });
}

function isOidcIssuer(value: string): boolean {
  if (value.length > 512) return false;
  try {
    const url = new URL(value);
    if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
      return false;
    }
    if (url.protocol === 'https:') return true;
    return url.protocol === 'http:' && isLoopbackHost(url.hostname);
  } catch {
    return false;
  }
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function decodeSecretKey(raw: string): Buffer | undefined {
  if (/^[0-9a-f]{64}$/i.test(raw)) return Buffer.from(raw, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(raw)) {
    const key = Buffer.from(raw, 'base64');
    if (key.length === 32) return key;
  }
  return undefined;
}
