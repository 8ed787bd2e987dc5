import type { Permission } from '../auth/roles.js';

/**
 * What each `/api` route needs. A GET (or HEAD) needs `read` unless listed; every other method
 * must be listed here, or the app refuses to start (`permissionRuleOf` throws): a new write route
 * cannot be forgotten.
 *
 * A rule with `fields` grants a body field to the permission named for it, and the rest of the
 * body to `permission`: a credential's keyword settings are compliance's, its key the owner's.
 * The caller needs the permission of every field the body carries (an empty body: `permission`).
 */
export interface PermissionRule {
  permission: Permission;
  fields?: Partial<Record<string, Permission>>;
  /** Any signed-in user, in any existing sandbox, even one they have no role in (`/v1/me`). */
  anySandbox?: true;
}

/** A credential's settings that are compliance's alone to edit. */
export const CREDENTIAL_COMPLIANCE_FIELDS: Record<string, Permission> = Object.fromEntries(
  [
    'optInKeywords',
    'optInMessage',
    'optOutKeywords',
    'optOutMessage',
    'helpKeywords',
    'helpMessage',
    'doubleOptInKeywords',
    'doubleOptInMessage',
    'customInboundKeywords',
    'defaultInboundReply',
    'fuzzyOptOut',
    'fuzzyOptOutReply',
  ].map((field) => [field, 'compliance' as const]),
);

