import { randomBytes } from 'node:crypto';
import { recordAudit } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import type { Executor } from '../db/executor.js';
import type { InvitationsTable, UsersTable } from '../db/schema.js';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import { hashToken } from './admin-tokens.js';
import { hashPassword } from './passwords.js';
import type { Actor } from './principal.js';
import { isRole, type Role } from './roles.js';
import { createUser, findUserByEmail, normaliseEmail } from './users.js';

/** An invitation is good for a week: long enough to be read, short enough to go stale safely. */
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** An invitation as the API shows it: never its token. */
export interface Invitation {
  id: string;
  email: string;
  sandbox: string;
  roles: Role[];
  createdAt: string;
  expiresAt: string;
}

function rolesOf(row: Pick<InvitationsTable, 'roles'>): Role[] {
  const parsed = JSON.parse(row.roles) as unknown;
  return Array.isArray(parsed) ? parsed.filter(isRole) : [];
}

function toInvitation(row: InvitationsTable, email: string): Invitation {
  return {
    id: row.id,
    email,
    sandbox: row.sandbox,
    roles: rolesOf(row),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

/** The console page an invitation's link opens (the token in the query: shown once). */
export function invitationUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/accept-invitation?token=${encodeURIComponent(token)}`;
}

/**
 * Invites a person to a sandbox with roles: the user is created (without a password) when the
 * email is new. The token is returned once; only its hash is stored.
 */
export async function createInvitation(
  db: Db,
  clock: Clock,
  input: { sandbox: string; email: string; name?: string; roles: Role[]; actor: Actor },
): Promise<{ invitation: Invitation; token: string }> {
  const email = normaliseEmail(input.email);
  const token = randomBytes(32).toString('base64url');
  const now = clock.now();
  return db.kysely.transaction().execute(async (trx) => {
    const user =
      (await findUserByEmail(trx, email)) ??
      (await createUser(trx, clock, { email, name: input.name ?? null }));
    if (user.disabled_at !== null) {
      throw new AppError('conflict', `The account ${email} is disabled; enable it first.`, [
        { path: '/email', message: 'belongs to a disabled account' },
      ]);
    }
    const row: InvitationsTable = {
      id: newId(),
      token_hash: hashToken(token),
      user_id: user.id,
      sandbox: input.sandbox,
      roles: JSON.stringify([...new Set(input.roles)]),
      created_by: input.actor.id,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + INVITATION_TTL_MS).toISOString(),
      accepted_at: null,
    };
    await trx.insertInto('invitations').values(row).execute();
    await recordAudit(trx, clock, {
      sandbox: input.sandbox,
      actor: input.actor,
      action: 'invitation.created',
      resourceType: 'invitation',
      resourceId: row.id,
      resourceName: email,
      fields: ['email', 'roles'],
      details: { roles: rolesOf(row) },
    });
    return { invitation: toInvitation(row, email), token };
  });
}

/** The sandbox's invitations not yet accepted nor expired, newest first. */
export async function listPendingInvitations(
  db: Db,
  clock: Clock,
  sandbox: string,
): Promise<Invitation[]> {
  const rows = await db.kysely
    .selectFrom('invitations as i')
    .innerJoin('users as u', 'u.id', 'i.user_id')
    .selectAll('i')
    .select('u.email')
    .where('i.sandbox', '=', sandbox)
    .where('i.accepted_at', 'is', null)
    .where('i.expires_at', '>', clock.now().toISOString())
    .orderBy('i.created_at', 'desc')
    .orderBy('i.id', 'desc')
    .limit(500)
    .execute();
  return rows.map((r) => toInvitation(r, r.email));
}

/** Withdraws a pending invitation of the sandbox (its link stops working). */
export async function revokeInvitation(
  db: Db,
  clock: Clock,
  input: { sandbox: string; id: string; actor: Actor },
): Promise<void> {
  await db.kysely.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('invitations as i')
      .innerJoin('users as u', 'u.id', 'i.user_id')
      .select(['i.id', 'u.email'])
      .where('i.sandbox', '=', input.sandbox)
      .where('i.id', '=', input.id)
      .where('i.accepted_at', 'is', null)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `Invitation ${input.id} not found.`);
    await trx.deleteFrom('invitations').where('id', '=', row.id).execute();
    await recordAudit(trx, clock, {
      sandbox: input.sandbox,
      actor: input.actor,
      action: 'invitation.revoked',
      resourceType: 'invitation',
      resourceId: row.id,
      resourceName: row.email,
      fields: [],
    });
  });
}

const NOT_VALID = () =>
  new AppError(
    'not_found',
    'This invitation is not valid: it may have expired, been withdrawn or been used already.',
  );

/** A pending invitation and its user, by the token of its link; 404 otherwise. */
async function pendingByToken(
  db: Executor,
  clock: Clock,
  token: string,
): Promise<{ invitation: InvitationsTable; user: UsersTable }> {
  const invitation = await db
    .selectFrom('invitations')
    .selectAll()
    .where('token_hash', '=', hashToken(token))
    .where('accepted_at', 'is', null)
    .where('expires_at', '>', clock.now().toISOString())
    .executeTakeFirst();
  if (!invitation) throw NOT_VALID();
  const user = await db
    .selectFrom('users')
    .selectAll()
    .where('id', '=', invitation.user_id)
    .executeTakeFirst();
  if (!user || user.disabled_at !== null) throw NOT_VALID();
  return { invitation, user };
}

/** What the accept page shows before the person sets a password. */
export async function describeInvitation(
  db: Db,
  clock: Clock,
  token: string,
): Promise<{ email: string; sandbox: string; roles: Role[]; needsPassword: boolean }> {
  const { invitation, user } = await pendingByToken(db.kysely, clock, token);
  return {
    email: user.email,
    sandbox: invitation.sandbox,
    roles: rolesOf(invitation),
    needsPassword: user.password_hash === null,
  };
}

/**
 * Accepts an invitation once: sets the password when the user has none (then it is required),
 * adds the roles, marks it accepted. Two accepts at once: one wins, the other gets 404.
 */
export async function acceptInvitation(
  db: Db,
  clock: Clock,
  input: { token: string; password?: string; address: string | null },
): Promise<UsersTable> {
  const peek = await pendingByToken(db.kysely, clock, input.token);
  let passwordHash: string | undefined;
  if (peek.user.password_hash === null) {
    if (input.password === undefined) {
      throw new AppError('validation_failed', 'Choose a password to accept the invitation.', [
        { path: '/password', message: 'is required: this account has no password yet' },
      ]);
    }
    // Hashed before the transaction: scrypt takes a while and holds no lock meanwhile.
    passwordHash = await hashPassword(input.password);
  }
  return db.kysely.transaction().execute(async (trx) => {
    const { invitation, user } = await pendingByToken(trx, clock, input.token);
    const now = clock.now().toISOString();
    const marked = await trx
      .updateTable('invitations')
      .set({ accepted_at: now })
      .where('id', '=', invitation.id)
      .where('accepted_at', 'is', null)
      .executeTakeFirst();
    if (Number(marked.numUpdatedRows) !== 1) throw NOT_VALID();
    if (passwordHash !== undefined && user.password_hash === null) {
      await trx
        .updateTable('users')
        .set({ password_hash: passwordHash, updated_at: now })
        .where('id', '=', user.id)
        .execute();
    }
    for (const role of rolesOf(invitation)) {
      await trx
        .insertInto('memberships')
        .values({ sandbox: invitation.sandbox, user_id: user.id, role, created_at: now })
        .onConflict((oc) => oc.columns(['sandbox', 'user_id', 'role']).doNothing())
        .execute();
    }
    await recordAudit(trx, clock, {
      sandbox: invitation.sandbox,
      actor: { kind: 'user', id: user.id, name: user.name ?? user.email, address: input.address },
      action: 'invitation.accepted',
      resourceType: 'invitation',
      resourceId: invitation.id,
      resourceName: user.email,
      fields: passwordHash !== undefined ? ['password'] : [],
      details: { roles: rolesOf(invitation) },
    });
    return { ...user, password_hash: user.password_hash ?? passwordHash ?? null };
  });
}
