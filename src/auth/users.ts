import type { Clock } from '../clock.js';
import type { Executor } from '../db/executor.js';
import { isUniqueViolation } from '../db/dialect.js';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import type { UsersTable } from '../db/schema.js';

/** A person as the API shows them: never a password hash. */
export interface User {
  id: string;
  email: string;
  name: string | null;
  instanceAdmin: boolean;
  hasPassword: boolean;
  /** The single-sign-on issuer this user is linked to, once they have used it. */
  oidcIssuer: string | null;
  createdAt: string;
  disabledAt: string | null;
}

/** RFC 5321's limit on a forward path; also bounds the check below. */
export const EMAIL_MAX_LENGTH = 254;
// One @, no spaces, a dot in the domain: enough to catch typos; the inbox is the real check.
const EMAIL = /^[^\s@]{1,64}@[^\s@.]+(\.[^\s@.]+)+$/;

/** A lower-cased, trimmed email, or a validation error naming `path`. */
export function normaliseEmail(value: string, path = '/email'): string {
  const email = value.trim().toLowerCase();
  if (email.length > EMAIL_MAX_LENGTH || !EMAIL.test(email)) {
    throw new AppError('validation_failed', 'The email address is not valid.', [
      { path, message: `must be an email address of at most ${EMAIL_MAX_LENGTH} characters` },
    ]);
  }
  return email;
}

export function toUser(row: UsersTable): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    instanceAdmin: Number(row.instance_admin) === 1,
    hasPassword: row.password_hash !== null,
    oidcIssuer: row.oidc_issuer,
    createdAt: row.created_at,
    disabledAt: row.disabled_at,
  };
}

export async function findUserById(db: Executor, id: string): Promise<UsersTable | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** `email` as given: it is normalised here. Undefined for an address that is not valid. */
export async function findUserByEmail(
  db: Executor,
  email: string,
): Promise<UsersTable | undefined> {
  const normalised = email.trim().toLowerCase();
  if (normalised.length > EMAIL_MAX_LENGTH) return undefined;
  return db.selectFrom('users').selectAll().where('email', '=', normalised).executeTakeFirst();
}

export async function findUserByOidc(
  db: Executor,
  issuer: string,
  subject: string,
): Promise<UsersTable | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('oidc_issuer', '=', issuer)
    .where('oidc_subject', '=', subject)
    .executeTakeFirst();
}

/** Creates a user; 409 when the email is taken. `passwordHash` from auth/passwords.ts. */
export async function createUser(
  db: Executor,
  clock: Clock,
  input: {
    email: string;
    name?: string | null;
    passwordHash?: string | null;
    instanceAdmin?: boolean;
  },
): Promise<UsersTable> {
  const now = clock.now().toISOString();
  const row: UsersTable = {
    id: newId(),
    email: normaliseEmail(input.email),
    name: input.name ?? null,
    password_hash: input.passwordHash ?? null,
    oidc_issuer: null,
    oidc_subject: null,
    instance_admin: input.instanceAdmin ? 1 : 0,
    created_at: now,
    updated_at: now,
    disabled_at: null,
  };
  try {
    await db.insertInto('users').values(row).execute();
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new AppError('conflict', `A user with email ${row.email} already exists.`, [
        { path: '/email', message: 'is taken' },
      ]);
    }
    throw error;
  }
  return row;
}

/** Links a user to a single-sign-on identity (the first time they use it). */
export async function linkOidcIdentity(
  db: Executor,
  clock: Clock,
  userId: string,
  identity: { issuer: string; subject: string },
): Promise<void> {
  await db
    .updateTable('users')
    .set({
      oidc_issuer: identity.issuer,
      oidc_subject: identity.subject,
      updated_at: clock.now().toISOString(),
    })
    .where('id', '=', userId)
    .execute();
}