/** Keyed `METHOD /v1/...` (the route's URL without the `/api` prefix). */
const RULES: Record<string, PermissionRule> = {
  // Sandboxes and admin tokens are the instance's: tokens valid everywhere, instance admins.
  'POST /v1/sandboxes': { permission: 'instance' },
  // A sandbox's settings are its consent rules.
  'PATCH /v1/sandboxes/:name': { permission: 'compliance' },
  'POST /v1/tokens': { permission: 'instance' },
  'DELETE /v1/tokens/:id': { permission: 'instance' },
  'GET /v1/me': { permission: 'read', anySandbox: true },

  // People: owners change and remove members (the list is everyone's: GET).
  'PUT /v1/members/:userId': { permission: 'manage' },
  'DELETE /v1/members/:userId': { permission: 'manage' },
  // Invitations carry people's emails and grant roles: owners only, the list included.
  'POST /v1/invitations': { permission: 'manage' },
  'GET /v1/invitations': { permission: 'manage' },
  'DELETE /v1/invitations/:id': { permission: 'manage' },

  'POST /v1/credentials': { permission: 'manage', fields: CREDENTIAL_COMPLIANCE_FIELDS },
  'PATCH /v1/credentials/:id': { permission: 'manage', fields: CREDENTIAL_COMPLIANCE_FIELDS },
  'DELETE /v1/credentials/:id': { permission: 'manage' },
  'POST /v1/credentials/:id/verify': { permission: 'manage' },
  'PUT /v1/credentials/:id/keyword-responses/:keyword': { permission: 'compliance' },
  'DELETE /v1/credentials/:id/keyword-responses/:keyword': { permission: 'compliance' },

  'POST /v1/channel-configurations': { permission: 'manage' },
  'PATCH /v1/channel-configurations/:id': { permission: 'manage' },
  'DELETE /v1/channel-configurations/:id': { permission: 'manage' },

  'POST /v1/event-webhooks': { permission: 'manage' },
  'PATCH /v1/event-webhooks/:id': { permission: 'manage' },
  'DELETE /v1/event-webhooks/:id': { permission: 'manage' },

  'POST /v1/messages': { permission: 'send' },
  'POST /v1/messages/batch': { permission: 'send' },

  // Consent is compliance's: one number's, an import, an erasure, a double opt-in request.
  'PUT /v1/profiles/:phone/consent': { permission: 'compliance' },
  'POST /v1/profiles/consent.csv': { permission: 'compliance' },
  'POST /v1/profiles/:phone/double-opt-in': { permission: 'compliance' },
  'DELETE /v1/profiles/:phone': { permission: 'compliance' },

  'POST /v1/templates': { permission: 'send' },
  'POST /v1/templates/render': { permission: 'read' },
  'PATCH /v1/templates/:id': { permission: 'send' },
  'DELETE /v1/templates/:id': { permission: 'send' },
  'POST /v1/templates/:id/preview': { permission: 'read' },

  'POST /v1/segments': { permission: 'send' },
  'POST /v1/segments/count': { permission: 'read' },
  'PATCH /v1/segments/:id': { permission: 'send' },
  'DELETE /v1/segments/:id': { permission: 'send' },
  'POST /v1/lists': { permission: 'send' },
  'PATCH /v1/lists/:id': { permission: 'send' },
  'DELETE /v1/lists/:id': { permission: 'send' },
  'POST /v1/lists/:id/members': { permission: 'send' },
  'DELETE /v1/lists/:id/members': { permission: 'send' },
  'POST /v1/lists/:id/import': { permission: 'send' },

  'POST /v1/campaigns': { permission: 'send' },
  'PATCH /v1/campaigns/:id': { permission: 'send' },
  'DELETE /v1/campaigns/:id': { permission: 'send' },
  'POST /v1/campaigns/:id/estimate': { permission: 'read' },
  'POST /v1/campaigns/:id/test-send': { permission: 'send' },
  'POST /v1/campaigns/:id/confirm': { permission: 'send' },
  'POST /v1/campaigns/:id/pause': { permission: 'send' },
  'POST /v1/campaigns/:id/resume': { permission: 'send' },
  'POST /v1/campaigns/:id/cancel': { permission: 'send' },

  'POST /v1/policy/rules': { permission: 'compliance' },
  'PATCH /v1/policy/rules/:id': { permission: 'compliance' },
  'DELETE /v1/policy/rules/:id': { permission: 'compliance' },
  'POST /v1/policy/check': { permission: 'read' },

  'POST /v1/flows': { permission: 'send' },
  'POST /v1/flows/validate': { permission: 'read' },
  'PATCH /v1/flows/:id': { permission: 'send' },
  'DELETE /v1/flows/:id': { permission: 'send' },
  'POST /v1/flows/:id/simulate': { permission: 'read' },
  'POST /v1/flow-runs/:id/cancel': { permission: 'send' },
  'POST /v1/flow-events': { permission: 'send' },

  // Approvals: the threshold is the owner's, compliance approvals compliance's. Deciding needs
  // what the change needs (send, compliance), checked by the approvals service per request.
  'PUT /v1/approval-settings': {
    permission: 'manage',
    fields: { complianceApprovals: 'compliance' },
  },
  'POST /v1/approvals/:id/approve': { permission: 'read' },
  'POST /v1/approvals/:id/reject': { permission: 'read' },
  'POST /v1/approvals/:id/cancel': { permission: 'read' },
};

const READ: PermissionRule = { permission: 'read' };

/** The rule of a route (`url` as registered, with or without the `/api` prefix). */
export function permissionRuleOf(method: string, url: string): PermissionRule {
  const key = `${method} ${url.replace(/^\/api(?=\/)/, '')}`;
  const rule = RULES[key];
  if (rule) return rule;
  if (method === 'GET' || method === 'HEAD') return READ;
  throw new Error(`${key} has no permission rule: add it to src/http/route-permissions.ts`);
}

/**
 * The permissions a request body needs under a rule: each present field's own, or the rule's
 * for the rest (and for a body with no fields).
 */
export function permissionsForBody(rule: PermissionRule, body: unknown): Set<Permission> {
  const needed = new Set<Permission>();
  const keys =
    body !== null && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : [];
  if (!rule.fields || keys.length === 0) return new Set([rule.permission]);
  for (const key of keys) needed.add(rule.fields[key] ?? rule.permission);
  return needed;
}
