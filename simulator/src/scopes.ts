/**
 * API-key scopes, per Infobip's OpenAPI document 3.210.0 (`x-scopes` of each operation): a key
 * may call an endpoint only when it holds one of that endpoint's scopes; otherwise 403.
 */

export const SCOPES = [
  'message:send',
  'sms:message:send',
  'sms:manage',
  'sms:logs:read',
  'inbound-message:read',
  'sms:inbound-message:read',
  'mms:message:send',
  'mms:manage',
  'mms:logs:read',
  'mms:inbound-message:read',
  'account-management:manage',
] as const;

export type Scope = (typeof SCOPES)[number];

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}

/**
 * What a least-privileged sending key holds (and what a key given as a plain string gets):
 * send, read logs and read inbound, for SMS and MMS. Pulling delivery reports needs the send
 * scope (`GET /sms/3/reports` lists `message:send | sms:message:send | sms:manage`).
 * Not `account-management:manage`, which also manages API keys.
 */
export const SENDING_SCOPES: readonly Scope[] = Object.freeze([
  'sms:message:send',
  'sms:logs:read',
  'sms:inbound-message:read',
  'mms:message:send',
  'mms:logs:read',
  'mms:inbound-message:read',
]);

/** Every scope the simulator knows (an admin key). */
export const ALL_SCOPES: readonly Scope[] = Object.freeze([...SCOPES]);

const SMS_SEND: readonly Scope[] = ['message:send', 'sms:message:send', 'sms:manage'];
const MMS_SEND: readonly Scope[] = ['message:send', 'mms:message:send', 'mms:manage'];

/** The `x-scopes` of each simulated route (one of them is required). */
export const ROUTE_SCOPES = {
  smsSend: SMS_SEND,
  smsReports: SMS_SEND,
  smsLogs: ['sms:logs:read', 'sms:manage'],
  smsInbox: ['inbound-message:read', 'sms:inbound-message:read', 'sms:manage'],
  mmsSend: MMS_SEND,
  mmsReports: MMS_SEND,
  mmsLogs: ['mms:logs:read', 'mms:manage'],
  mmsInbox: ['inbound-message:read', 'mms:inbound-message:read', 'mms:manage'],
  balance: ['account-management:manage'],
} as const satisfies Record<string, readonly Scope[]>;

/** Problems with a scope list given by a caller (option or control API). */
export function checkScopes(value: unknown, at: string): string[] {
  if (!Array.isArray(value)) return [`${at} must be an array of scopes`];
  const problems: string[] = [];
  value.forEach((s, i) => {
    if (!isScope(s)) problems.push(`${at}[${i}] must be one of ${SCOPES.join(', ')}`);
  });
  return problems;
}
