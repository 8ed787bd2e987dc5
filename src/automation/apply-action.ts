import { sql } from 'kysely';
import type { Clock } from '../clock.js';
import { dialectOf } from '../db/json-sql.js';
import type { Executor } from '../db/executor.js';
import { recordEvent } from '../events/events.js';
import { changeConsent } from '../profiles/consent-change.js';
import { ensureProfile, findProfileByPhone } from '../profiles/profile.repository.js';
import type { FlowAction } from './action.js';

/** Who runs an action: named in the consent ledger's note and the webhook event. */
export type ActionSource =
  | { kind: 'keyword_response'; credentialId: string; keyword: string; inboundMessageId: string }
  | { kind: 'flow'; flowId: string; runId: string; stepId: string };

export interface ActionContext {
  sandbox: string;
  phone: string;
  source: ActionSource;
}

export type ActionOutcome = { ok: true; detail: string } | { ok: false; detail: string };

/**
 * The attribute the inbound engine keeps custom keywords under (profile.ts): an action may not
 * overwrite or clear it, or a person's keyword history would vanish.
 */
export const RESERVED_ATTRIBUTES: readonly string[] = ['keywords'];

/** A sentence naming who acted, for the ledger note and outcome details. */
export function describeSource(source: ActionSource): string {
  return source.kind === 'keyword_response'
    ? `keyword ${source.keyword} (credential ${source.credentialId})`
    : `flow ${source.flowId} (run ${source.runId}, step ${source.stepId})`;
}

/**
 * Runs one action in the caller's transaction. set_consent writes the ledger with source
 * 'automation' (note naming the flow/keyword) via changeConsent; list actions write
 * list_members directly (a missing list is { ok: false }, never a throw); webhook records a
 * 'flow.webhook' event with { name, data, phone, profileId, source }, which the event-webhook
 * dispatcher delivers, signed, to every webhook subscribed to it; attributes are a JSON
 * set/remove in SQL on the profile (ensureProfile first), so concurrent writers of other keys
 * lose nothing, and a 'profile.updated' event { profileId, phone, attribute, value, source }
 * (live segments re-evaluate the profile; consent has consent.changed; lists are in no
 * segment rule). Never throws for a missing referent; throws only on database errors.
 */
export async function applyAction(
  trx: Executor,
  clock: Clock,
  ctx: ActionContext,
  action: FlowAction,
): Promise<ActionOutcome> {
  const { sandbox, phone, source } = ctx;
  switch (action.type) {
    case 'set_attribute':
    case 'clear_attribute': {
      if (RESERVED_ATTRIBUTES.includes(action.name))
        return { ok: false, detail: `attribute "${action.name}" is reserved` };
      const profile = await ensureProfile(trx, clock, sandbox, phone);
      const now = clock.now().toISOString();
      const attributes =
        action.type === 'set_attribute'
          ? setJson(trx, action.name, action.value)
          : removeJson(trx, action.name);
      await trx
        .updateTable('profiles')
        .set({ attributes, updated_at: now })
        .where('sandbox', '=', sandbox)
        .where('id', '=', profile.id)
        .execute();
      // Live segments re-evaluate the profile on it (live-segments.ts); webhooks may follow it.
      await recordEvent(trx, clock, {
        sandbox,
        type: 'profile.updated',
        payload: {
          profileId: profile.id,
          phone,
          attribute: action.name,
          value: action.type === 'set_attribute' ? action.value : null,
          source: { kind: source.kind, ...sourceFields(source) },
        },
      });
      return action.type === 'set_attribute'
        ? { ok: true, detail: `set ${action.name} to ${JSON.stringify(action.value)}` }
        : { ok: true, detail: `cleared ${action.name}` };
    }
    case 'set_consent': {
      const change = await changeConsent(trx, clock, {
        sandbox,
        phone,
        to: action.to,
        source: 'automation',
        inboundMessageId: source.kind === 'keyword_response' ? source.inboundMessageId : null,
        note: `set by ${describeSource(source)}`,
        eventContext: sourceFields(source),
      });
      return {
        ok: true,
        detail: change.changed
          ? `consent ${change.from} → ${change.to}`
          : `consent already ${change.to}`,
      };
    }
    case 'add_to_list':
    case 'remove_from_list': {
      const list = await trx
        .selectFrom('lists')
        .select(['id', 'name'])
        .where('sandbox', '=', sandbox)
        .where('id', '=', action.listId)
        .executeTakeFirst();
      if (!list) return { ok: false, detail: `list ${action.listId} does not exist` };
      if (action.type === 'add_to_list') {
        const profile = await ensureProfile(trx, clock, sandbox, phone);
        const result = await trx
          .insertInto('list_members')
          .values({
            sandbox,
            list_id: list.id,
            profile_id: profile.id,
            added_at: clock.now().toISOString(),
          })
          .onConflict((oc) => oc.columns(['sandbox', 'list_id', 'profile_id']).doNothing())
          .executeTakeFirst();
        return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0
          ? { ok: true, detail: `added to list "${list.name}"` }
          : { ok: true, detail: `already in list "${list.name}"` };
      }
      const profile = await findProfileByPhone(trx, sandbox, phone);
      if (!profile) return { ok: true, detail: `not in list "${list.name}"` };
      const result = await trx
        .deleteFrom('list_members')
        .where('sandbox', '=', sandbox)
        .where('list_id', '=', list.id)
        .where('profile_id', '=', profile.id)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0
        ? { ok: true, detail: `removed from list "${list.name}"` }
        : { ok: true, detail: `not in list "${list.name}"` };
    }
    case 'webhook': {
      const profile = await findProfileByPhone(trx, sandbox, phone);
      await recordEvent(trx, clock, {
        sandbox,
        type: 'flow.webhook',
        payload: {
          name: action.name,
          data: action.data ?? {},
          phone,
          profileId: profile?.id ?? null,
          source: { kind: source.kind, ...sourceFields(source) },
        },
      });
      return { ok: true, detail: `webhook event "${action.name}" recorded` };
    }
  }
}

function sourceFields(source: ActionSource): Record<string, string> {
  return source.kind === 'keyword_response'
    ? { credentialId: source.credentialId, keyword: source.keyword }
    : { flowId: source.flowId, runId: source.runId, stepId: source.stepId };
}

/** `attributes` with one top-level key set to a JSON scalar, in SQL. */
function setJson(db: Executor, name: string, value: string | number | boolean) {
  const json = JSON.stringify(value);
  return dialectOf(db) === 'postgres'
    ? sql<string>`((${sql.ref('attributes')})::jsonb || jsonb_build_object(${name}::text, ${json}::jsonb))::text`
    : sql<string>`json_set(${sql.ref('attributes')}, ${`$."${name}"`}, json(${json}))`;
}

/** `attributes` without one top-level key, in SQL. */
function removeJson(db: Executor, name: string) {
  return dialectOf(db) === 'postgres'
    ? sql<string>`((${sql.ref('attributes')})::jsonb - ${name}::text)::text`
    : sql<string>`json_remove(${sql.ref('attributes')}, ${`$."${name}"`})`;
}
