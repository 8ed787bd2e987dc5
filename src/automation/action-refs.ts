import type { Executor } from '../db/executor.js';
import type { ErrorDetail } from '../errors.js';
import type { Action } from './action.js';
import { RESERVED_ATTRIBUTES } from './apply-action.js';

/**
 * The problems of actions that the schema cannot see: a list or flow that is not in the sandbox,
 * an attribute the inbound engine owns. One query per kind of referent, whatever the number of
 * actions; each problem names the action's `path` (e.g. `/actions/2/listId`).
 */
export async function validateActionRefs(
  db: Executor,
  sandbox: string,
  actions: { action: Action; path: string }[],
): Promise<ErrorDetail[]> {
  const problems: ErrorDetail[] = [];
  const listIds = new Set<string>();
  const flowIds = new Set<string>();
  for (const { action } of actions) {
    if (action.type === 'add_to_list' || action.type === 'remove_from_list')
      listIds.add(action.listId);
    else if (action.type === 'start_flow') flowIds.add(action.flowId);
  }
  const lists = await existing(db, 'lists', sandbox, listIds);
  const flows = await existing(db, 'flows', sandbox, flowIds);
  for (const { action, path } of actions) {
    switch (action.type) {
      case 'add_to_list':
      case 'remove_from_list':
        if (!lists.has(action.listId))
          problems.push({ path: `${path}/listId`, message: 'is not a list of this sandbox' });
        break;
      case 'start_flow':
        if (!flows.has(action.flowId))
          problems.push({ path: `${path}/flowId`, message: 'is not a flow of this sandbox' });
        break;
      case 'set_attribute':
      case 'clear_attribute':
        if (RESERVED_ATTRIBUTES.includes(action.name))
          problems.push({
            path: `${path}/name`,
            message: `"${action.name}" is kept by Tern (the keywords a person texted); use another name`,
          });
        break;
      case 'set_consent':
      case 'webhook':
        break;
    }
  }
  return problems;
}

async function existing(
  db: Executor,
  table: 'lists' | 'flows',
  sandbox: string,
  ids: Set<string>,
): Promise<Set<string>> {
  if (ids.size === 0) return new Set();
  const rows = await db
    .selectFrom(table)
    .select('id')
    .where('sandbox', '=', sandbox)
    .where('id', 'in', [...ids])
    .execute();
  return new Set(rows.map((r) => r.id));
}
