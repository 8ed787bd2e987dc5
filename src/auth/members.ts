import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import type { Executor } from '../db/executor.js';
import { recordAudit } from '../audit/audit.js';
import { AppError } from '../errors.js';
import type { Actor } from './principal.js';
import { isRole, permissionsOf, ROLES, type Role } from './roles.js';

/** A person in one sandbox, as the members API shows them: never a password hash. */
export interface Member {
  id: string;
  email: string;
  name: string | null;
  /** Their roles in this sandbox, in `ROLES` order. */
  roles: Role[];
  instanceAdmin: boolean;
  hasPassword: boolean;
  /** Linked to a single-sign-on identity (they have signed in through it). */
  ssoLinked: boolean;
  disabled: boolean;
  /** When the user was created. */
  createdAt: string;
}

/**
 * The last-owner rule: a sandbox keeps at least one owner among its members whose account is
 * not disabled. A change that would leave none is refused (409) whoever makes it, an instance
 * administrator included: their ownership is the instance's, not a member's, and a sandbox
 * whose only owner is "whoever administers the instance" has no one answering for it.
 */
export const LAST_OWNER_MESSAGE =
  'A sandbox keeps at least one owner: make someone else owner first.';

function sorted(roles: Iterable<Role>): Role[] {
  const set = new Set(roles);
  return ROLES.filter((r) => set.has(r));
}

/** The people with a role in `sandbox`, by email. */
export async function listMembers(
  db: Executor,
  sandbox: string,
  onlyUserId?: string,
): Promise<Member[]> {
  const rows = await db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select([
      'u.id',
      'u.email',
      'u.name',
      'u.instance_admin',
      'u.password_hash',
      'u.oidc_issuer',
      'u.disabled_at',
      'u.created_at',
      'm.role',
    ])
    .where('m.sandbox', '=', sandbox)
    .$if(onlyUserId !== undefined, (qb) => qb.where('u.id', '=', onlyUserId ?? ''))
    .orderBy('u.email')
    .execute();
  const byId = new Map<string, Member & { roleSet: Set<Role> }>();
  for (const row of rows) {
    let member = byId.get(row.id);
    if (!member) {
      member = {
        id: row.id,
        email: row.email,
        name: row.name,
        roles: [],
        roleSet: new Set(),
        instanceAdmin: Number(row.instance_admin) === 1,
        hasPassword: row.password_hash !== null,
        ssoLinked: row.oidc_issuer !== null,
        disabled: row.disabled_at !== null,
        createdAt: row.created_at,
      };
      byId.set(row.id, member);
    }
    if (isRole(row.role)) member.roleSet.add(row.role);
  }
  return [...byId.values()].map(({ roleSet, ...member }) => ({
    ...member,
    roles: sorted(roleSet),
  }));
}

async function memberOrThrow(db: Executor, sandbox: string, userId: string): Promise<Member> {
  const [member] = await listMembers(db, sandbox, userId);
  // Someone in another sandbox (or nobody) is not found: ids never reveal other sandboxes.
  if (!member) throw new AppError('not_found', `No member ${userId} in sandbox "${sandbox}".`);
  return member;
}

/**
 * Serialises membership changes of one sandbox: two owners demoting each other at once must
 * not both see the other as "the owner who remains". PostgreSQL locks the sandbox's row;
 * SQLite runs one write transaction at a time already.
 */
async function lockSandbox(db: Db, trx: Executor, sandbox: string): Promise<void> {
  if (!db.capabilities.multiProcess) return;
  await trx
    .selectFrom('sandboxes')
    .select('name')
    .where('name', '=', sandbox)
    .forUpdate()
    .executeTakeFirst();
}

