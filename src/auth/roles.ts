/**
 * Roles per sandbox and what each may do. A user holds one or more roles in each sandbox they
 * belong to; an admin token (a machine) may do everything in the sandboxes it is valid for.
 *
 * Compliance settings (keywords and their replies, consent, send-time rules) are edited by the
 * compliance role alone: an owner who also answers for compliance holds both roles.
 */
export type Role = 'owner' | 'operator' | 'compliance' | 'viewer';
export const ROLES: readonly Role[] = ['owner', 'operator', 'compliance', 'viewer'];

/**
 * - `read`: see everything in the sandbox, and dry runs that change nothing (estimates, checks).
 * - `send`: messages, campaigns, flows, templates, audiences.
 * - `compliance`: keyword responses and keyword settings, consent, send-time rules.
 * - `manage`: credentials, channel configurations, event webhooks, tokens, people.
 * - `instance`: outside any sandbox (creating sandboxes): tokens valid in every sandbox and
 *   instance administrators only.
 */
export type Permission = 'read' | 'send' | 'compliance' | 'manage' | 'instance';
export const PERMISSIONS: readonly Permission[] = [
  'read',
  'send',
  'compliance',
  'manage',
  'instance',
];

const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: ['read', 'send', 'manage'],
  operator: ['read', 'send'],
  compliance: ['read', 'compliance'],
  viewer: ['read'],
};

/** What a set of roles allows (`instance` is never granted by a sandbox role). */
export function permissionsOf(roles: Iterable<Role>): Set<Permission> {
  const out = new Set<Permission>();
  for (const role of roles) for (const p of ROLE_PERMISSIONS[role]) out.add(p);
  return out;
}

/** The roles that grant a permission, for error messages and the console ("needs operator"). */
export function rolesGranting(permission: Permission): Role[] {
  return ROLES.filter((role) => ROLE_PERMISSIONS[role].includes(permission));
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
