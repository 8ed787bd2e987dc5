import { CAMPAIGN_STATUSES, type Campaign } from '../campaigns/campaign.js';
import type { Estimate } from '../campaigns/estimate.js';
import type { CampaignResults } from '../campaigns/results.js';
import { listFlag, oneOf, templateVersionFlag } from './flag-values.js';
import { printJson, printRecord, printTable } from './output.js';
import {
  body,
  deleted,
  need,
  pageQuery,
  printPage,
  seg,
  show,
  version,
  type ApiCommand,
  type Page,
} from './resource-commands.js';
import { UsageError } from './usage.js';

const VERBS =
  'list, get, create, update, delete, estimate, test-send, confirm, pause, resume, cancel or results';

interface TestSendItem {
  phone: string;
  ok: boolean;
  messageId?: string | null;
  text?: string;
  problems: { message: string }[];
}

/** `tern campaigns list|get|create|update|delete|estimate|test-send|confirm|pause|resume|cancel|results` */
export const campaignsCommand: ApiCommand = async (api, [verb, id], flags) => {
  const path = () => `/v1/campaigns/${seg(need(id, 'campaign'))}`;
  switch (verb) {
    case 'list':
      return printPage(
        flags,
        await api.get<Page<Campaign>>('/v1/campaigns', {
          ...pageQuery(flags),
          status: oneOf(flags, CAMPAIGN_STATUSES),
        }),
        ['id', 'name', 'status', 'recipients', 'queued', 'sendAt', 'updatedAt'],
        (c) => ({ ...c, queued: c.progress.queued, recipients: c.progress.recipients }),
      );
    case 'get':
      return show(flags, await api.get(path()));
    case 'create':
      return show(flags, await api.post('/v1/campaigns', body(flags)));
    case 'update':
      return show(flags, await api.patch(path(), body(flags), version(flags)));
    case 'delete':
      await api.delete(path());
      return deleted(flags, 'campaign', need(id, 'campaign'));
    case 'estimate': {
      const estimate = await api.post<Estimate>(`${path()}/estimate`);
      return flags.json ? printJson(estimate) : printEstimate(estimate);
    }
    case 'test-send': {
      const phones = listFlag(flags.phones);
      const answer = await api.post<{ items: TestSendItem[] }>(
        `${path()}/test-send`,
        phones ? { phones } : {},
      );
      if (flags.json) return printJson(answer);
      return printTable(
        answer.items.map((i) => ({ ...i, problems: i.problems.map((p) => p.message) })),
        ['phone', 'ok', 'messageId', 'text', 'problems'],
      );
    }
    case 'confirm': {
      // --template-version: the version you reviewed (409 when the campaign pins another).
      const reviewed = templateVersionFlag(flags);
      return show(
        flags,
        (
          await api.request('POST', `${path()}/confirm`, {
            body: reviewed !== undefined ? { templateVersion: reviewed } : {},
            ifMatch: version(flags),
          })
        ).body,
      );
    }
    case 'pause':
    case 'resume':
    case 'cancel':
      return show(
        flags,
        (await api.request('POST', `${path()}/${verb}`, { ifMatch: version(flags) })).body,
      );
    case 'results': {
      const results = await api.get<CampaignResults>(`${path()}/results`);
      return flags.json ? printJson(results) : printResults(results);
    }
    default:
      throw new UsageError(`unknown action "${verb ?? ''}": use ${VERBS}`);
  }
};

function printEstimate(e: Estimate): void {
  printRecord({
    recipients: e.recipients,
    eligible: e.eligible,
    excluded: e.excluded.total,
    rendering: `${e.rendering.method}, ${e.rendering.rendered} rendered`,
    totalParts: e.rendering.totalParts,
    renderFailures: e.rendering.failures.recipients,
    accuracy: e.accuracy,
  });
  if (e.excluded.byReason.length > 0) {
    console.log('\nExcluded by consent');
    printTable(e.excluded.byReason, ['consent', 'recipients', 'reason']);
  }
  if (e.rendering.parts.length > 0) {
    console.log('\nParts and encoding');
    printTable(e.rendering.parts, ['segments', 'encoding', 'recipients']);
  }
}

function printResults(r: CampaignResults): void {
  printRecord({
    recipients: r.recipients,
    excluded: r.excluded,
    renderFailed: r.renderFailed,
    ...r.messages,
    optOuts: r.optOuts,
    replies: r.replies,
    optOutRate: r.optOutRate,
    failureRate: r.failureRate,
  });
}
