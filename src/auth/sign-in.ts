import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import type { UsersTable } from '../db/schema.js';
import { AppError } from '../errors.js';
import { dummyHash, hashPassword, verifyPassword } from './passwords.js';
import { revokeUserSessions } from './sessions.js';
import { findUserByEmail, findUserById } from './users.js';

/** The one answer for an unknown email, a user without a password and a wrong password. */
export function wrongCredentials(): AppError {
  return new AppError('unauthorized', 'The email or password is not right.');
}

/**
 * The user an email and password prove, or the same 401 for every failure. An unknown email (or
 * a user with no password yet) is verified against a dummy hash, so that it takes as long as a
 * wrong password and the timing does not tell which emails have accounts. A disabled account
 * is said so only to someone who knows its password.
 */
export async function verifyCredentials(
  db: Db,
  input: { email: string; password: string },
): Promise<UsersTable> {
  const user = await findUserByEmail(db.kysely, input.email);
  const stored = user?.password_hash ?? (await dummyHash());
  const matches = await verifyPassword(input.password, stored);
  if (!user || !user.password_hash || !matches) throw wrongCredentials();
  if (user.disabled_at !== null) {
    throw new AppError('unauthorized', 'This account is disabled: ask an administrator.');
  }
  return user;
}

/**
 * Sets a user's password (rules checked) and signs them out everywhere: a reset is what one does
 * when a password may be known to someone else.
 */
export async function setPassword(
  db: Db,
  clock: Clock,
  userId: string,
  password: string,
): Promise<void> {
  const hash = await hashPassword(password);
  const user = await findUserById(db.kysely, userId);
  if (!user) throw new AppError('not_found', 'No such user.');
  await db.kysely
    .updateTable('users')
    .set({ password_hash: hash, updated_at: clock.now().toISOString() })
    .where('id', '=', userId)
    .execute();
  await revokeUserSessions(db, clock, userId);
}