async function refuseLastOwner(
  trx: Executor,
  sandbox: string,
  member: Member,
  remainingRoles: Role[],
): Promise<void> {
  if (!member.roles.includes('owner') || remainingRoles.includes('owner')) return;
  const others = await trx
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select('u.id')
    .where('m.sandbox', '=', sandbox)
    .where('m.role', '=', 'owner')
    .where('u.id', '!=', member.id)
    .where('u.disabled_at', 'is', null)
    .limit(1)
    .executeTakeFirst();
  if (!others) {
    throw new AppError('conflict', LAST_OWNER_MESSAGE, [
      { path: '/roles', message: `${member.email} is the last owner of sandbox "${sandbox}"` },
    ]);
  }
}

/**
 * Replaces a member's roles in a sandbox (1 or more); the last owner keeps theirs. Nobody gives
 * themselves a permission they lack: an owner taking compliance would edit keywords and consent
 * rules alone, which the role exists to prevent; another owner (or an admin token) grants it.
 */
export async function setMemberRoles(
  db: Db,
  clock: Clock,
  input: { sandbox: string; userId: string; roles: Role[]; actor: Actor },
): Promise<Member> {
  const roles = sorted(input.roles);
  if (roles.length === 0) {
    throw new AppError('validation_failed', 'A member holds at least one role.', [
      { path: '/roles', message: `must name at least one of: ${ROLES.join(', ')}` },
    ]);
  }
  return db.kysely.transaction().execute(async (trx) => {
    await lockSandbox(db, trx, input.sandbox);
    const member = await memberOrThrow(trx, input.sandbox, input.userId);
    const same =
      member.roles.length === roles.length && member.roles.every((r) => roles.includes(r));
    if (same) return member;
    await refuseLastOwner(trx, input.sandbox, member, roles);
    const now = clock.now().toISOString();
    const removed = member.roles.filter((r) => !roles.includes(r));
    const added = roles.filter((r) => !member.roles.includes(r));
    if (input.actor.kind === 'user' && input.actor.id === member.id) {
      // Stepping down is one's own to do; gaining a permission is not.
      const had = permissionsOf(member.roles);
      const gains = [...permissionsOf(roles)].filter((p) => !had.has(p));
      if (gains.length > 0)
        throw new AppError('forbidden', 'Nobody gives themselves a role: ask another owner.', [
          { path: '/roles', message: `you cannot add ${added.join(', ')} to your own roles` },
        ]);
    }
    if (removed.length > 0) {
      await trx
        .deleteFrom('memberships')
        .where('sandbox', '=', input.sandbox)
        .where('user_id', '=', input.userId)
        .where('role', 'in', removed)
        .execute();
    }
    if (added.length > 0) {
      await trx
        .insertInto('memberships')
        .values(
          added.map((role) => ({
            sandbox: input.sandbox,
            user_id: input.userId,
            role,
            created_at: now,
          })),
        )
        .execute();
    }
    await recordAudit(trx, clock, {
      sandbox: input.sandbox,
      actor: input.actor,
      action: 'member.updated',
      resourceType: 'member',
      resourceId: member.id,
      resourceName: member.name ?? member.email,
      fields: ['roles'],
      details: { roles, previousRoles: member.roles },
    });
    return { ...member, roles };
  });
}

/** Takes every role a user holds in a sandbox; the last owner cannot be removed. */
export async function removeMember(
  db: Db,
  clock: Clock,
  input: { sandbox: string; userId: string; actor: Actor },
): Promise<void> {
  await db.kysely.transaction().execute(async (trx) => {
    await lockSandbox(db, trx, input.sandbox);
    const member = await memberOrThrow(trx, input.sandbox, input.userId);
    await refuseLastOwner(trx, input.sandbox, member, []);
    await trx
      .deleteFrom('memberships')
      .where('sandbox', '=', input.sandbox)
      .where('user_id', '=', input.userId)
      .execute();
    await recordAudit(trx, clock, {
      sandbox: input.sandbox,
      actor: input.actor,
      action: 'member.removed',
      resourceType: 'member',
      resourceId: member.id,
      resourceName: member.name ?? member.email,
      fields: ['roles'],
      details: { previousRoles: member.roles },
    });
  });
}
