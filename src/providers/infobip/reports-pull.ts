/**
 * The delivery-report pull endpoints, Tern's fallback when reports do not reach its webhook:
 * `GET /sms/3/reports` and `GET /mms/2/reports` (OpenAPI 3.210.0). Each report is returned once,
 * at most `limit` (≤ 1000) a call, from the last 48 h; their scopes are those of sending
 * (`message:send` | `sms:message:send` | `mms:message:send` …), so a sending key can pull. The
 * body is `{results: [...]}` in the shape of a report POST, so the webhook's parser applies it.
 */
import type { ProviderClient } from '../provider.js';
import type { InfobipStatus } from './responses.js';
import { InfobipTransport, type InfobipClientOptions } from './transport.js';

export const REPORTS_PATH = { sms: '/sms/3/reports', mms: '/mms/2/reports' } as const;

/** The most a pull may ask for (the spec's `limit` maximum). */
export const REPORTS_PULL_MAX = 1000;

/** The query of one pull: at most {@link REPORTS_PULL_MAX} reports, no filter (each once). */
export function reportsPullQuery(limit: number): string {
  const n = Math.max(1, Math.min(REPORTS_PULL_MAX, Math.floor(limit)));
  return new URLSearchParams({ limit: String(n) }).toString();
}

/** The pulled body when it has `results[]` (to hand to the report parser), else null. */
export function pulledReports(body: unknown): { results: unknown[] } | null {
  if (typeof body !== 'object' || body === null) return null;
  const results = (body as { results?: unknown }).results;
  return Array.isArray(results) ? { results } : null;
}

/**
 * Status 23 `REJECTED_DUPLICATE_MESSAGE_ID` (group 5): the messageId was used before, so the first
 * copy exists. Tern resends only with the same messageId, so for Tern this answer means "sent".
 */
export function isDuplicateMessageId(status: Pick<InfobipStatus, 'id' | 'name'> | null): boolean {
  if (status === null) return false;
  return status.id === 23 || status.name === 'REJECTED_DUPLICATE_MESSAGE_ID';
}

/** Pulls undelivered reports of one channel with the credential's key. */
export type ReportsPuller = ProviderClient['pullReports'];

/** A {@link ReportsPuller} over its own transport (the dispatcher is shared, not owned). */
export function createReportsPuller(options: InfobipClientOptions): ReportsPuller {
  const http = new InfobipTransport(options);
  return async (channel, limit) => {
    const raw = await http.call('GET', `${REPORTS_PATH[channel]}?${reportsPullQuery(limit)}`);
    if (raw.type === 'failure') return { kind: 'error', reason: raw.failure.message };
    if (raw.status < 200 || raw.status >= 300) {
      return { kind: 'error', reason: `HTTP ${raw.status}: ${http.failure(raw, false).message}` };
    }
    const body = pulledReports(raw.body);
    return body ? { kind: 'ok', body } : { kind: 'error', reason: 'the answer has no results[]' };
  };
}
