/**
 * Infobip behind the provider contract: the client's results mapped onto the contract's error
 * taxonomy (401 → auth_failed, 403 → missing_scope naming the endpoint's scopes, other 4xx →
 * rejected, 429/5xx → retry_later, no answer → unreachable), a 400 that names its items failing
 * only those items, and "Verify connection" as one least-privilege check per scope Tern uses.
 */
import type {
  Channel,
  LookedUpMessage,
  LookupResult,
  OutboundMessage,
  ProviderClient,
  ProviderFailure,
  ProviderLimits,
  ProviderRequestRecord,
  ProviderViolation,
  ScopeCheck,
  SendBatchResult,
  SendItemOutcome,
  VerifyOutcome,
} from '../provider.js';
import { chunkIds, type FailureResult, type InfobipApi, type SendResult } from './client.js';
import { isDuplicateMessageId, type ReportsPuller } from './reports-pull.js';
import { LOGS_SCOPES, SEND_SCOPES, endpointName, type EndpointScopes } from './scopes.js';

/** Infobip's limits (infobip.md "Corrections, 2026-12"). */
export const INFOBIP_LIMITS: ProviderLimits = Object.freeze({
  // Guess: neither OpenAPI document (SMS 3.210.0, MMS) gives `messages[]` or `destinations[]`
  // a maxItems (the only one is an MMS group's 200 members), so 500, the worker's default
  // batch, stays the cap.
  maxBatchSize: 500,
  // Validity above 48 h is clamped to 48 h.
  maxValidityMs: 48 * 3_600_000,
  // SMS v3 destinations[].messageId maxLength.
  maxMessageIdLength: 200,
  // MMS v2 TEXT segment.
  maxMmsTextLength: 4096,
  // webhooks.callbackData (current docs: 0..4000).
  maxCallbackDataLength: 4000,
  // options.schedule.sendAt.
  maxScheduleDays: 180,
});

/** A client failure in the contract's taxonomy; `endpoint` names the scopes for a 403. */
export function toProviderFailure(f: FailureResult, endpoint: EndpointScopes): ProviderFailure {
  const base = {
    code: f.kind === 'network' ? f.reason : f.code,
    endpoint: endpointName(endpoint),
    latencyMs: f.latencyMs,
    violations: f.kind === 'rejected' ? f.violations : [],
    ...(f.kind !== 'network' && f.httpStatus !== undefined ? { httpStatus: f.httpStatus } : {}),
  };
  switch (f.kind) {
    case 'rejected':
      if (f.httpStatus === 401)
        return { ...base, kind: 'auth_failed', reason: f.message, maybeAccepted: false };
      if (f.httpStatus === 403) {
        return {
          ...base,
          kind: 'missing_scope',
          scopes: endpoint.scopes,
          reason:
            `the API key lacks the scope to ${endpoint.feature} (${endpointName(endpoint)} needs one of ` +
            `${endpoint.scopes.join(', ')}); Infobip: ${f.message}`,
          maybeAccepted: false,
        };
      }
      return { ...base, kind: 'rejected', reason: f.message, maybeAccepted: false };
    case 'retryable':
      return {
        ...base,
        kind: 'retry_later',
        reason: f.message,
        maybeAccepted: f.maybeAccepted,
        ...(f.retryAfterMs !== undefined ? { retryAfterMs: f.retryAfterMs } : {}),
      };
    case 'network':
      return {
        ...base,
        kind: 'unreachable',
        reason: f.message,
        unreachable: f.reason,
        maybeAccepted: f.maybeAccepted,
      };
  }
}

// `messages[3].destinations[0].to` → 3. Anchored and digit-bounded: linear on any input.
const ITEM_PATH = /^messages\[(\d{1,6})\]/;

/**
 * The batch items a 400's violations name, each with its own violations; `null` when any
 * violation names no item (then the request as a whole is at fault).
 */
export function violatedItems(
  violations: readonly ProviderViolation[],
  size: number,
): Map<number, ProviderViolation[]> | null {
  if (violations.length === 0) return null;
  const items = new Map<number, ProviderViolation[]>();
  for (const v of violations) {
    const m = ITEM_PATH.exec(v.property);
    const index = m ? Number(m[1]) : NaN;
    if (!(index < size)) return null;
    items.set(index, [...(items.get(index) ?? []), v]);
  }
  return items;
}

function record(
  result: SendResult,
  sent: readonly OutboundMessage[],
  endpoint: EndpointScopes,
): ProviderRequestRecord {
  const messageIds = sent.map((m) => m.messageId);
  if (result.kind === 'ok')
    return {
      outcome: 'ok',
      httpStatus: result.httpStatus,
      latencyMs: result.latencyMs,
      messageIds,
    };
  const failure = toProviderFailure(result, endpoint);
  return {
    outcome: failure.kind,
    ...(failure.httpStatus !== undefined ? { httpStatus: failure.httpStatus } : {}),
    latencyMs: failure.latencyMs,
    messageIds,
    reason: failure.reason,
  };
}

