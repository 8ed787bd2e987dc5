import type { SelectQueryBuilder } from 'kysely';
import type { DialectName } from '../db/dialect.js';
import type { Executor } from '../db/executor.js';
import { dialectOf } from '../db/json-sql.js';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import { ruleCondition } from './rule-sql.js';
import { parseSegmentRule, type SegmentRule } from './segment-rule.js';

/** Who a campaign (or a count) is for: a saved segment or a static list. */
export type Audience = { segmentId: string } | { listId: string };

/** The columns an audience query yields: enough to render and to check consent. */
export interface AudienceProfile {
  id: string;
  phone: string;
  consent: string;
  attributes: string;
}

export type AudienceQuery = SelectQueryBuilder<Database, 'profiles', AudienceProfile>;

/**
 * The profiles of an audience as ONE select over `profiles` yielding `id, phone, consent,
 * attributes` (attributes as stored JSON text), on either database, usable as a subquery
 * (`insertInto(…).expression(…)`, `where('id', 'in', …)`) or run as is. Not ordered: add
 * `orderBy('id')` to page. A rule is checked first (400 naming the bad node); an unknown
 * segment or list id is `not_found`. Relative times in a rule (`30d`) are resolved at `now`.
 */
export async function audienceProfiles(
  db: Executor,
  sandbox: string,
  audience: Audience | { rule: SegmentRule },
  options: { dialect?: DialectName; now?: Date } = {},
): Promise<AudienceQuery> {
  const base = db
    .selectFrom('profiles')
    .select(['profiles.id', 'profiles.phone', 'profiles.consent', 'profiles.attributes'])
    .where('profiles.sandbox', '=', sandbox);
  if ('listId' in audience) {
    const list = await db
      .selectFrom('lists')
      .select('id')
      .where('sandbox', '=', sandbox)
      .where('id', '=', audience.listId)
      .executeTakeFirst();
    if (!list) throw new AppError('not_found', `No list ${audience.listId} in this sandbox.`);
    return base.where('profiles.id', 'in', (eb) =>
      eb
        .selectFrom('list_members')
        .select('list_members.profile_id')
        .where('list_members.sandbox', '=', sandbox)
        .where('list_members.list_id', '=', audience.listId),
    );
  }
  let rule: SegmentRule;
  if ('segmentId' in audience) {
    const row = await db
      .selectFrom('segments')
      .select('rule')
      .where('sandbox', '=', sandbox)
      .where('id', '=', audience.segmentId)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `No segment ${audience.segmentId} in this sandbox.`);
    rule = JSON.parse(row.rule) as SegmentRule;
  } else {
    rule = parseSegmentRule(audience.rule);
  }
  const condition = ruleCondition(
    rule,
    options.dialect ?? dialectOf(db),
    options.now ?? new Date(),
  );
  return base.where(condition);
}
