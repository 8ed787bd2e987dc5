import { systemClock, type Clock } from '../clock.js';
import type { Db } from '../db/database.js';

/** Why a stream was not admitted. */
export type SlotRefusal = 'process_full' | 'token_full';

/**
 * The event-stream slots of one process: at most `max` open streams, and at most `perToken` of
 * them for any one admin token, so that one token cannot take every slot from the others.
 */
export class StreamSlots {
  private total = 0;
  private readonly byToken = new Map<string, number>();

  constructor(
    readonly max: number,
    readonly perToken: number,
  ) {}

  /** Takes a slot for `tokenId`, or says why there is none. */
  take(tokenId: string): { ok: true } | { ok: false; reason: SlotRefusal } {
    const mine = this.byToken.get(tokenId) ?? 0;
    if (mine >= this.perToken) return { ok: false, reason: 'token_full' };
    if (this.total >= this.max) return { ok: false, reason: 'process_full' };
    this.total++;
    this.byToken.set(tokenId, mine + 1);
    return { ok: true };
  }

  release(tokenId: string): void {
    const mine = this.byToken.get(tokenId) ?? 0;
    if (mine <= 0) return;
    this.total--;
    if (mine === 1) this.byToken.delete(tokenId);
    else this.byToken.set(tokenId, mine - 1);
  }

  get open(): number {
    return this.total;
  }
}

/**
 * Whether the tokens behind open streams are still valid (not revoked, not deleted), asked of
 * the database by token id. One answer per token is shared for `ttlMs` by all its streams, so
 * the cost is at most one primary-key read per token with open streams per `ttlMs` (200 streams
 * of 20 tokens, every 5 s: 4 reads a second). `TERN_ADMIN_TOKEN` (id `env`) is valid until the
 * process restarts with another one. A console session's streams are keyed `session:<id>`: the
 * session must be neither revoked nor expired, and its user not disabled.
 */
/** The prefix of a console session's key (its id follows). */
export const SESSION_KEY = 'session:';

export class TokenLiveness {
  private readonly answers = new Map<string, { until: number; active: Promise<boolean> }>();

  constructor(
    private readonly db: Db,
    private readonly ttlMs: number,
    private readonly clock: Clock = systemClock,
  ) {}

  isActive(tokenId: string): Promise<boolean> {
    if (tokenId === 'env') return Promise.resolve(true);
    const now = performance.now();
    const cached = this.answers.get(tokenId);
    if (cached && cached.until > now) return cached.active;
    if (this.answers.size >= 1000) this.answers.clear();
    const active = (
      tokenId.startsWith(SESSION_KEY)
        ? this.db.kysely
            .selectFrom('sessions as s')
            .innerJoin('users as u', 'u.id', 's.user_id')
            .select('s.id')
            .where('s.id', '=', tokenId.slice(SESSION_KEY.length))
            .where('s.revoked_at', 'is', null)
            .where('s.expires_at', '>', this.clock.now().toISOString())
            .where('u.disabled_at', 'is', null)
            .executeTakeFirst()
        : this.db.kysely
            .selectFrom('admin_tokens')
            .select('id')
            .where('id', '=', tokenId)
            .where('revoked_at', 'is', null)
            .executeTakeFirst()
    ).then((row) => row !== undefined);
    // A failed read is not remembered: the next check asks again.
    void active.catch(() => this.answers.delete(tokenId));
    this.answers.set(tokenId, { until: now + this.ttlMs, active });
    return active;
  }
}
