import type { Executor } from '../db/executor.js';
import type { PolicyRule } from './rule.js';

/** A stored sandbox rule or override (the columns of policy_rules, parsed). */
export interface StoredRule {
  rule: PolicyRule;
  createdAt: string;
  updatedAt: string;
}

/** The definition column holds the rule without what the row's own columns say. */
type Definition = Omit<PolicyRule, 'id' | 'origin' | 'enabled' | 'version' | 'overrides'>;

function toDefinition(rule: PolicyRule): string {
  const {
    id: _id,
    origin: _origin,
    enabled: _enabled,
    version: _version,
    overrides: _overrides,
    ...definition
  } = rule;
  return JSON.stringify(definition);
}

export async function listStoredRules(db: Executor, sandbox: string): Promise<StoredRule[]> {
  const rows = await db
    .selectFrom('policy_rules')
    .selectAll()
    .where('sandbox', '=', sandbox)
    .orderBy('id')
    .execute();
  return rows.map((row) => ({
    rule: {
      ...(JSON.parse(row.definition) as Definition),
      id: row.id,
      origin: 'sandbox',
      overrides: row.overrides,
      enabled: row.enabled === 1,
      version: row.version,
    },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }));
}

export async function countStoredRules(db: Executor, sandbox: string): Promise<number> {
  const row = await db
    .selectFrom('policy_rules')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('sandbox', '=', sandbox)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertStoredRule(
  db: Executor,
  sandbox: string,
  rule: PolicyRule,
  now: string,
): Promise<void> {
  await db
    .insertInto('policy_rules')
    .values({
      sandbox,
      id: rule.id,
      overrides: rule.overrides ?? null,
      definition: toDefinition(rule),
      enabled: rule.enabled ? 1 : 0,
      version: rule.version,
      created_at: now,
      updated_at: now,
    })
    .execute();
}

/** Writes `rule` over the row at `expectedVersion`; false when the row moved or is gone. */
export async function replaceStoredRule(
  db: Executor,
  sandbox: string,
  rule: PolicyRule,
  expectedVersion: number,
  now: string,
): Promise<boolean> {
  const result = await db
    .updateTable('policy_rules')
    .set({
      definition: toDefinition(rule),
      enabled: rule.enabled ? 1 : 0,
      version: rule.version,
      updated_at: now,
    })
    .where('sandbox', '=', sandbox)
    .where('id', '=', rule.id)
    .where('version', '=', expectedVersion)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteStoredRule(
  db: Executor,
  sandbox: string,
  id: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('policy_rules')
    .where('sandbox', '=', sandbox)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** Statuses of messages that never went and never will: they do not count against a cap. */
const NOT_SENT = ['suppressed', 'rejected', 'cancelled'];

/**
 * Marketing messages accepted since `since` to each of `phones` (and, with `campaignId`, of that
 * campaign), per number: one query over messages_policy_cap_idx (0021) per call.
 */
export async function countRecentMarketing(
  db: Executor,
  sandbox: string,
  phones: readonly string[],
  since: string,
  campaignId: string | null,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (phones.length === 0) return counts;
  let query = db
    .selectFrom('messages')
    .select(['to_number', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('sandbox', '=', sandbox)
    .where('to_number', 'in', [...phones])
    .where('message_type', '=', 'marketing')
    .where('created_at', '>=', since)
    .where('status', 'not in', NOT_SENT);
  if (campaignId !== null) query = query.where('campaign_id', '=', campaignId);
  const rows = await query.groupBy('to_number').execute();
  for (const row of rows) counts.set(row.to_number, Number(row.n));
  return counts;
}

/** The stored attributes of the profile with `phone`, or null when there is none. */
export async function profileAttributesOf(
  db: Executor,
  sandbox: string,
  phone: string,
): Promise<Record<string, unknown> | null> {
  const row = await db
    .selectFrom('profiles')
    .select('attributes')
    .where('sandbox', '=', sandbox)
    .where('phone', '=', phone)
    .executeTakeFirst();
  if (!row) return null;
  try {
    const parsed: unknown = JSON.parse(row.attributes);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
