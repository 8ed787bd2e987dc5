/**
 * What uses a template, read before its delete dialog asks: campaigns not yet finished (a draft
 * or a scheduled one would lose its text), flows whose current version sends it, and keyword
 * responses that reply with it. Tern's delete refuses (409) while a flow or keyword response uses
 * it; the campaigns are named so nobody is surprised at confirm time.
 */
import type { Api, Campaign, CredentialSummary, Page } from '../../api';
import type { Flow } from '../flows/flow-types';
import type { KeywordResponse } from '../keyword-responses';

export interface TemplateDependants {
  campaigns: string[];
  flows: string[];
  keywordResponses: string[];
}

const FINISHED = new Set(['completed', 'cancelled']);

export async function templateDependants(
  api: Api,
  templateId: string,
): Promise<TemplateDependants> {
  const [campaigns, flows, credentials] = await Promise.all([
    api.get<Page<Campaign>>('/v1/campaigns', { limit: 200 }),
    api.get<Page<Flow>>('/v1/flows', { limit: 200 }),
    api.get<Page<CredentialSummary>>('/v1/credentials', { limit: 200 }),
  ]);
  const responses = await Promise.all(
    credentials.items.map(async (c) => {
      const page = await api.get<{ items: KeywordResponse[] }>(
        `/v1/credentials/${c.id}/keyword-responses`,
      );
      return page.items
        .filter((r) => r.templateId === templateId)
        .map((r) => `${r.keyword} on ${c.name}`);
    }),
  );
  return {
    campaigns: campaigns.items
      .filter((c) => c.templateId === templateId && !FINISHED.has(c.status))
      .map((c) => c.name),
    flows: flows.items
      .filter((f) =>
        f.definition.steps.some((s) => s.type === 'send' && s.templateId === templateId),
      )
      .map((f) => f.name),
    keywordResponses: responses.flat(),
  };
}
