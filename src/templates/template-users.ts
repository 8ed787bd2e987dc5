import type { Executor } from '../db/executor.js';
import type { ErrorDetail } from '../errors.js';
import { flowsSendingTemplate } from '../flows/flow.repository.js';
import { responsesUsingTemplate } from '../keywords/keyword-response.repository.js';

/**
 * What would stop working if the template went: the keyword responses replying with it and the
 * flows whose current version sends it, one detail each (the template's delete answers 409 with
 * them). Empty: nothing uses it.
 */
export async function templateUsers(
  db: Executor,
  sandbox: string,
  templateId: string,
): Promise<ErrorDetail[]> {
  const responses = await responsesUsingTemplate(db, sandbox, templateId);
  const flows = await flowsSendingTemplate(db, sandbox, templateId);
  return [
    ...responses.map((u) => ({
      path: '/keywordResponses',
      message: `the reply to ${u.keyword} of credential ${u.credentialId}`,
      credentialId: u.credentialId,
      keyword: u.keyword,
    })),
    ...flows.map((f) => ({
      path: '/flows',
      message: `sent by step ${f.stepIds.join(', ')} of flow "${f.name}"`,
      flowId: f.flowId,
      flowName: f.name,
      stepIds: f.stepIds,
    })),
  ];
}
