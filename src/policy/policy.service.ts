import { recordAudit } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import type { Actor } from '../auth/principal.js';
import type { Db } from '../db/database.js';
import { AppError, staleVersionError, validationError, type ErrorDetail } from '../errors.js';
import { newId } from '../ids.js';
import { DEFAULT_VALIDITY } from '../messages/validity.js';
import { normalizeE164 } from '../phone.js';
import { applicableRules, decide, type DecideInput, type Decision } from './decide.js';
import { locateRecipient, type Location } from './locate.js';
import {
  countRecentMarketing,
  countStoredRules,
  deleteStoredRule,
  insertStoredRule,
  listStoredRules,
  profileAttributesOf,
  replaceStoredRule,
} from './policy.repository.js';
import { ruleProblems, type PolicyRule } from './rule.js';
import { SHIPPED_RULES } from './shipped-rules.js';
import type { InTransaction } from '../messages/batch-policy.js';

/** A rule as the API lists it: `overridden` marks a shipped rule this sandbox replaced. */
export type ListedRule = PolicyRule & { overridden: boolean };

/** The fields a client writes (the rest the server sets). */
export type RuleInput = Omit<PolicyRule, 'id' | 'origin' | 'version' | 'overrides' | 'enabled'> & {
  enabled?: boolean;
};
export type RulePatch = Partial<RuleInput>;

export interface PolicyDecideRequest {
  to: string;
  messageType: DecideInput['messageType'];
  oneTimeCode?: boolean;
  origin: string;
  validUntil: string;
  subject: string | null;
  attributes?: Record<string, unknown>;
}

export interface PolicyCheckRequest {
  to: string;
  messageType?: DecideInput['messageType'];
  at?: string;
  attributes?: Record<string, unknown>;
  subject?: string | null;
}

export interface PolicyCheckResult {
  action: Decision['action'];
  /** When it would go: now (send), the window's start (hold), null (drop). */
  scheduledFor: string | null;
  rule: string | null;
  reason: string | null;
  source: Location['source'];
  location: Location;
}

/** A sandbox's own rules (and overrides) at most; the list stays one page with the shipped ones. */
export const SANDBOX_RULES_MAX = 150;
// Guess: 5 s. Each process caches a sandbox's rules; a change made through another process (the
// API beside `tern worker`) reaches this one within this time, one read per sandbox per 5 s.
const CACHE_TTL_MS = 5_000;
const CACHE_SANDBOXES_MAX = 1_000;
const SHIPPED_BY_ID = new Map(SHIPPED_RULES.map((r) => [r.id, r]));

/**
 * The send-time policy: the shipped rules with a sandbox's overrides and own rules (cached per
 * sandbox), decisions with their cap counts, the dry run, and audited CRUD of sandbox rules. A
 * shipped rule is never edited: a PATCH of its id stores an override (the same id) that a DELETE
 * drops again.
 */
export class PolicyService {
  private readonly cache = new Map<string, { at: number; rules: readonly PolicyRule[] }>();

  constructor(
    private readonly deps: {
      db: Db;
      clock: Clock;
      /** The zone for recipients nothing else locates (TERN_POLICY_DEFAULT_TIME_ZONE). */
      defaultTimeZone?: string | null;
    },
  ) {}

  /** The rules in force for the sandbox's messages (shipped, overridden, its own) and its zone. */
  async rulesFor(
    sandbox: string,
  ): Promise<{ rules: readonly PolicyRule[]; defaultTimeZone: string | null }> {
    const now = this.deps.clock.now().getTime();
    const cached = this.cache.get(sandbox);
    const defaultTimeZone = this.deps.defaultTimeZone ?? null;
    if (cached && now - cached.at < CACHE_TTL_MS) return { rules: cached.rules, defaultTimeZone };
    const stored = await listStoredRules(this.deps.db.kysely, sandbox);
    const overridden = new Set(
      stored.map((s) => s.rule.overrides).filter((id): id is string => id != null),
    );
    const rules = [
      ...SHIPPED_RULES.filter((r) => !overridden.has(r.id)),
      ...stored.map((s) => s.rule),
    ];
    if (this.cache.size >= CACHE_SANDBOXES_MAX) this.cache.clear();
    this.cache.set(sandbox, { at: now, rules });
    // One default for every sandbox (config); without it a number that says no zone (+1 800)
    // under a window rule is dropped `time_zone_unknown` rather than sent blind.
    return { rules, defaultTimeZone };
  }

