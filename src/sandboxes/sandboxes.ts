import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { isUniqueViolation } from '../db/dialect.js';
import { AppError } from '../errors.js';
import { recordAudit } from '../audit/audit.js';
import type { Actor } from '../auth/principal.js';

export const DEFAULT_SANDBOX = 'prod';
export const SANDBOX_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const SANDBOX_NAME_RULE =
  '1-63 lower-case letters, digits or dashes, starting with a letter or digit';

/**
 * Which marketing messages may go out: `not-unsubscribed` (the default: anyone who has not
 * opted out) or `subscribed-only` (only numbers that opted in). Transactional messages only
 * need the number not to be unsubscribed.
 */
export type ConsentPolicy = 'not-unsubscribed' | 'subscribed-only';
export const CONSENT_POLICIES: readonly ConsentPolicy[] = ['not-unsubscribed', 'subscribed-only'];

/** A sandbox's stored `consent_policy` (null: never set, the default). */
export function consentPolicyOf(stored: string | null | undefined): ConsentPolicy {
  return (stored as ConsentPolicy | null | undefined) ?? 'not-unsubscribed';
}

export interface Sandbox {
  name: string;
  createdAt: string;
  consentPolicy: ConsentPolicy;
}

/**
 * Sandboxes partition every resource. Their names are checked on every request, so known names
 * are cached (a sandbox is never deleted, so the cache never goes stale).
 */
export class SandboxService {
  private readonly known = new Set<string>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async exists(name: string): Promise<boolean> {
    if (this.known.has(name)) return true;
    const row = await this.db.kysely
      .selectFrom('sandboxes')
      .select('name')
      .where('name', '=', name)
      .executeTakeFirst();
    if (row) this.known.add(name);
    return row !== undefined;
  }

  async list(): Promise<Sandbox[]> {
    const rows = await this.db.kysely.selectFrom('sandboxes').selectAll().orderBy('name').execute();
    return rows.map((r) => ({
      name: r.name,
      createdAt: r.created_at,
      consentPolicy: consentPolicyOf(r.consent_policy),
    }));
  }

  async create(name: string, actor: Actor): Promise<Sandbox> {
    if (!SANDBOX_NAME.test(name)) {
      throw new AppError('validation_failed', 'The sandbox name is not valid.', [
        { path: '/name', message: `must be ${SANDBOX_NAME_RULE}` },
      ]);
    }
    const createdAt = this.clock.now().toISOString();
    try {
      await this.db.kysely.transaction().execute(async (trx) => {
        await trx.insertInto('sandboxes').values({ name, created_at: createdAt }).execute();
        // Outside any sandbox: made by a token valid in all of them, listed to such tokens.
        await recordAudit(trx, this.clock, {
          sandbox: null,
          actor,
          action: 'sandbox.created',
          resourceType: 'sandbox',
          resourceId: name,
          resourceName: name,
          fields: ['name'],
        });
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError('conflict', `Sandbox "${name}" already exists.`, [
          { path: '/name', message: 'is taken' },
        ]);
      }
      throw error;
    }
    this.known.add(name);
    return { name, createdAt, consentPolicy: 'not-unsubscribed' };
  }

  async consentPolicy(name: string): Promise<ConsentPolicy> {
    const row = await this.db.kysely
      .selectFrom('sandboxes')
      .select('consent_policy')
      .where('name', '=', name)
      .executeTakeFirst();
    return consentPolicyOf(row?.consent_policy);
  }

  async setConsentPolicy(name: string, policy: ConsentPolicy, actor: Actor): Promise<Sandbox> {
    if (!(await this.exists(name))) throw new AppError('not_found', `Sandbox "${name}" not found.`);
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx
        .updateTable('sandboxes')
        .set({ consent_policy: policy })
        .where('name', '=', name)
        .execute();
      await recordAudit(trx, this.clock, {
        sandbox: name,
        actor,
        action: 'sandbox.updated',
        resourceType: 'sandbox',
        resourceId: name,
        resourceName: name,
        fields: ['consentPolicy'],
        details: { consentPolicy: policy },
      });
    });
    const found = (await this.list()).find((s) => s.name === name);
    if (!found) throw new AppError('not_found', `Sandbox "${name}" not found.`);
    return found;
  }

  /** Makes sure a sandbox exists (the default one, at start). Safe to race. */
  async ensure(name: string): Promise<void> {
    if (await this.exists(name)) return;
    await this.db.kysely
      .insertInto('sandboxes')
      .values({ name, created_at: this.clock.now().toISOString() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    this.known.add(name);
  }
}
