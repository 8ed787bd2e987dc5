import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { recordAudit } from '../audit/audit.js';
import { SYSTEM_ACTOR, type Actor } from './principal.js';
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

/**
 * Stores a new token's hash and returns the token itself (shown once, never stored). Audited in
 * the token's sandbox, or outside any sandbox for a token valid in all of them; `actor` is who
 * asked (a request's token or user, the CLI; the system for the bootstrap token).
 */
export async function createAdminToken(
  db: Db,
  clock: Clock,
  input: { name: string; sandbox?: string | null; actor?: Actor },
): Promise<{ id: string; token: string }> {
  const token = generateToken();
  const id = newId();
  const sandbox = input.sandbox ?? null;
  await db.kysely.transaction().execute(async (trx) => {
    await trx
      .insertInto('admin_tokens')
      .values({
        id,
        name: input.name,
        token_hash: hashToken(token),
        sandbox,
        created_at: clock.now().toISOString(),
        revoked_at: null,
      })
      .execute();
    await recordAudit(trx, clock, {
      sandbox,
      actor: input.actor ?? SYSTEM_ACTOR,
      action: 'admin_token.created',
      resourceType: 'admin_token',
      resourceId: id,
      resourceName: input.name,
      fields: ['name', 'sandbox'],
      details: { sandbox },
    });
  });
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
 * How long a stored token, once verified, is trusted without asking the database again (each
 * API request would otherwise cost a query). A revocation through this process
 * ({@link revokeAdminToken}: the API, or the CLI on its own database handle) takes effect at
 * once; a revocation by another process (the `tern tokens revoke` CLI next to a running server,
 * another server on PostgreSQL) takes effect within this bound.
 */
export const VERIFIED_TOKEN_TTL_MS = 5_000;
const VERIFIED_TOKEN_CACHE_SIZE = 1_000;

interface VerifiedTokens {
  /** Bumped by every revocation: a verification that began before it is not cached. */
  generation: number;
  byHash: Map<string, { principal: AdminPrincipal; until: number }>;
}

/** Per database, so that every verifier of this process sees a revocation made through it. */
const verifiedTokens = new WeakMap<Db, VerifiedTokens>();

function verifiedTokensOf(db: Db): VerifiedTokens {
  let cache = verifiedTokens.get(db);
  if (!cache) {
    cache = { generation: 0, byHash: new Map() };
    verifiedTokens.set(db, cache);
  }
  return cache;
}

/**
 * Checks bearer tokens: the configured `TERN_ADMIN_TOKEN` (compared in constant time) or a
 * stored token found by its hash (trusted for {@link VERIFIED_TOKEN_TTL_MS} once found).
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
    const cache = verifiedTokensOf(this.db);
    const now = performance.now();
    const hit = cache.byHash.get(hash);
    if (hit && hit.until > now) return hit.principal;
    const generation = cache.generation;
    const row = await this.db.kysely
      .selectFrom('admin_tokens')
      .select(['id', 'name', 'sandbox'])
      .where('token_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) {
      cache.byHash.delete(hash);
      return undefined;
    }
    const principal = { tokenId: row.id, name: row.name, sandbox: row.sandbox };
    // Only unknown tokens are not cached: a token created by another process works at once.
    if (cache.generation === generation) {
      if (cache.byHash.size >= VERIFIED_TOKEN_CACHE_SIZE) cache.byHash.clear();
      cache.byHash.set(hash, { principal, until: now + VERIFIED_TOKEN_TTL_MS });
    }
    return principal;
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

/** Revokes a token (audited as `actor`'s doing); false when there is no such active token. */
export async function revokeAdminToken(
  db: Db,
  clock: Clock,
  id: string,
  actor: Actor = SYSTEM_ACTOR,
): Promise<boolean> {
  const cache = verifiedTokensOf(db);
  const forget = () => {
    cache.generation++;
    for (const [hash, entry] of cache.byHash) {
      if (entry.principal.tokenId === id) cache.byHash.delete(hash);
    }
  };
  // Before the update (no request may start trusting it from the cache) and after it (a
  // verification that read the row in between is not cached: the generation moved).
  forget();
  const revoked = await db.kysely.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('admin_tokens')
      .set({ revoked_at: clock.now().toISOString() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returning(['name', 'sandbox'])
      .executeTakeFirst();
    if (row) {
      await recordAudit(trx, clock, {
        sandbox: row.sandbox,
        actor,
        action: 'admin_token.revoked',
        resourceType: 'admin_token',
        resourceId: id,
        resourceName: row.name,
        fields: ['revokedAt'],
      });
    }
    return row !== undefined;
  });
  forget();
  return revoked;
}
