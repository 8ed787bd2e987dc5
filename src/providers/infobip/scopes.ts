/**
 * The Infobip API-key scopes Tern uses, per endpoint (`x-scopes` of Infobip's OpenAPI document
 * 3.210.0; a key needs any one of an endpoint's scopes, else 403). README "Connect a real
 * Infobip account" lists the same; keep them together.
 */
import type { Channel } from '../provider.js';

/** One endpoint Tern calls, what for, and the scopes of which it needs one. */
export interface EndpointScopes {
  feature: string;
  method: 'GET' | 'POST';
  path: string;
  scopes: string[];
}

export const SEND_SCOPES: Record<Channel, EndpointScopes> = {
  sms: {
    feature: 'send SMS',
    method: 'POST',
    path: '/sms/3/messages',
    scopes: ['sms:message:send', 'message:send', 'sms:manage'],
  },
  mms: {
    feature: 'send MMS',
    method: 'POST',
    path: '/mms/2/messages',
    scopes: ['mms:message:send', 'message:send', 'mms:manage'],
  },
};

export const LOGS_SCOPES: Record<Channel, EndpointScopes> = {
  sms: {
    feature: 'look up uncertain SMS sends',
    method: 'GET',
    path: '/sms/3/logs',
    scopes: ['sms:logs:read', 'sms:manage'],
  },
  mms: {
    feature: 'look up uncertain MMS sends',
    method: 'GET',
    path: '/mms/2/logs',
    scopes: ['mms:logs:read', 'mms:manage'],
  },
};

/** `"POST /sms/3/messages"`. */
export function endpointName(e: EndpointScopes): string {
  return `${e.method} ${e.path}`;
}

/** The scopes an endpoint path needs, for naming them on a 403 (query string ignored). */
export function scopesForPath(path: string): EndpointScopes | undefined {
  const bare = path.split('?')[0];
  return [...Object.values(SEND_SCOPES), ...Object.values(LOGS_SCOPES)].find(
    (e) => e.path === bare,
  );
}
