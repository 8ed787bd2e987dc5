/** The console talks to Tern through its public REST API only: this is the one client. */

export interface ErrorDetail {
  path?: string;
  message: string;
  [key: string]: unknown;
}

/** An error answer from Tern (`{error: {code, message, details}}`), or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Messages keyed by body field (`/baseUrl` → `baseUrl`), for showing next to inputs. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const detail of this.details) {
      const field = detail.path?.replace(/^\//, '').split('/')[0];
      if (field && !field.startsWith('headers') && out[field] === undefined)
        out[field] = detail.message;
    }
    return out;
  }
}

/** The signed-in person, as /auth/login, /auth/session and an accepted invitation answer. */
export interface SignedInUser {
  id: string;
  email: string;
  name: string;
  instanceAdmin: boolean;
}

/**
 * Who the console calls as: an admin token (sent as a Bearer header), or a signed-in person whose
 * session cookie the browser sends itself (`token` null) with the CSRF token on unsafe methods.
 */
export interface Session {
  token: string | null;
  sandbox: string;
  /** The cookie session's CSRF token (x-csrf-token on POST, PUT, PATCH and DELETE). */
  csrfToken?: string;
  user?: SignedInUser;
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The headers that say who calls: the token, or (cookie session, unsafe method) the CSRF token. */
export function authHeaders(session: Session, method = 'GET'): Record<string, string> {
  const headers: Record<string, string> = { 'x-sandbox-name': session.sandbox };
  if (session.token !== null) headers.authorization = `Bearer ${session.token}`;
  else if (session.csrfToken && UNSAFE_METHODS.has(method.toUpperCase()))
    headers['x-csrf-token'] = session.csrfToken;
  return headers;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

type Query = Record<string, string | number | boolean | undefined | null>;

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

export interface ApiResponse<T> {
  body: T;
  etag: string | null;
  status: number;
}

/** A client bound to a token and a sandbox. */
export class Api {
  constructor(
    readonly session: Session,
    private readonly onUnauthorized: () => void = () => undefined,
  ) {}

  headers(extra: Record<string, string> = {}, method = 'GET'): Record<string, string> {
    return { ...authHeaders(this.session, method), ...extra };
  }

  async request<T>(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown; ifMatch?: string | null } = {},
  ): Promise<ApiResponse<T>> {
    const headers = this.headers({}, method);
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.ifMatch) headers['if-match'] = options.ifMatch;
    let res: Response;
    try {
      res = await fetch(`/api${path}${queryString(options.query)}`, {
        method,
        headers,
        // A cookie session rides on the browser's cookie; same-origin only.
        credentials: 'same-origin',
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
    } catch (error) {
      throw new ApiError(
        0,
        'network_error',
        `Tern did not answer (${error instanceof Error ? error.message : String(error)}).`,
      );
    }
    const text = await res.text();
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (!res.ok) {
      const error = (body as { error?: { code?: string; message?: string; details?: [] } } | null)
        ?.error;
      if (res.status === 401) this.onUnauthorized();
      throw new ApiError(
        res.status,
        error?.code ?? 'http_error',
        error?.message ?? `Tern answered ${res.status}.`,
        error?.details ?? [],
      );
    }
    return { body: body as T, etag: res.headers.get('etag'), status: res.status };
  }

  async get<T>(path: string, query?: Query): Promise<T> {
    return (await this.request<T>('GET', path, { query })).body;
  }
  async post<T>(path: string, body: unknown = {}): Promise<T> {
    return (await this.request<T>('POST', path, { body })).body;
  }
  async put<T>(path: string, body: unknown): Promise<T> {
    return (await this.request<T>('PUT', path, { body })).body;
  }
  async delete(path: string, query?: Query): Promise<void> {
    await this.request<unknown>('DELETE', path, { query });
  }
}

/** Checks a token or a cookie session (and the sandbox) by asking who it belongs to. */
export async function whoAmI(session: Session): Promise<Me> {
  return new Api(session).get<Me>('/v1/me');
}

// ---- Resource shapes (as the OpenAPI document describes them) ----

export interface Me {
  token: { id: string; name: string; sandbox: string | null } | null;
  user: (SignedInUser & { memberships: { sandbox: string; roles: string[] }[] }) | null;
  sandbox: string;
  [key: string]: unknown;
}

export interface Sandbox {
  name: string;
  consentPolicy?: string;
  createdAt?: string;
  [key: string]: unknown;
}

/** What the last provider calls with a credential's key met (flagged at the first failure). */
export interface CredentialHealth {
  status: 'unknown' | 'ok' | 'failing';
  problem: string | null;
  message: string | null;
  since: string | null;
  checkedAt: string | null;
}

/** Why Infobip cannot reach Tern's webhook URLs (TERN_PUBLIC_URL local or plain http). */
export interface CredentialWarning {
  code: 'public_url_not_reachable' | 'public_url_not_https';
  message: string;
}

/** How long the provider may try to deliver (Infobip's own shape). */
export interface ValidityPeriod {
  amount: number;
  timeUnit: 'SECONDS' | 'MINUTES' | 'HOURS';
}

export interface CredentialSummary {
  id: string;
  name: string;
  provider: string;
  baseUrl: string;
  apiKeyHint: string;
  inboundNumber: string | null;
  validityPeriod: ValidityPeriod;
  health: CredentialHealth;
  warnings: CredentialWarning[];
  createdAt: string;
  updatedAt: string;
  version: number;
}

export type FuzzyOptOut = 'off' | 'reply' | 'opt-out';

export interface Credential extends CredentialSummary {
  sandbox: string;
  optInKeywords: string[];
  optInMessage: string;
  optOutKeywords: string[];
  optOutMessage: string;
  helpKeywords: string[];
  helpMessage: string;
  doubleOptInKeywords: string[];
  doubleOptInMessage: string;
  dltPrincipalEntityId: string | null;
  dltContentTemplateId: string | null;
  dltTelemarketerId: string | null;
  /** Whole hours (older form); null when validityPeriod is not whole hours. */
  validityPeriodHours: number | null;
  callbackData: string | null;
  customInboundKeywords: string[];
  defaultInboundReply: string | null;
  fuzzyOptOut: FuzzyOptOut;
  fuzzyOptOutReply: string;
  sendRatePerSecond: number;
  providerAuthFailedAt: string | null;
  /** Null unless the caller may manage credentials: the URLs carry their secrets. */
  webhooks: {
    inbound: { url: string | null; secret: string | null };
    deliveryReports: { url: string | null; secret: string | null };
  };
}

/** One scope Tern uses, and whether the key has it (403 on its endpoint: missing). */
export interface ScopeCheck {
  feature: string;
  scopes: string[];
  endpoint: string;
  state: 'granted' | 'missing' | 'unknown';
  detail?: string;
}

export interface VerifyResult {
  status: 'ok' | 'unauthorized' | 'missing_scope' | 'unreachable' | 'error';
  message: string;
  latencyMs: number;
  httpStatus?: number;
  scopes: ScopeCheck[];
}

export interface ChannelConfiguration {
  id: string;
  name: string;
  description: string | null;
  channel: 'sms' | 'mms';
  messageType: 'marketing' | 'transactional';
  credentialId: string;
  sender: string;
  marketingFooter: string | null;
  dltContentTemplateId: string | null;
  dltTelemarketerId: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export type MessageStatus = string;

export interface Message {
  id: string;
  channelConfigurationId: string | null;
  credentialId: string;
  channel: string;
  messageType: string;
  sender: string;
  to: string;
  text: string | null;
  status: MessageStatus;
  statusReason: string | null;
  attempts: number;
  segments: number;
  encoding: string;
  origin: string;
  createdAt: string;
  updatedAt: string;
  doneAt: string | null;
  validUntil: string;
  providerError: unknown;
  /** The last error a provider call for this message met, kept after a later success. */
  lastProviderError: { message: string; at: string } | null;
  /** The id the provider knows the message by; null until it accepted the message. */
  providerMessageId: string | null;
  /** When Tern hands it to the provider (a hold's release); null when it never goes. */
  scheduledFor: string | null;
  /** What the send-time policy did to it; null when it let it go. */
  policy: MessagePolicy | null;
}

/** A marketing message the send-time policy held (until `heldUntil`) or dropped. */
export interface MessagePolicy {
  action: 'held' | 'dropped';
  rule: string;
  source: string;
  heldUntil: string | null;
}

export interface MessageDetail {
  message: Message;
  history: { id: string; at: string; status: string; reason: string | null; report: unknown }[];
  reports: { receivedAt: string; report: unknown }[];
}

export type Consent = 'subscribed' | 'unsubscribed' | 'pending' | 'unknown';

export interface Profile {
  id: string;
  phone: string;
  consent: Consent;
  consentUpdatedAt: string | null;
  attributes: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface ConsentEntry {
  id: string;
  from: string;
  to: string;
  source: string;
  actor: string | null;
  note: string | null;
  at: string;
}

/** One part of an inbound MMS: a text, or a link to media Infobip hosts. */
export type InboundPart =
  { contentType: string | null; text: string } | { contentType: string | null; url: string };

export interface InboundMessage {
  id: string;
  credentialId: string | null;
  from: string;
  to: string;
  channel: 'sms' | 'mms';
  text: string;
  /** An MMS's parts in order; empty for a text. */
  parts: InboundPart[];
  category: string | null;
  action: string | null;
  replyMessageId: string | null;
  receivedAt: string;
}

export interface ProfileDetail {
  phone: string;
  consent: Consent;
  profile: Profile | null;
  consentHistory: ConsentEntry[];
  pendingDoubleOptIn: { expiresAt: string; requestedAt: string } | null;
  inbound: InboundMessage[];
  outbound: Message[];
}

export interface AdminToken {
  id: string;
  name: string;
  sandbox: string | null;
  createdAt: string;
  lastUsedAt?: string | null;
  revokedAt?: string | null;
  [key: string]: unknown;
}

export interface AuditEntry {
  id: string;
  /** Null for a change outside any sandbox (a sandbox created, an all-sandbox token). */
  sandbox: string | null;
  at: string;
  action: string;
  resourceType?: string;
  resourceId?: string | null;
  resourceName?: string | null;
  actor?: string | null;
  actorName?: string | null;
  details: Record<string, unknown> | null;
  [key: string]: unknown;
}

export interface TernEvent {
  id: string;
  type: string;
  at: string;
  payload: Record<string, unknown>;
}

/** `GET /v1/stats`: counts from the server's rollups (exact at any volume). */
export type StatsRange = '24h' | '7d' | '30d';
export interface StatsBucket {
  start: string;
  created: number;
  sent: number;
  delivered: number;
  failed: number;
  suppressed: number;
  optIns: number;
  optOuts: number;
}
export interface Stats {
  range: StatsRange;
  bucket: 'hour' | 'day';
  from: string;
  to: string;
  channelConfigurationId: string | null;
  messages: Record<
    | 'total'
    | 'queued'
    | 'retrying'
    | 'accepted'
    | 'delivered'
    | 'undeliverable'
    | 'expired'
    | 'rejected'
    | 'failed'
    | 'suppressed'
    | 'paused'
    | 'cancelled',
    number
  >;
  events: Record<
    'sent' | 'delivered' | 'undeliverable' | 'expired' | 'rejected' | 'failed',
    number
  >;
  queue: { queued: number; retrying: number };
  consent: { optIns: number; optOuts: number };
  series: StatsBucket[];
}

// ---- Issue 15: templates, audiences (segments and lists), campaigns ----
// As the route schemas (src/http/routes/{templates,segments,lists,campaigns}.ts) answer.

export type TemplateMessageType = 'marketing' | 'transactional';

export interface TemplateMedia {
  url: string;
  contentType?: string;
}

/** A template with its current version's content (`GET /v1/templates/:id`). */
export interface Template {
  id: string;
  name: string;
  version: number;
  body: string;
  media: TemplateMedia[];
  messageType: TemplateMessageType;
  dltContentTemplateId: string | null;
  dltTemplateText: string | null;
  createdAt: string;
  updatedAt?: string;
  [key: string]: unknown;
}

/** One immutable version of a template (`GET /v1/templates/:id/versions`). */
export interface TemplateVersion {
  version: number;
  body: string;
  media: TemplateMedia[];
  messageType: TemplateMessageType;
  dltContentTemplateId: string | null;
  dltTemplateText: string | null;
  createdAt: string;
  createdBy?: string | null;
  [key: string]: unknown;
}

/** A text rendered for one recipient and checked as the send path will send it. */
export interface RenderedPreview {
  profileId: string | null;
  phone: string | null;
  ok: boolean;
  text: string;
  characters?: number;
  segments: number;
  encoding: string;
  problems: ErrorDetail[];
}

/** The segment rule AST (src/audiences/segment-rule.ts): groups and leaves. */
export type SegmentRule =
  { all: SegmentRule[] } | { any: SegmentRule[] } | { not: SegmentRule } | Record<string, unknown>;

export interface Segment {
  id: string;
  name: string;
  description?: string | null;
  rule: SegmentRule;
  live: boolean;
  createdAt: string;
  updatedAt: string;
  version?: number;
  [key: string]: unknown;
}

export interface AudienceList {
  id: string;
  name: string;
  description?: string | null;
  createdAt: string;
  updatedAt: string;
  version?: number;
  [key: string]: unknown;
}

/** A member of a segment or a list: a profile. */
export interface AudienceMember {
  id: string;
  phone: string;
  consent: Consent;
  attributes?: Record<string, unknown>;
  [key: string]: unknown;
}

export type Audience = { segmentId: string } | { listId: string };

export type CampaignStatus =
  'draft' | 'scheduled' | 'running' | 'paused' | 'completed' | 'cancelled';

export interface CampaignPacing {
  perSecond?: number;
  perMinute?: number;
}

export interface Campaign {
  id: string;
  name: string;
  status: CampaignStatus;
  /** Why it last changed status when not asked to (an auto-pause names the rate). */
  statusReason: string | null;
  audience: Audience;
  templateId: string;
  templateVersion: number;
  channelConfigurationId: string;
  sendAt: string | null;
  pacing: CampaignPacing;
  seedPhones: string[];
  autoPause: { optOutRate: number; failureRate: number; minSample: number };
  progress: {
    recipients: number;
    snapshotDone: boolean;
    fannedOut: number;
    queued: number;
    excluded: number;
    renderFailed: number;
  };
  confirmedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** `POST /v1/campaigns/:id/estimate`: who gets it, who not and why, parts and encodings. */
export interface CampaignEstimate {
  recipients: number;
  eligible: number;
  excluded: { total: number; byReason: { consent: string; reason: string; recipients: number }[] };
  rendering: {
    method: 'exact' | 'sampled';
    rendered: number;
    parts: { segments: number; encoding: string; recipients: number }[];
    totalParts: number;
    failures: {
      recipients: number;
      examples: { profileId: string; phone: string; reason: string; problems: ErrorDetail[] }[];
    };
  };
  /** What the send-time policy would do if the send began now; null without a policy. */
  heldByQuietHours: HeldEstimate | null;
  accuracy: string;
}

/** Per rule, how many recipients the send-time policy holds (and when they go) or drops. */
export interface HeldEstimate {
  held: number;
  dropped: number;
  byRule: {
    rule: string;
    action: 'hold' | 'drop';
    /** A drop's coded reason (quiet_hours, frequency_cap…); null for a hold. */
    reason: string | null;
    recipients: number;
    /** The earliest and latest window start the held ones wait for; null for a drop. */
    firstRelease: string | null;
    lastRelease: string | null;
  }[];
}

/** `GET /v1/campaigns/:id/results`: counted from the rows (exact). */
export interface CampaignResults {
  recipients: number;
  excluded: number;
  renderFailed: number;
  messages: {
    total: number;
    queued: number;
    paused: number;
    sent: number;
    accepted: number;
    delivered: number;
    failed: number;
    suppressed: number;
    cancelled: number;
  };
  optOuts: number;
  replies: number;
  optOutRate: number;
  failureRate: number;
}

// ---- Issue 16: send-time policy (quiet hours and caps) ----
// As src/policy/rule.ts and the routes in src/http/routes/policy.ts answer.

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A local-time interval, `HH:MM` to `HH:MM`, in the recipient's zone. */
export interface PolicyInterval {
  start: string;
  end: string;
}

export type PolicyScope = { country: string; region?: string } | { everywhere: true };

/** Where a recipient is taken to be, and which signal decided it. */
export type LocationSource =
  'profile_time_zone' | 'profile_region' | 'area_code' | 'country' | 'sandbox_default' | 'unknown';

export interface PolicyLocation {
  timeZone: string | null;
  /** Every zone the signal allows (an area code across two zones); a send waits for all. */
  timeZones?: string[];
  country: string | null;
  region: string | null;
  source: LocationSource;
  ignored?: { attribute: string; reason: string }[];
}

/** A send-time rule: shipped with Tern (with its source) or the sandbox's own. */
export interface PolicyRule {
  id: string;
  name: string;
  scope: PolicyScope;
  kind: 'window' | 'cap';
  window?: {
    /** `recipient`: the recipient's own zone; `fixed`: `timeZone` for everyone. */
    timeZoneFrom: 'recipient' | 'fixed';
    timeZone?: string;
    days: Record<Weekday, PolicyInterval[]>;
    /** A holiday calendar id (`FR`): no sends on its dates. */
    holidays?: string;
  };
  cap?: { max: number; windowHours: number; per: 'number' | 'subject' };
  outside: 'hold' | 'drop';
  exempt: { transactional: boolean; oneTimeCodes: boolean };
  source: string;
  /** Where the source could not be confirmed from a primary text. */
  confidence?: string;
  effectiveFrom: string;
  effectiveUntil?: string | null;
  origin: 'shipped' | 'sandbox';
  /** A sandbox rule that replaces the shipped rule of this id in its sandbox. */
  overrides?: string | null;
  /** A shipped rule this sandbox has overridden or disabled (DELETE restores it). */
  overridden: boolean;
  enabled: boolean;
  version: number;
  [key: string]: unknown;
}

/** `POST /v1/policy/check`: when a message to `to` would go, and which rule and signal decided. */
export interface PolicyCheck {
  action: 'send' | 'hold' | 'drop';
  scheduledFor: string | null;
  rule: string | null;
  source: LocationSource;
  reason?: string | null;
  location: PolicyLocation;
  [key: string]: unknown;
}