  /**
   * Accepted marketing sends to each of `phones` within each cap's window (`byRule`), and on
   * `subject` (a campaign id) for caps per subject: one indexed count per cap, for all phones.
   */
  async recentSendsFor(
    sandbox: string,
    phones: readonly string[],
    subject: string | null,
    now: Date,
    within?: InTransaction,
  ): Promise<Map<string, DecideInput['recentSends']>> {
    const { rules } = within ?? (await this.rulesFor(sandbox));
    const caps = rules.filter((r) => r.kind === 'cap' && r.cap && r.enabled);
    const result = new Map<string, DecideInput['recentSends']>();
    for (const phone of phones) result.set(phone, { number: 0, subject: 0, byRule: {} });
    const unique = [...new Set(phones)];
    // Caps of the same window and kind share one count.
    const counted = new Map<string, Map<string, number>>();
    for (const cap of caps) {
      const perSubject = cap.cap!.per === 'subject' && subject !== null;
      const key = `${cap.cap!.windowHours}:${perSubject}`;
      let counts = counted.get(key);
      if (!counts) {
        const since = new Date(now.getTime() - cap.cap!.windowHours * 3_600_000).toISOString();
        counts = new Map();
        // Chunks of 500 keep the IN list under every driver's parameter limit.
        for (let i = 0; i < unique.length; i += 500) {
          const part = await countRecentMarketing(
            within?.db ?? this.deps.db.kysely,
            sandbox,
            unique.slice(i, i + 500),
            since,
            perSubject ? subject : null,
          );
          for (const [phone, n] of part) counts.set(phone, n);
        }
        counted.set(key, counts);
      }
      for (const phone of phones) {
        const sends = result.get(phone)!;
        sends.byRule![cap.id] = counts.get(phone) ?? 0;
      }
    }
    return result;
  }

  /** The decision for one message, its cap counts read (only for the caps that reach it). */
  async decideFor(sandbox: string, request: PolicyDecideRequest, now: Date): Promise<Decision> {
    return (await this.judge(sandbox, request, now)).decision;
  }

  private async judge(
    sandbox: string,
    request: PolicyDecideRequest,
    now: Date,
  ): Promise<{ decision: Decision; location: Location }> {
    const { rules, defaultTimeZone } = await this.rulesFor(sandbox);
    const location = locateRecipient(request.to, request.attributes ?? {}, defaultTimeZone);
    const base = { ...request, location };
    const caps = applicableRules(rules, base, now).filter((r) => r.kind === 'cap');
    const recentSends =
      caps.length === 0
        ? { number: 0, subject: 0 }
        : ((await this.recentSendsFor(sandbox, [request.to], request.subject, now)).get(
            request.to,
          ) ?? { number: 0, subject: 0 });
    return { decision: decide({ ...base, recentSends }, rules, now), location };
  }

  /** The dry run: what would happen to a marketing text to `to` sent at `at` (default now). */
  async check(sandbox: string, request: PolicyCheckRequest): Promise<PolicyCheckResult> {
    const problems: ErrorDetail[] = [];
    const to = normalizeE164(request.to);
    if (!to)
      problems.push({
        path: '/to',
        message: 'not a valid phone number in international format (+14155550100)',
      });
    const at = request.at === undefined ? this.deps.clock.now() : new Date(request.at);
    if (Number.isNaN(at.getTime()))
      problems.push({ path: '/at', message: 'not an ISO 8601 date-time' });
    if (problems.length > 0 || !to)
      throw validationError('The policy check is not valid.', problems);
    const attributes =
      request.attributes ?? (await profileAttributesOf(this.deps.db.kysely, sandbox, to)) ?? {};
    const validity = DEFAULT_VALIDITY.amount * 3_600_000;
    const { decision, location } = await this.judge(
      sandbox,
      {
        to,
        messageType: request.messageType ?? 'marketing',
        origin: 'api',
        validUntil: new Date(at.getTime() + validity).toISOString(),
        subject: request.subject ?? null,
        attributes,
      },
      at,
    );
    return {
      action: decision.action,
      scheduledFor:
        decision.action === 'send'
          ? at.toISOString()
          : decision.action === 'hold'
            ? decision.until
            : null,
      rule: decision.action === 'send' ? null : decision.rule,
      reason: decision.action === 'drop' ? decision.reason : null,
      source: location.source,
      location,
    };
  }

  /** Every rule: shipped ones (as this sandbox has them), then the sandbox's own. */
  async list(sandbox: string): Promise<ListedRule[]> {
    const stored = await listStoredRules(this.deps.db.kysely, sandbox);
    const overrides = new Map(
      stored.filter((s) => s.rule.overrides != null).map((s) => [s.rule.overrides!, s.rule]),
    );
    const shipped = SHIPPED_RULES.map((r): ListedRule => {
      const override = overrides.get(r.id);
      return override
        ? { ...override, origin: 'shipped', overridden: true }
        : { ...r, overridden: false };
    });
    const own = stored
      .filter((s) => s.rule.overrides == null)
      .map((s): ListedRule => ({ ...s.rule, overridden: false }));
    return [...shipped, ...own];
  }

  async get(sandbox: string, id: string): Promise<ListedRule> {
    const found = (await this.list(sandbox)).find((r) => r.id === id);
    if (!found) throw new AppError('not_found', `No policy rule ${id} in this sandbox.`);
    return found;
  }

