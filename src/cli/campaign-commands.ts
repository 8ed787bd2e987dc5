import { CAMPAIGN_STATUSES, type Campaign } from '../campaigns/campaign.js';
import type { Estimate } from '../campaigns/estimate.js';
import type { CampaignResults } from '../campaigns/results.js';
import { listFlag, oneOf, templateVersionFlag } from './flag-values.js';
import { printJson, printRecord, printTable } from './output.js';
import { resourceCommand, show, version, type VerbContext } from './resource-commands.js';

interface TestSendItem {
  phone: string;
  ok: boolean;
  messageId?: string | null;
  text?: string;
  problems: { message: string }[];
}

/** `tern campaigns list|get|create|update|delete|estimate|test-send|confirm|pause|resume|cancel|results` */
export const campaignsCommand = resourceCommand<Campaign>({
  noun: 'campaign',
  collection: '/v1/campaigns',
  list: {
    query: (flags) => ({ status: oneOf(flags, CAMPAIGN_STATUSES) }),
    columns: ['id', 'name', 'status', 'recipients', 'queued', 'sendAt', 'updatedAt'],
    row: (c) => ({ ...c, queued: c.progress.queued, recipients: c.progress.recipients }),
  },
  verbs: {
    estimate: async ({ api, path, flags }) => {
      const estimate = await api.post<Estimate>(`${path()}/estimate`);
      return flags.json ? printJson(estimate) : printEstimate(estimate);
    },
    'test-send': async ({ api, path, flags }) => {
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
    },
    confirm: async ({ api, path, flags }) => {
      // --template-version: the version you reviewed (409 when the campaign pins another).
      const reviewed = templateVersionFlag(flags);
      const body = reviewed !== undefined ? { templateVersion: reviewed } : {};
      return show(
        flags,
        (await api.request('POST', `${path()}/confirm`, { body, ifMatch: version(flags) })).body,
      );
    },
    pause: transition('pause'),
    resume: transition('resume'),
    cancel: transition('cancel'),
    results: async ({ api, path, flags }) => {
      const results = await api.get<CampaignResults>(`${path()}/results`);
      return flags.json ? printJson(results) : printResults(results);
    },
  },
});

/** pause, resume, cancel: a POST with the version read (412 when it has changed since). */
function transition(action: string) {
  return async ({ api, path, flags }: VerbContext) =>
    show(
      flags,
      (await api.request('POST', `${path()}/${action}`, { ifMatch: version(flags) })).body,
    );
}

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
