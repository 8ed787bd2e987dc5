import type { Action } from '../automation/action.js';
import type { Credential } from '../credentials/credential.js';
import type { Executor } from '../db/executor.js';
import { AppError } from '../errors.js';
import { findKeywordResponse } from '../keywords/keyword-response.repository.js';
import { checkRendered } from '../templates/check.js';
import { compileTemplate } from '../templates/render.js';
import { findTemplate } from '../templates/template.repository.js';
import type { RenderResult, SimulatedKeywordResponse } from './simulate.js';

/**
 * A custom keyword's stored response, resolved for the simulation (simulate.ts): its actions
 * described by name, a start_flow of the simulated flow marked, and the reply rendered as the
 * responder renders it (keyword-responder.ts: the profile and `keyword`, no channel footer).
 * Reads only; null when the keyword has no response.
 */
export async function simulatedKeywordResponse(
  db: Executor,
  sandbox: string,
  credential: Credential,
  flowId: string,
  keyword: string,
): Promise<SimulatedKeywordResponse | null> {
  const response = await findKeywordResponse(db, sandbox, credential.id, keyword);
  if (!response) return null;
  const actions = [];
  for (const action of response.actions)
    actions.push({
      action,
      startsThisFlow: action.type === 'start_flow' && action.flowId === flowId,
      describe: await describeAction(db, sandbox, action),
    });
  const template =
    response.templateId === null ? null : await findTemplate(db, sandbox, response.templateId);
  return {
    actions,
    reply: (ctx): Promise<RenderResult | null> => {
      if (response.templateId === null) return Promise.resolve(null);
      const fail = (message: string): Promise<RenderResult> =>
        Promise.resolve({ ok: false, problems: [{ path: '/templateId', message }] });
      if (!template) return fail(`template ${response.templateId} was deleted`);
      // The inbound engine replies from the credential's inbound number; without one, none.
      if (credential.inboundNumber === null)
        return fail('the credential has no inbound number to reply from');
      let rendered;
      try {
        rendered = compileTemplate(template).render({
          profile: { id: null, phone: ctx.phone, consent: ctx.consent, attributes: ctx.attributes },
          sandbox: { name: sandbox },
          campaign: null,
          keyword: ctx.keyword,
        });
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        return Promise.resolve({ ok: false, problems: error.details });
      }
      if (!rendered.ok) return Promise.resolve(rendered);
      const checked = checkRendered(rendered.text, template, null);
      if (!checked.ok) return Promise.resolve({ ok: false, problems: checked.problems });
      return Promise.resolve({ ok: true, text: checked.text, messageType: 'transactional' });
    },
  };
}

/** An action in words, lists and flows by name: `add to list "Offers"`. */
async function describeAction(db: Executor, sandbox: string, action: Action): Promise<string> {
  switch (action.type) {
    case 'set_attribute':
      return `set ${action.name} to ${JSON.stringify(action.value)}`;
    case 'clear_attribute':
      return `clear ${action.name}`;
    case 'set_consent':
      return `set consent to ${action.to}`;
    case 'add_to_list':
    case 'remove_from_list': {
      const list = await db
        .selectFrom('lists')
        .select('name')
        .where('sandbox', '=', sandbox)
        .where('id', '=', action.listId)
        .executeTakeFirst();
      const name = list ? `"${list.name}"` : `${action.listId} (which does not exist)`;
      return action.type === 'add_to_list' ? `add to list ${name}` : `remove from list ${name}`;
    }
    case 'webhook':
      return `record webhook event "${action.name}"`;
    case 'start_flow': {
      const flow = await db
        .selectFrom('flows')
        .select('name')
        .where('sandbox', '=', sandbox)
        .where('id', '=', action.flowId)
        .executeTakeFirst();
      return `start flow ${flow ? `"${flow.name}"` : action.flowId}`;
    }
  }
}