  async create(sandbox: string, actor: Actor, input: RuleInput): Promise<ListedRule> {
    const rule = this.checkCreate(input);
    const now = this.deps.clock.now().toISOString();
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      if ((await countStoredRules(trx, sandbox)) >= SANDBOX_RULES_MAX)
        throw new AppError(
          'conflict',
          `A sandbox has at most ${SANDBOX_RULES_MAX} rules of its own and overrides.`,
        );
      await insertStoredRule(trx, sandbox, rule, now);
      await this.audit(trx, sandbox, actor, 'policy_rule.created', rule, Object.keys(input));
    });
    this.cache.delete(sandbox);
    return { ...rule, overridden: false };
  }

  /**
   * Changes a sandbox rule, or overrides a shipped one for this sandbox (the first PATCH of a
   * shipped id stores its override; later ones change it). `expectedVersion` is If-Match's.
   */
  async update(
    sandbox: string,
    actor: Actor,
    id: string,
    patch: RulePatch,
    expectedVersion: number | undefined,
  ): Promise<ListedRule> {
    const before = await this.get(sandbox, id);
    if (expectedVersion !== undefined && expectedVersion !== before.version)
      throw staleVersionError('policy rule', before.version);
    const shipped = SHIPPED_BY_ID.get(id);
    const { overridden: _o, ...current } = before;
    const fields = (Object.keys(patch) as (keyof RulePatch)[]).filter(
      (k) => JSON.stringify(patch[k]) !== JSON.stringify(current[k]),
    );
    if (fields.length === 0) return before;
    const rule = patched(before, patch);
    this.validate(rule);
    const now = this.deps.clock.now().toISOString();
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      if (shipped && !before.overridden) {
        if ((await countStoredRules(trx, sandbox)) >= SANDBOX_RULES_MAX)
          throw new AppError(
            'conflict',
            `A sandbox has at most ${SANDBOX_RULES_MAX} rules of its own and overrides.`,
          );
        await insertStoredRule(trx, sandbox, rule, now);
      } else if (!(await replaceStoredRule(trx, sandbox, rule, before.version, now))) {
        throw staleVersionError('policy rule');
      }
      await this.audit(
        trx,
        sandbox,
        actor,
        shipped ? 'policy_rule.overridden' : 'policy_rule.updated',
        rule,
        fields,
      );
    });
    this.cache.delete(sandbox);
    return shipped
      ? { ...rule, origin: 'shipped', overridden: true }
      : { ...rule, overridden: false };
  }

  /** Deletes a sandbox rule, or drops the sandbox's override of a shipped one (it applies as shipped). */
  async delete(sandbox: string, actor: Actor, id: string): Promise<void> {
    const before = await this.get(sandbox, id);
    const shipped = SHIPPED_BY_ID.get(id);
    if (shipped && !before.overridden)
      throw new AppError(
        'conflict',
        `Rule ${id} is shipped with Tern and cannot be deleted; disable it with PATCH {"enabled": false}.`,
        [{ path: '/params/id', message: 'a shipped rule without an override in this sandbox' }],
      );
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      if (!(await deleteStoredRule(trx, sandbox, id)))
        throw new AppError('not_found', `No policy rule ${id} in this sandbox.`);
      await this.audit(
        trx,
        sandbox,
        actor,
        shipped ? 'policy_rule.restored' : 'policy_rule.deleted',
        before,
        [],
      );
    });
    this.cache.delete(sandbox);
  }

  /** The rule `create` would store, or the 400 it would refuse it with. */
  checkCreate(input: RuleInput): PolicyRule {
    const rule: PolicyRule = {
      ...input,
      id: newId(),
      origin: 'sandbox',
      overrides: null,
      enabled: input.enabled ?? true,
      version: 1,
      effectiveUntil: input.effectiveUntil ?? null,
    };
    this.validate(rule);
    return rule;
  }

  /** What `update` would refuse the patch for now (404, 400), without changing anything. */
  async checkUpdate(sandbox: string, id: string, patch: RulePatch): Promise<void> {
    this.validate(patched(await this.get(sandbox, id), patch));
  }

  private validate(rule: PolicyRule): void {
    const problems = ruleProblems(rule);
    if (problems.length > 0) throw validationError('The policy rule is not valid.', problems);
  }

  private audit(
    trx: Parameters<typeof recordAudit>[0],
    sandbox: string,
    actor: Actor,
    action:
      | 'policy_rule.created'
      | 'policy_rule.updated'
      | 'policy_rule.overridden'
      | 'policy_rule.restored'
      | 'policy_rule.deleted',
    rule: PolicyRule,
    fields: string[],
  ): Promise<void> {
    return recordAudit(trx, this.deps.clock, {
      sandbox,
      actor,
      action,
      resourceType: 'policy_rule',
      resourceId: rule.id,
      resourceName: rule.name,
      fields,
      details: { version: rule.version, enabled: rule.enabled },
    });
  }
}

/** A rule with a patch applied: stored in this sandbox (a shipped one's override), one version on. */
function patched(before: ListedRule, patch: RulePatch): PolicyRule {
  const { overridden: _o, ...current } = before;
  return {
    ...current,
    ...patch,
    id: before.id,
    origin: 'sandbox',
    overrides: SHIPPED_BY_ID.has(before.id) ? before.id : null,
    version: before.version + 1,
  };
}
