import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { newId } from '../ids.js';

/** The identity behind an authenticated admin request. */
export interface AdminPrincipal {
  tokenId: string;
  name: string;
  /** The one sandbox this token may use, or null for all. */
  sandbox: string | null;
}

/** Tokens carry 256 random bits, so a fast hash is enough: nothing to brute-force. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function generateToken(): string {
  return `tern_${randomBytes(32).toString('base64url')}`;
}

/** Stores a new token's hash and returns the token itself (shown once, never stored). */
export async function createAdminToken(
  db: Db,
  clock: Clock,
  input: { name: string; sandbox?: string | null },
): Promise<{ id: string; token: string }> {
  const token = generateToken();
  const id = newId();
  await db.kysely
    .insertInto('admin_tokens')
    .values({
      id,
      name: input.name,
      token_hash: hashToken(token),
      sandbox: input.sandbox ?? null,
      created_at: clock.now().toISOString(),
      revoked_at: null,
    })
    .execute();
  return { id, token };
}

export async function countActiveTokens(db: Db): Promise<number> {
  const row = await db.kysely
    .selectFrom('admin_tokens')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('revoked_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Checks bearer tokens: the configured `TERN_ADMIN_TOKEN` (compared in constant time) or a
 * stored token found by its hash.
 */
export class AdminTokenVerifier {
  private readonly envTokenHash: Buffer | undefined;

  constructor(
    private readonly db: Db,
    envToken: string | undefined,
  ) {
    this.envTokenHash = envToken ? Buffer.from(hashToken(envToken), 'hex') : undefined;
  }

  async verify(token: string): Promise<AdminPrincipal | undefined> {
    const hash = hashToken(token);
    if (this.envTokenHash && timingSafeEqual(this.envTokenHash, Buffer.from(hash, 'hex'))) {
      return { tokenId: 'env', name: 'TERN_ADMIN_TOKEN', sandbox: null };
    }
    const row = await this.db.kysely
      .selectFrom('admin_tokens')
      .select(['id', 'name', 'sandbox'])
      .where('token_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row ? { tokenId: row.id, name: row.name, sandbox: row.sandbox } : undefined;
  }
}

/**
 * First start without `TERN_ADMIN_TOKEN`: when no token exists yet, make one so that a newcomer
 * can sign in. Returns the token to print once, or undefined when nothing was created.
 */
export async function bootstrapAdminToken(
  db: Db,
  clock: Clock,
  envToken: string | undefined,
): Promise<string | undefined> {
  if (envToken) return undefined;
  if ((await countActiveTokens(db)) > 0) return undefined;
  const { token } = await createAdminToken(db, clock, { name: 'bootstrap' });
  return token;
}

/** A token as listed: never the token itself, which is shown once at creation. */
export interface AdminTokenInfo {
  id: string;
  name: string;
  sandbox: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export async function listAdminTokens(db: Db, sandbox: string | null): Promise<AdminTokenInfo[]> {
  let select = db.kysely
    .selectFrom('admin_tokens')
    .select(['id', 'name', 'sandbox', 'created_at', 'revoked_at']);
  if (sandbox !== null) select = select.where('sandbox', '=', sandbox);
  const rows = await select.orderBy('id').execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    sandbox: r.sandbox,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  }));
}

/** Revokes a token; false when there is no such active token. */
export async function revokeAdminToken(db: Db, clock: Clock, id: string): Promise<boolean> {
  const result = await db.kysely
    .updateTable('admin_tokens')
    .set({ revoked_at: clock.now().toISOString() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
