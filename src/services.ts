import { approvalTargets } from './approval-targets.js';
import { ApprovalService } from './approvals/approval.service.js';
import { AudienceService } from './audiences/audience.service.js';
import { CampaignService } from './campaigns/campaign.service.js';
import { ChannelService } from './channels/channel.service.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { CredentialService, type CredentialServiceDeps } from './credentials/credential.service.js';
import type { Keyring } from './crypto/secret-box.js';
import type { Db } from './db/database.js';
import { GROUP_COMMIT_MAX_ITEMS, GroupCommitter } from './db/group-commit.js';
import { EventWebhookService } from './events/event-webhook.service.js';
import { FlowEngine } from './flows/flow-engine.js';
import { FlowInboundHandler } from './flows/flow-inbound.js';
import { FlowService } from './flows/flow.service.js';
import { InboundService } from './inbound/inbound.service.js';
import { KeywordResponderImpl } from './keywords/keyword-responder.js';
import { KeywordResponseService } from './keywords/keyword-response.service.js';
import { SendService } from './messages/send.service.js';
import { Metrics } from './metrics.js';
import { PolicyService } from './policy/policy.service.js';
import { ProfileService } from './profiles/profile.service.js';
import { SandboxService } from './sandboxes/sandboxes.js';
import { StatsService } from './stats/stats.service.js';
import { TemplateService } from './templates/template.service.js';

/** The domain services, built once and shared by the three doors: HTTP, the worker and the CLI. */
export interface Services {
  /** The encryption keys; the HTTP app derives its CSRF key from the current one (http/csrf.ts). */
  keyring: Keyring;
  sandboxes: SandboxService;
  credentials: CredentialService;
  channels: ChannelService;
  inbound: InboundService;
  profiles: ProfileService;
  messages: SendService;
  metrics: Metrics;
  eventWebhooks: EventWebhookService;
  stats: StatsService;
  campaigns: CampaignService;
  audiences: AudienceService;
  templates: TemplateService;
  policy: PolicyService;
  /** Flows (issue 17): definitions, runs, the API trigger; `flowEngine` takes the steps. */
  flows: FlowService;
  flowEngine: FlowEngine;
  keywordResponses: KeywordResponseService;
  /** Answers custom keywords; the flow engine is given to it with setFlowStarter once built. */
  keywordResponder: KeywordResponderImpl;
  /** Approvals (issue 18): changes that wait for a second person. */
  approvals: ApprovalService;
}

export interface ServiceContext {
  config: Config;
  db: Db;
  clock: Clock;
  keyring: Keyring;
  checkConnection: CredentialServiceDeps['checkConnection'];
}

export function createServices(ctx: ServiceContext): Services {
  const { config, db, clock, keyring } = ctx;
  const sandboxes = new SandboxService(db, clock);
  // Inbound texts share one committer's commits, batch after batch (a text sees the effects of
  // every text before it). Sends are independent of each other (a repeated idempotency key is a
  // unique violation, answered 409), so on PostgreSQL their batches commit side by side.
  const committer = new GroupCommitter(db);
  const writers = db.capabilities.concurrentWriters;
  const sendCommitter =
    writers > 1 ? new GroupCommitter(db, GROUP_COMMIT_MAX_ITEMS, writers) : committer;
  const metrics = new Metrics(db);
  // The send-time policy (issue 16) judges every marketing message the API or a campaign makes.
  const policy = new PolicyService({ db, clock, defaultTimeZone: config.policyDefaultTimeZone });
  const onPolicy = (outcome: 'held' | 'dropped', reason: string) =>
    metrics.messagePolicy(outcome, reason);
  // Flows: a run's sends are judged by consent and the send-time policy as a campaign's are.
  const flowEngine = new FlowEngine({
    db,
    clock,
    timeScale: config.flowTimeScale,
    policy: { source: policy, onOutcome: onPolicy },
  });
  const services = {
    keyring,
    sandboxes,
    credentials: new CredentialService({
      db,
      clock,
      keyring,
      publicUrl: config.publicUrl,
      urlPolicy: {
        allowLoopback: config.allowLoopbackProvider,
        hostAllowlist: config.providerHostAllowlist,
      },
      checkConnection: ctx.checkConnection,
    }),
    channels: new ChannelService({ db, clock }),
    messages: new SendService({ db, clock, committer: sendCommitter, policy, onPolicy }),
    metrics,
  };
  const keywordResponder = new KeywordResponderImpl({ clock });
  keywordResponder.setFlowStarter(flowEngine);
  const built = {
    ...services,
    inbound: new InboundService({
      db,
      clock,
      committer,
      credentials: services.credentials,
      replyLimits: {
        perNumberPerHour: config.inboundRepliesPerNumberPerHour,
        perCredentialPerMinute: config.inboundRepliesPerCredentialPerMinute,
      },
      onReplyLimited: (reason) => services.metrics.inboundReplyLimited(reason),
      keywordResponses: keywordResponder,
      flows: new FlowInboundHandler({ clock, engine: flowEngine }),
    }),
    profiles: new ProfileService({ db, clock }),
    eventWebhooks: new EventWebhookService({
      db,
      clock,
      keyring,
      allowLoopback: config.allowLoopbackProvider,
    }),
    stats: new StatsService({ db, clock }),
    campaigns: new CampaignService({
      db,
      clock,
      messages: services.messages,
      policy: { source: policy, onOutcome: onPolicy },
    }),
    audiences: new AudienceService({ db, clock }),
    templates: new TemplateService({ db, clock }),
    policy,
    keywordResponses: new KeywordResponseService({
      db,
      clock,
      credentials: services.credentials,
    }),
    keywordResponder,
    flows: new FlowService({ db, clock, engine: flowEngine, policy }),
    flowEngine,
  };
  const approvals = new ApprovalService({ db, clock });
  approvals.setTargets(approvalTargets(built));
  return { ...built, approvals };
}
