/**
 * Reading what Infobip answers: both error-body shapes (legacy `requestError.serviceException`
 * and v3 `ApiError`, infobip.md §1.4), `Retry-After`, and the per-message status objects.
 * Tolerant by design: a missing or odd field never throws.
 */

/** One rejected field, from v3 `violations[]` or legacy `validationErrors`. */
export interface Violation {
  property: string;
  violation: string;
}

/** The error an Infobip error body carries, in one shape. */
export interface ProviderErrorBody {
  code: string;
  message: string;
  violations: Violation[];
}

/** Narrows JSON to a plain object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string field, or null. */
export function str(obj: Record<string, unknown>, key: string): string | null {
  const v = obj[key];
  return typeof v === 'string' ? v : null;
}

/** A finite number field, or null. */
export function num(obj: Record<string, unknown>, key: string): number | null {
  const v = obj[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

const MAX_VIOLATIONS = 50;

function legacyViolations(raw: unknown): Violation[] {
  if (!isRecord(raw)) return [];
  const out: Violation[] = [];
  for (const [property, messages] of Object.entries(raw)) {
    const list: unknown[] = Array.isArray(messages) ? messages : [messages];
    for (const m of list) {
      if (typeof m === 'string' && out.length < MAX_VIOLATIONS)
        out.push({ property, violation: m });
    }
  }
  return out;
}

function v3Violations(raw: unknown): Violation[] {
  if (!Array.isArray(raw)) return [];
  const out: Violation[] = [];
  for (const v of raw) {
    if (!isRecord(v) || out.length >= MAX_VIOLATIONS) continue;
    const property = str(v, 'property') ?? str(v, 'field') ?? '';
    const violation = str(v, 'violation') ?? str(v, 'message') ?? '';
    if (property !== '' || violation !== '') out.push({ property, violation });
  }
  return out;
}

/** Parses either Infobip error shape; `null` when the body is neither. */
export function parseErrorBody(body: unknown): ProviderErrorBody | null {
  if (!isRecord(body)) return null;
  const requestError = body.requestError;
  if (isRecord(requestError)) {
    const ex = isRecord(requestError.serviceException)
      ? requestError.serviceException
      : isRecord(requestError.policyException)
        ? requestError.policyException
        : null;
    if (ex !== null) {
      return {
        code: str(ex, 'messageId') ?? 'UNKNOWN',
        message: str(ex, 'text') ?? '',
        violations: legacyViolations(ex.validationErrors),
      };
    }
  }
  const errorCode = str(body, 'errorCode');
  const description = str(body, 'description');
  if (errorCode !== null || description !== null) {
    const action = str(body, 'action');
    const base = description ?? '';
    return {
      code: errorCode ?? 'UNKNOWN',
      message: action !== null && action !== '' ? `${base} ${action}`.trim() : base,
      violations: v3Violations(body.violations),
    };
  }
  return null;
}

/**
 * `Retry-After` as milliseconds from `nowMs`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3);
 * `undefined` when absent or unreadable; never negative.
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  nowMs: number,
): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // HTTP-dates always name a weekday and GMT; plain Date.parse accepts far too much otherwise.
  if (!/^[A-Za-z]{3},? /.test(text) && !/GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** Infobip's status object as it appears in send answers and logs. */
export interface InfobipStatus {
  groupId: number | null;
  groupName: string | null;
  id: number | null;
  name: string | null;
  description: string | null;
}

/** Reads a status object tolerantly; `null` when there is none. */
export function parseStatus(raw: unknown): InfobipStatus | null {
  if (!isRecord(raw)) return null;
  const status: InfobipStatus = {
    groupId: num(raw, 'groupId'),
    groupName: str(raw, 'groupName'),
    id: num(raw, 'id'),
    name: str(raw, 'name'),
    description: str(raw, 'description'),
  };
  return status.groupId === null && status.groupName === null ? null : status;
}