/** Infobip as a {@link ProviderClient}. */
export class InfobipProvider implements ProviderClient {
  readonly limits = INFOBIP_LIMITS;

  constructor(
    private readonly api: InfobipApi,
    /** The reports pull (`GET /sms/3/reports`, `/mms/2/reports`), over its own transport. */
    readonly pullReports: ReportsPuller,
  ) {}

  /** One `GET …/logs` carries at most 2,048 characters of comma-joined ids (payloads.ts). */
  lookupChunks(messageIds: readonly string[]): string[][] {
    return chunkIds(messageIds);
  }

  async sendBatch(channel: Channel, batch: readonly OutboundMessage[]): Promise<SendBatchResult> {
    const endpoint = SEND_SCOPES[channel];
    const outcomes = new Map<string, SendItemOutcome>();
    const requests: ProviderRequestRecord[] = [];
    const first = await this.#send(channel, batch);
    requests.push(record(first, batch, endpoint));
    let rest = batch;
    let answer = first;
    const items =
      first.kind === 'rejected' && first.httpStatus === 400
        ? violatedItems(first.violations, batch.length)
        : null;
    if (first.kind === 'rejected' && items !== null) {
      // A 400 refuses the whole request but names the bad items: fail those with Infobip's
      // reason and send the others again, once (a second 400 fails them all).
      const failure = toProviderFailure(first, endpoint);
      batch.forEach((m, i) => {
        const own = items.get(i);
        if (!own) return;
        const reason = own.map((v) => `${v.property}: ${v.violation}`).join('; ');
        outcomes.set(m.messageId, {
          kind: 'failed',
          failure: { ...failure, reason: `${failure.reason} (${reason})`, violations: own },
        });
      });
      rest = batch.filter((_, i) => !items.has(i));
      if (rest.length === 0) return { outcomes, requests };
      answer = await this.#send(channel, rest);
      requests.push(record(answer, rest, endpoint));
    }
    if (answer.kind !== 'ok') {
      const failure = toProviderFailure(answer, endpoint);
      for (const m of rest) outcomes.set(m.messageId, { kind: 'failed', failure });
      return { outcomes, requests };
    }
    const byId = new Map(answer.messages.map((m) => [m.messageId, m]));
    for (const m of rest) {
      const sent = byId.get(m.messageId);
      if (!sent) {
        outcomes.set(m.messageId, { kind: 'unanswered' });
      } else if (sent.ternStatus === 'rejected' && !isDuplicateMessageId(sent.status)) {
        outcomes.set(m.messageId, {
          kind: 'rejected',
          reason: `${sent.status.name}: ${sent.status.description ?? ''}`.trim(),
          providerStatus: sent.status,
        });
      } else {
        // Status 23 to a resend is accepted too: the first copy exists, its report ends it.
        outcomes.set(m.messageId, {
          kind: 'accepted',
          // Infobip takes Tern's id as its messageId and echoes it.
          providerMessageId: sent.messageId,
          providerStatus: sent.status,
          parts: sent.messageCount,
        });
      }
    }
    return { outcomes, requests };
  }

  #send(channel: Channel, batch: readonly OutboundMessage[]): Promise<SendResult> {
    // Whole seconds, rounded down (never past the caller's validUntil), at most 48 h, at least 1.
    const seconds = (ms: number) => Math.min(172_800, Math.max(1, Math.floor(ms / 1_000)));
    const common = (m: OutboundMessage) => ({
      messageId: m.messageId,
      to: m.to,
      ...(m.validityMs !== undefined ? { validitySeconds: seconds(m.validityMs) } : {}),
      ...(m.callbackData !== undefined ? { callbackData: m.callbackData } : {}),
      ...(m.notifyUrl !== undefined ? { notifyUrl: m.notifyUrl } : {}),
    });
    if (channel === 'sms') {
      return this.api.sendSms(
        batch.map((m) => ({
          ...common(m),
          sender: m.sender ?? '',
          text: m.text ?? '',
          ...(m.indiaDlt ? { indiaDlt: m.indiaDlt } : {}),
        })),
      );
    }
    return this.api.sendMms(
      batch.map((m) => ({
        ...common(m),
        ...(m.sender !== undefined && m.sender !== '' ? { sender: m.sender } : {}),
        ...(m.title !== undefined ? { title: m.title } : {}),
        ...(m.text !== undefined ? { text: m.text } : {}),
        media: m.media ?? [],
      })),
    );
  }

  async lookup(channel: Channel, messageIds: readonly string[]): Promise<LookupResult> {
    const found = await this.api.findLogs(channel, messageIds);
    if (found.kind !== 'ok')
      return { kind: 'error', failure: toProviderFailure(found, LOGS_SCOPES[channel]) };
    // An entry with status 23 (REJECTED_DUPLICATE_MESSAGE_ID) is a refused resend: the first
    // copy exists, so it reads as accepted unless the first copy's own entry is there too.
    const byId = new Map<string, LookedUpMessage>();
    for (const l of found.logs) {
      const duplicate = isDuplicateMessageId(l.status);
      if (duplicate && byId.has(l.messageId)) continue;
      byId.set(l.messageId, {
        messageId: l.messageId,
        providerMessageId: l.messageId,
        status: duplicate ? 'accepted' : l.ternStatus,
        providerStatus: l.status,
        parts: l.messageCount,
      });
    }
    return { kind: 'ok', latencyMs: found.latencyMs, found: [...byId.values()] };
  }

  async verify(): Promise<VerifyOutcome> {
    return verifyScopes(this.api);
  }
}

