import type { Executor } from '../db/executor.js';
import { isRole, type Role } from './roles.js';

/** A user's roles in one sandbox (empty: not a member). */
export async function rolesIn(db: Executor, userId: string, sandbox: string): Promise<Role[]> {
  const rows = await db
    .selectFrom('memberships')
    .select('role')
    .where('user_id', '=', userId)
    .where('sandbox', '=', sandbox)
    .execute();
  return rows.map((r) => r.role).filter(isRole);
}

/** Every sandbox a user belongs to, with their roles there (for the console's switcher). */
export async function membershipsOf(
  db: Executor,
  userId: string,
): Promise<{ sandbox: string; roles: Role[] }[]> {
  const rows = await db
    .selectFrom('memberships')
    .select(['sandbox', 'role'])
    .where('user_id', '=', userId)
    .orderBy('sandbox')
    .execute();
  const bySandbox = new Map<string, Role[]>();
  for (const row of rows) {
    if (!isRole(row.role)) continue;
    const roles = bySandbox.get(row.sandbox) ?? [];
    roles.push(row.role);
    bySandbox.set(row.sandbox, roles);
  }
  return [...bySandbox].map(([sandbox, roles]) => ({ sandbox, roles }));
}
