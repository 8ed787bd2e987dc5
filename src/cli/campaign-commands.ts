import {
  CAMPAIGN_STATUSES,
  type Campaign,
  type CampaignInput,
  type CampaignStatus,
} from '../campaigns/campaign.js';
import type { Estimate } from '../campaigns/estimate.js';
import type { CampaignResults } from '../campaigns/results.js';
import type { Config } from '../config.js';
import { CampaignBody, TestSendBody } from '../http/routes/campaigns.js';
import { checked, checkedBody, listFlag, templateVersionFlag } from './checked-body.js';
import { printJson, printRecord, printTable } from './output.js';
import { CLI_ACTOR, need, sandboxOf, version, withRuntime } from './resource-commands.js';
import { UsageError, type ResourceFlags } from './usage.js';

const VERBS =
  'list, get, create, update, delete, estimate, test-send, confirm, pause, resume, cancel or results';

/** `tern campaigns list|get|create|update|delete|estimate|test-send|confirm|pause|resume|cancel|results` */
export async function campaignsCommand(
  config: Config,
  [verb, id]: string[],
  flags: ResourceFlags,
): Promise<void> {
  await withRuntime(config, async (runtime) => {
    const campaigns = runtime.services.campaigns;
    const sandbox = await sandboxOf(runtime, flags);
    const show = (c: Campaign) => (flags.json ? printJson(c) : printRecord({ ...c }));
    const campaignId = () => need(id, 'campaign');
    switch (verb) {
      case 'list': {
        const page = await campaigns.list(sandbox, { status: statusFlag(flags), limit: 200 });
        if (flags.json) return printJson(page.items);
        return printTable(
          page.items.map((c) => ({
            ...c,
            queued: c.progress.queued,
            recipients: c.progress.recipients,
          })),
          ['id', 'name', 'status', 'recipients', 'queued', 'sendAt', 'updatedAt'],
        );
      }
      case 'get':
        return show(await campaigns.get(sandbox, campaignId()));
      case 'create':
        return show(
          await campaigns.create(
            sandbox,
            CLI_ACTOR,
            checkedBody<CampaignInput>(flags, CampaignBody),
          ),
        );
      case 'update':
        return show(
          await campaigns.update(
            sandbox,
            CLI_ACTOR,
            campaignId(),
            checkedBody<CampaignInput>(flags, CampaignBody),
            version(flags),
          ),
        );
      case 'delete':
        await campaigns.delete(sandbox, CLI_ACTOR, campaignId());
        return flags.json ? printJson({ deleted: id }) : console.log(`Deleted campaign ${id}.`);
      case 'estimate': {
        const estimate = await campaigns.estimate(sandbox, campaignId());
        return flags.json ? printJson(estimate) : printEstimate(estimate);
      }
      case 'test-send': {
        const phones = listFlag(flags.phones);
        checked(phones ? { phones } : {}, TestSendBody);
        const { items } = await campaigns.testSend(sandbox, CLI_ACTOR, campaignId(), phones);
        if (flags.json) return printJson({ items });
        return printTable(
          items.map((i) => ({ ...i, problems: i.problems.map((p) => p.message) })),
          ['phone', 'ok', 'messageId', 'text', 'problems'],
        );
      }
      case 'confirm': {
        // --template-version: the version you reviewed (409 when the campaign pins another).
        const reviewed = templateVersionFlag(flags);
        return show(
          await campaigns.confirm(
            sandbox,
            CLI_ACTOR,
            campaignId(),
            reviewed !== undefined ? { templateVersion: reviewed } : {},
            version(flags),
          ),
        );
      }
      case 'pause':
        return show(await campaigns.pause(sandbox, CLI_ACTOR, campaignId(), version(flags)));
      case 'resume':
        return show(await campaigns.resume(sandbox, CLI_ACTOR, campaignId(), version(flags)));
      case 'cancel':
        return show(await campaigns.cancel(sandbox, CLI_ACTOR, campaignId(), version(flags)));
      case 'results': {
        const results = await campaigns.results(sandbox, campaignId());
        return flags.json ? printJson(results) : printResults(results);
      }
      default:
        throw new UsageError(`unknown action "${verb ?? ''}": use ${VERBS}`);
    }
  });
}

function statusFlag(flags: ResourceFlags): CampaignStatus | undefined {
  const status = flags.status;
  if (status === undefined) return undefined;
  if (!(CAMPAIGN_STATUSES as readonly string[]).includes(status))
    throw new UsageError(`--status must be one of: ${CAMPAIGN_STATUSES.join(', ')}`);
  return status as CampaignStatus;
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