/**
 * The checks behind "Verify connection". Logs reads (`limit=1`) for the lookup scopes. For the
 * send scopes, a send of no messages: Infobip checks the scope before the body, so a key with
 * the scope gets 400 (nothing is sent) and one without gets 403. Guess: the scope check comes
 * first (the OpenAPI document does not say; `GET /sms/3/reports` needs the same scopes but
 * would consume a report). Balance is not used: it needs `account-management:manage`.
 */
const CHECKS: { endpoint: EndpointScopes; path: string; body?: unknown }[] = [
  { endpoint: SEND_SCOPES.sms, path: SEND_SCOPES.sms.path, body: { messages: [] } },
  { endpoint: SEND_SCOPES.mms, path: SEND_SCOPES.mms.path, body: { messages: [] } },
  { endpoint: LOGS_SCOPES.sms, path: `${LOGS_SCOPES.sms.path}?limit=1` },
  { endpoint: LOGS_SCOPES.mms, path: `${LOGS_SCOPES.mms.path}?limit=1` },
];

async function verifyScopes(api: InfobipApi): Promise<VerifyOutcome> {
  const scopes: ScopeCheck[] = [];
  let latencyMs = 0;
  let auth: ProviderFailure | undefined;
  let down: ProviderFailure | undefined;
  for (const check of CHECKS) {
    const r = await api.probe(check.endpoint.method, check.path, check.body);
    latencyMs += r.latencyMs;
    const entry = {
      feature: check.endpoint.feature,
      scopes: check.endpoint.scopes,
      endpoint: endpointName(check.endpoint),
    };
    // A send of no messages with the scope: 400 (or 2xx from a lenient server).
    if (r.kind === 'ok' || (r.kind === 'rejected' && r.httpStatus === 400 && check.body)) {
      scopes.push({ ...entry, state: 'granted' });
      continue;
    }
    const failure = toProviderFailure(r, check.endpoint);
    if (failure.kind === 'missing_scope') {
      scopes.push({ ...entry, state: 'missing', detail: failure.reason });
      continue;
    }
    scopes.push({ ...entry, state: 'unknown', detail: failure.reason });
    if (failure.kind === 'auth_failed') auth ??= failure;
    else down ??= failure;
    // A bad key, an unreachable host or a server that is not Infobip's will not answer the
    // next checks differently: one request is enough to say so.
    break;
  }
  latencyMs = Math.round(latencyMs);
  if (auth) {
    return {
      status: 'unauthorized',
      message:
        `Infobip refused the API key (HTTP 401: bad or expired key, or this server's IP is not ` +
        `in the key's allowed IPs): ${auth.reason}`,
      latencyMs,
      httpStatus: 401,
      scopes,
    };
  }
  if (down?.kind === 'unreachable') {
    return { status: 'unreachable', message: down.reason, latencyMs, scopes };
  }
  const missing = scopes.filter((s) => s.state === 'missing');
  if (down) {
    return {
      status: 'error',
      message: `Infobip answered ${down.httpStatus ?? ''}: ${down.reason}`.replace(/\s+/g, ' '),
      latencyMs,
      ...(down.httpStatus !== undefined ? { httpStatus: down.httpStatus } : {}),
      scopes,
    };
  }
  if (missing.length > 0) {
    return {
      status: 'missing_scope',
      message:
        `Connected, but the key lacks scopes Tern uses: ` +
        missing.map((s) => `${s.feature} (one of ${s.scopes.join(', ')})`).join('; ') +
        '.',
      latencyMs,
      httpStatus: 403,
      scopes,
    };
  }
  return {
    status: 'ok',
    message: `Connected: the key has every scope Tern uses (${scopes.map((s) => s.feature).join(', ')}).`,
    latencyMs,
    httpStatus: 200,
    scopes,
  };
}
