import { randomBytes } from 'node:crypto';
import { hashPassword } from '../../src/auth/passwords.js';
import type { Role } from '../../src/auth/roles.js';
import { createUser } from '../../src/auth/users.js';
import type { TestApp } from './app.js';

/** The password every user made by {@link signIn} has (hashed once per process: scrypt is slow). */
export const TEST_PASSWORD = 'correct horse battery staple';
let testHash: Promise<string> | undefined;
/** The stored hash of {@link TEST_PASSWORD}, made once. */
export function testPasswordHash(): Promise<string> {
  testHash ??= hashPassword(TEST_PASSWORD);
  return testHash;
}

export interface SignedIn {
  userId: string;
  email: string;
  /** For `app.inject`: the session cookie and the CSRF token (needed on POST/PUT/PATCH/DELETE). */
  headers: { cookie: string; 'x-csrf-token': string };
  csrfToken: string;
}

/**
 * Creates a user with {@link TEST_PASSWORD} and the given roles (`{ prod: ['operator'] }`), signs
 * them in through the real POST /auth/login and returns headers for `app.inject`. Add
 * `'x-sandbox-name'` yourself for a sandbox other than the default. The sandboxes must exist.
 */
export async function signIn(
  t: TestApp,
  input: {
    email?: string;
    name?: string;
    roles?: Record<string, Role[]>;
    instanceAdmin?: boolean;
  } = {},
): Promise<SignedIn> {
  const email = input.email ?? `user-${randomBytes(4).toString('hex')}@example.test`;
  const user = await createUser(t.db.kysely, t.clock, {
    email,
    name: input.name ?? null,
    passwordHash: await testPasswordHash(),
    instanceAdmin: input.instanceAdmin ?? false,
  });
  const now = t.clock.now().toISOString();
  for (const [sandbox, roles] of Object.entries(input.roles ?? {})) {
    for (const role of roles) {
      await t.db.kysely
        .insertInto('memberships')
        .values({ sandbox, user_id: user.id, role, created_at: now })
        .execute();
    }
  }
  return logIn(t, email, TEST_PASSWORD, user.id);
}

/** Signs an existing user in through POST /auth/login (fails the test on anything but 200). */
export async function logIn(
  t: TestApp,
  email: string,
  password: string,
  userId?: string,
): Promise<SignedIn> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { email, password },
  });
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  const body = res.json<{ user: { id: string }; csrfToken: string }>();
  return {
    userId: userId ?? body.user.id,
    email,
    csrfToken: body.csrfToken,
    headers: { cookie: cookieHeader(res.cookies), 'x-csrf-token': body.csrfToken },
  };
}

/** A Cookie request header from the cookies an answer set. */
export function cookieHeader(cookies: { name: string; value: string }[]): string {
  return cookies.map((c) => `${c.name}=${c.value}`).join('; ');
}
