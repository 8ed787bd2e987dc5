import { sql } from 'kysely';
import { audienceProfiles } from '../audiences/audience.js';
import { recordAudit, type AuditAction } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { findCredential } from '../credentials/credential.repository.js';
import { SYSTEM_ACTOR, type Actor } from '../auth/principal.js';
import type { Db } from '../db/database.js';
import type { Executor } from '../db/executor.js';
import type { Page } from '../db/pagination.js';
import { AppError, staleVersionError, type ErrorDetail } from '../errors.js';
import { recordEvents, type EventType } from '../events/events.js';
import { newId } from '../ids.js';
import { appendMessageEvents } from '../messages/message.repository.js';
import { SendContexts } from '../messages/send-context.js';
import { normalizeE164 } from '../phone.js';
import type { SendService } from '../messages/send.service.js';
import { compileTemplate } from '../templates/render.js';
import { findTemplate, findVersion } from '../templates/template.repository.js';
import {
  pacingIntervalMs,
  pacingPerSecond,
  pacingTooSlow,
  validateCampaign,
  type Campaign,
  type CampaignInput,
  type CampaignSettings,
  type CampaignStatus,
  type Pacing,
} from './campaign.js';
import {
  activeCampaigns,
  campaignFromRow,
  findCampaignRow,
  insertCampaign,
  listCampaigns,
  settingsColumns,
  updateCampaign,
  type CampaignRow,
} from './campaign.repository.js';
import { countByConsent, estimateCampaign, type Estimate } from './estimate.js';
import {
  dueAt,
  FAN_OUT_CHUNK,
  fanOutChunk,
  judgeText,
  snapshotChunk,
  type RenderSetup,
} from './fan-out.js';
import {
  campaignMessageCounts,
  campaignOptOuts,
  campaignReplies,
  exportRecipientsCsv,
  rate,
  type CampaignResults,
} from './results.js';

/** Messages moved per transaction when a campaign is paused, resumed or cancelled. */
const STATUS_CHUNK = 2_000;
/** Recipients queued by confirm itself, before it answers (PostgreSQL: ~0.15 ms a message). */
const FIRST_CHUNK = 100;
/**
 * How long after a cancel the runner sweeps the campaign's messages again: longer than a send
 * lease (60 s), so a message the worker claimed before the cancel and held after its sweep is
 * cancelled too.
 */
const CANCEL_SWEEP_MS = 10 * 60_000;
/** How often the runner judges a running campaign's auto-pause rates and completion. */
const JUDGE_EVERY_MS = 1_000;

/** The outcome of a test send to one seed number. */
export interface TestSendItem {
  phone: string;
  ok: boolean;
  messageId: string | null;
  text: string | null;
  problems: ErrorDetail[];
}

/**
 * Campaigns: a draft's definition, the estimate, the test send, confirm (snapshot and paced
 * fan-out into the queue, see fan-out.ts), pause / resume / cancel, results. `runDue` is the
 * background runner's step (campaign-runner.ts).
 */
export class CampaignService {
  private readonly contexts = new SendContexts();
  private readonly judged = new Map<string, number>();

  constructor(
    private readonly deps: {
      db: Db;
      clock: Clock;
      messages: SendService;
      /** The send-time policy the fan-out and the estimate judge each recipient by; absent: none. */
      policy?: RenderSetup['policy'];
    },
  ) {}

  async get(sandbox: string, id: string): Promise<Campaign> {
    return campaignFromRow(await this.row(sandbox, id));
  }

  list(
    sandbox: string,
    query: { status?: CampaignStatus; cursor?: string; limit: number },
  ): Promise<Page<Campaign>> {
    return listCampaigns(this.deps.db.kysely, sandbox, query);
  }

  async create(sandbox: string, actor: Actor, input: CampaignInput): Promise<Campaign> {
    const now = this.deps.clock.now();
    const settings = await this.validate(sandbox, input, undefined, now);
    const campaign: Campaign = {
      ...settings,
      id: newId(),
      sandbox,
      status: 'draft',
      statusReason: null,
      progress: {
        recipients: 0,
        snapshotDone: false,
        fannedOut: 0,
        queued: 0,
        excluded: 0,
        renderFailed: 0,
      },
      confirmedAt: null,
      startedAt: null,
      finishedAt: null,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      version: 1,
    };
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      await insertCampaign(trx, campaign);
      await this.audit(trx, campaign, actor, 'campaign.created', Object.keys(input));
    });
    return campaign;
  }

  /** Edits a draft (409 once confirmed; 412 on a stale If-Match). */
  async update(
    sandbox: string,
    actor: Actor,
    id: string,
    input: CampaignInput,
    expectedVersion: number | undefined,
  ): Promise<Campaign> {
    const before = await this.get(sandbox, id);
    if (expectedVersion !== undefined && expectedVersion !== before.version)
      throw staleVersionError('campaign', before.version);
    if (before.status !== 'draft') throw notDraft(before, 'edited');
    const settings = await this.validate(sandbox, input, before, this.deps.clock.now());
    const at = this.deps.clock.now().toISOString();
    return this.deps.db.kysely.transaction().execute(async (trx) => {
      const row = await updateCampaign(
        trx,
        sandbox,
        id,
        { version: before.version, from: ['draft'] },
        { ...settingsColumns(settings), updated_at: at },
      );
      if (!row) throw staleVersionError('campaign');
      const campaign = campaignFromRow(row);
      // The fields that actually changed, not every field sent (a form sends them all).
      const was = before as unknown as Record<string, unknown>;
      const now = campaign as unknown as Record<string, unknown>;
      const changed = Object.keys(input).filter(
        (k) => JSON.stringify(was[k]) !== JSON.stringify(now[k]),
      );
      await this.audit(trx, campaign, actor, 'campaign.updated', changed);
      return campaign;
    });
  }

  /** Deletes a draft; a confirmed campaign has messages and is cancelled instead. */
  async delete(sandbox: string, actor: Actor, id: string): Promise<void> {
    const campaign = await this.get(sandbox, id);
    if (campaign.status !== 'draft') throw notDraft(campaign, 'deleted (cancel it instead)');
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('campaigns')
        .where('sandbox', '=', sandbox)
        .where('id', '=', id)
        .where('status', '=', 'draft')
        .execute();
      await this.audit(trx, campaign, actor, 'campaign.deleted', []);
    });
  }

  /** What a send would do now: recipients, exclusions, parts and encodings (estimate.ts). */
  async estimate(sandbox: string, id: string): Promise<Estimate> {
    const campaign = await this.get(sandbox, id);
    const setup = await this.setup(campaign, campaign.templateVersion);
    const now = this.deps.clock.now();
    const audience = await this.audience(this.deps.db.kysely, campaign, now);
    return estimateCampaign(this.deps.db.kysely, audience, setup, now);
  }

  /**
   * Sends the campaign's text to its seed numbers (or `phones`), each rendered for the profile
   * of that number when there is one, through the API's send path (consent and rules as for any
   * message; these messages are not the campaign's and do not count in its results).
   */
  async testSend(
    sandbox: string,
    actor: Actor,
    id: string,
    phones: string[] | undefined,
  ): Promise<{ items: TestSendItem[] }> {
    const campaign = await this.get(sandbox, id);
    const given = phones ?? campaign.seedPhones;
    if (given.length === 0)
      throw new AppError('validation_failed', 'There is no number to send the test to.', [
        { path: '/phones', message: "give phones, or set the campaign's seedPhones" },
      ]);
    const bad = given.flatMap((p, i) =>
      normalizeE164(p)
        ? []
        : [
            {
              path: `/phones/${i}`,
              message: 'must be a phone number in international format, e.g. +14155550100',
            },
          ],
    );
    if (bad.length > 0) throw new AppError('validation_failed', 'A number is not valid.', bad);
    const to = [...new Set(given.map((p) => normalizeE164(p) ?? p))];
    const setup = await this.setup(campaign, campaign.templateVersion);
    const profiles = await this.deps.db.kysely
      .selectFrom('profiles')
      .select(['id', 'phone', 'consent', 'attributes'])
      .where('sandbox', '=', sandbox)
      .where('phone', 'in', to)
      .execute();
    const byPhone = new Map(profiles.map((p) => [p.phone, p]));
    const now = this.deps.clock.now();
    const items: TestSendItem[] = [];
    for (const phone of to) {
      const p = byPhone.get(phone);
      const verdict = judgeText(
        setup,
        {
          seq: 0,
          profileId: p?.id ?? null,
          phone,
          consent: p?.consent ?? 'unknown',
          attributes: p?.attributes ?? null,
        },
        null,
        now,
      );
      if (verdict.kind !== 'message') {
        items.push({
          phone,
          ok: false,
          messageId: null,
          text: null,
          problems: verdict.problems ?? [{ message: verdict.reason }],
        });
        continue;
      }
      const [outcome] = await this.deps.messages.sendMany(sandbox, [
        {
          channelConfigurationId: campaign.channelConfigurationId,
          to: phone,
          text: verdict.checked.text ?? '',
          media: verdict.checked.media,
          messageType: 'marketing',
          ...(setup.template.dltContentTemplateId !== null
            ? { dltContentTemplateId: setup.template.dltContentTemplateId }
            : {}),
        },
      ]);
      if (outcome?.ok)
        items.push({
          phone,
          ok: outcome.message.status !== 'suppressed',
          messageId: outcome.message.id,
          text: outcome.message.text,
          problems:
            outcome.message.status === 'suppressed'
              ? [{ message: outcome.message.statusReason ?? 'suppressed' }]
              : [],
        });
      else
        items.push({
          phone,
          ok: false,
          messageId: null,
          text: null,
          problems: outcome?.problems ?? [],
        });
    }
    await this.audit(this.deps.db.kysely, campaign, actor, 'campaign.test_sent', [], {
      phones: to.length,
    });
    return { items };
  }

  /**
   * Confirms a draft: checks it again (a marketing configuration, the pinned template version
   * still current, a non-empty audience that marketing may reach), then schedules it or starts
   * it and queues its first chunk at once, so the first message leaves within the worker's poll.
   */
  async confirm(
    sandbox: string,
    actor: Actor,
    id: string,
    body: { templateVersion?: number },
    expectedVersion: number | undefined,
  ): Promise<Campaign> {
    const campaign = await this.get(sandbox, id);
    if (expectedVersion !== undefined && expectedVersion !== campaign.version)
      throw staleVersionError('campaign', campaign.version);
    if (campaign.status !== 'draft') throw notDraft(campaign, 'confirmed again');
    if (body.templateVersion !== undefined && body.templateVersion !== campaign.templateVersion)
      throw new AppError(
        'conflict',
        `The campaign pins version ${campaign.templateVersion} of its template, not ${body.templateVersion}: update the campaign's templateVersion first.`,
        [
          {
            path: '/templateVersion',
            message: `the campaign pins version ${campaign.templateVersion}`,
          },
        ],
      );
    const template = await findTemplate(this.deps.db.kysely, sandbox, campaign.templateId);
    if (!template)
      throw new AppError('conflict', `Template ${campaign.templateId} was deleted.`, [
        { path: '/templateId', message: 'was deleted; choose another template' },
      ]);
    if (template.version !== campaign.templateVersion)
      throw new AppError(
        'conflict',
        `Template "${template.name}" changed: the campaign pins version ${campaign.templateVersion}, the template is at version ${template.version}. Review the new version (estimate, test send) and set templateVersion to ${template.version}, or keep the old text by editing the template back.`,
        [
          {
            path: '/templateVersion',
            message: `is ${campaign.templateVersion}; the template's current version is ${template.version}`,
          },
        ],
      );
    const setup = await this.setup(campaign, campaign.templateVersion);
    const now = this.deps.clock.now();
    const audience = await this.audience(this.deps.db.kysely, campaign, now);
    const estimate = await countByConsent(this.deps.db.kysely, audience, setup.send.policy);
    if (estimate.recipients === 0)
      throw new AppError('conflict', 'The audience is empty: there is no one to send to.', [
        { path: '/audience', message: 'has no profiles' },
      ]);
    if (estimate.eligible === 0)
      throw new AppError(
        'conflict',
        `No one in the audience may receive marketing: all ${estimate.recipients} are excluded by consent.`,
        [{ path: '/audience', message: 'has no recipient whose consent allows marketing' }],
      );
    const tooSlow = pacingTooSlow(estimate.eligible, campaign.pacing);
    if (tooSlow)
      throw new AppError('conflict', tooSlow, [
        { path: '/pacing', message: `is too slow for ${estimate.eligible} recipients` },
      ]);
    const later = campaign.sendAt !== null && Date.parse(campaign.sendAt) > now.getTime();
    const at = now.toISOString();
    const row = await this.deps.db.kysely.transaction().execute(async (trx) => {
      const updated = await updateCampaign(
        trx,
        sandbox,
        id,
        { version: campaign.version, from: ['draft'] },
        later
          ? { status: 'scheduled', confirmed_at: at, updated_at: at }
          : {
              status: 'running',
              confirmed_at: at,
              started_at: at,
              pace_origin: at,
              updated_at: at,
            },
      );
      if (!updated) throw staleVersionError('campaign');
      await this.audit(trx, campaign, actor, 'campaign.confirmed', [], {
        recipients: estimate.recipients,
        eligible: estimate.eligible,
      });
      if (!later) await this.event(trx, updated, 'campaign.started', {});
      return updated;
    });
    // A small first chunk: the first messages are queued before confirm answers (the worker
    // sends them within its poll), and the runner goes on with full chunks.
    if (!later) await this.advance(row, FIRST_CHUNK);
    return this.get(sandbox, id);
  }

  /** Pauses a running campaign: its queued messages are held until resumed. */
  async pause(
    sandbox: string,
    actor: Actor,
    id: string,
    expectedVersion: number | undefined,
  ): Promise<Campaign> {
    return this.stop(sandbox, actor, id, expectedVersion, 'paused', null);
  }

  /** Cancels a campaign that was confirmed: no queued message of it is sent. */
  async cancel(
    sandbox: string,
    actor: Actor,
    id: string,
    expectedVersion: number | undefined,
  ): Promise<Campaign> {
    return this.stop(sandbox, actor, id, expectedVersion, 'cancelled', null);
  }

  /**
   * Resumes a paused campaign: its held messages are queued again, paced from now in their
   * original order, and the fan-out goes on after them.
   */
  async resume(
    sandbox: string,
    actor: Actor,
    id: string,
    expectedVersion: number | undefined,
  ): Promise<Campaign> {
    const campaign = await this.get(sandbox, id);
    if (expectedVersion !== undefined && expectedVersion !== campaign.version)
      throw staleVersionError('campaign', campaign.version);
    if (campaign.status !== 'paused') throw wrongStatus(campaign, 'resumed', ['paused']);
    const at = this.deps.clock.now().toISOString();
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      const row = await updateCampaign(
        trx,
        sandbox,
        id,
        { version: campaign.version, from: ['paused'] },
        { status: 'running', status_reason: null, pace_origin: at, pace_index: 0, updated_at: at },
      );
      if (!row) throw staleVersionError('campaign');
      await this.audit(trx, campaign, actor, 'campaign.resumed', []);
      await this.event(trx, row, 'campaign.resumed', {});
    });
    await this.requeueHeld(sandbox, id, campaign.pacing);
    return this.get(sandbox, id);
  }

  async results(sandbox: string, id: string): Promise<CampaignResults> {
    const campaign = await this.get(sandbox, id);
    const db = this.deps.db.kysely;
    const [messages, optOuts, replies] = await Promise.all([
      campaignMessageCounts(db, sandbox, id),
      campaignOptOuts(db, sandbox, id),
      campaignReplies(db, sandbox, id),
    ]);
    return {
      recipients: campaign.progress.recipients,
      excluded: campaign.progress.excluded,
      renderFailed: campaign.progress.renderFailed,
      messages,
      optOuts,
      replies,
      optOutRate: rate(optOuts, messages.sent),
      failureRate: rate(messages.failed, messages.sent),
    };
  }

  /** The recipients and their outcomes as CSV, streamed a page at a time. */
  async exportRecipients(sandbox: string, id: string): Promise<AsyncGenerator<string>> {
    await this.row(sandbox, id);
    return exportRecipientsCsv(this.deps.db.kysely, sandbox, id);
  }

  /**
   * The runner's step: starts due scheduled campaigns and moves each running one a chunk on
   * (snapshot, then fan-out), finishes those with nothing left to send, and auto-pauses those
   * past a threshold. Returns true while there is more fan-out to do at once.
   */
  async runDue(): Promise<boolean> {
    const now = this.deps.clock.now();
    let busy = false;
    const since = new Date(now.getTime() - CANCEL_SWEEP_MS).toISOString();
    for (const row of await activeCampaigns(this.deps.db.kysely, now.toISOString(), since, 50)) {
      try {
        busy = (await this.advance(row)) || busy;
      } catch (error) {
        // What the campaign needs is gone (its template version or channel configuration was
        // deleted): pause it with the reason rather than fail every step. Anything else (the
        // database away) is the runner's to report and retry.
        if (!(error instanceof AppError) || error.code !== 'conflict') throw error;
        await this.stop(
          row.sandbox,
          SYSTEM_ACTOR,
          row.id,
          undefined,
          'paused',
          `paused: ${error.message}`,
        ).catch((stopError: unknown) => {
          if (!(stopError instanceof AppError)) throw stopError;
        });
      }
    }
    return busy;
  }

  /** One step of one campaign; true when it has more fan-out to do. */
  private async advance(row: CampaignRow, chunk = FAN_OUT_CHUNK): Promise<boolean> {
    const { db, clock } = this.deps;
    if (row.status === 'cancelled') {
      // Read first: the move is a write transaction, and this runs every step for 10 minutes.
      const left = await db.kysely
        .selectFrom('messages')
        .select('id')
        .where('sandbox', '=', row.sandbox)
        .where('campaign_id', '=', row.id)
        .where('status', 'in', ['queued', 'paused'])
        .where('uncertain', '=', 0)
        .limit(1)
        .executeTakeFirst();
      if (left) await this.moveMessages(row.sandbox, row.id, ['queued', 'paused'], 'cancelled');
      return false;
    }
    if (row.status === 'scheduled') {
      const at = clock.now().toISOString();
      const started = await db.kysely.transaction().execute(async (trx) => {
        const updated = await updateCampaign(
          trx,
          row.sandbox,
          row.id,
          { version: Number(row.version), from: ['scheduled'] },
          { status: 'running', started_at: at, pace_origin: at, updated_at: at },
        );
        if (updated) await this.event(trx, updated, 'campaign.started', {});
        return updated;
      });
      if (!started) return true;
      row = started;
    }
    if (Number(row.snapshot_done) === 0) {
      await snapshotChunk(db, clock, row);
      const fresh = await findCampaignRow(db.kysely, row.sandbox, row.id);
      if (!fresh || fresh.status !== 'running') return false;
      row = fresh;
    }
    if (Number(row.fanout_seq) < Number(row.recipients)) {
      const setup = await this.setup(campaignFromRow(row), Number(row.template_version));
      await fanOutChunk(db, clock, setup, row, chunk);
      await this.judge(row, false);
      return true;
    }
    if (Number(row.snapshot_done) === 0) return true;
    await this.judge(row, true);
    return false;
  }

  /** Completion and the auto-pause thresholds, at most once a second per campaign. */
  private async judge(row: CampaignRow, fannedOut: boolean): Promise<void> {
    const now = this.deps.clock.now().getTime();
    if ((this.judged.get(row.id) ?? 0) > now) return;
    this.judged.set(row.id, now + JUDGE_EVERY_MS);
    const campaign = campaignFromRow(row);
    const db = this.deps.db.kysely;
    const counts = await campaignMessageCounts(db, row.sandbox, row.id);
    if (counts.paused > 0) {
      // Held by the worker after the resume had queued the others (it judged the campaign
      // paused while the resume ran): queue them too.
      await this.requeueHeld(row.sandbox, row.id, campaign.pacing);
      return;
    }
    const { minSample, optOutRate, failureRate } = campaign.autoPause;
    if (counts.sent >= minSample) {
      const failures = rate(counts.failed, counts.sent);
      const optOuts = rate(await campaignOptOuts(db, row.sandbox, row.id), counts.sent);
      const reason =
        failures > failureRate
          ? `auto-paused: failure rate ${percent(failures)} passed the threshold ${percent(failureRate)} after ${counts.sent} sent`
          : optOuts > optOutRate
            ? `auto-paused: opt-out rate ${percent(optOuts)} passed the threshold ${percent(optOutRate)} after ${counts.sent} sent`
            : null;
      if (reason !== null && counts.queued + counts.paused > 0) {
        await this.stop(row.sandbox, SYSTEM_ACTOR, row.id, undefined, 'paused', reason).catch(
          (error: unknown) => {
            // Paused or cancelled meanwhile by someone else: nothing left to do.
            if (!(error instanceof AppError)) throw error;
          },
        );
        return;
      }
    }
    if (fannedOut && counts.queued + counts.paused === 0) {
      const at = new Date(now).toISOString();
      await db.transaction().execute(async (trx) => {
        const done = await updateCampaign(
          trx,
          row.sandbox,
          row.id,
          { version: Number(row.version), from: ['running'] },
          { status: 'completed', finished_at: at, updated_at: at },
        );
        if (done)
          await this.event(trx, done, 'campaign.completed', {
            sent: counts.sent,
            failed: counts.failed,
            suppressed: counts.suppressed,
          });
      });
      this.judged.delete(row.id);
    }
  }

  /** Pause or cancel: the status first (the worker holds what it claims from then on), then the messages in chunks. */
  private async stop(
    sandbox: string,
    actor: Actor,
    id: string,
    expectedVersion: number | undefined,
    to: 'paused' | 'cancelled',
    reason: string | null,
  ): Promise<Campaign> {
    const campaign = await this.get(sandbox, id);
    if (expectedVersion !== undefined && expectedVersion !== campaign.version)
      throw staleVersionError('campaign', campaign.version);
    const from: CampaignStatus[] =
      to === 'paused' ? ['running'] : ['scheduled', 'running', 'paused'];
    if (!from.includes(campaign.status))
      throw wrongStatus(campaign, to === 'paused' ? 'paused' : 'cancelled', from);
    const at = this.deps.clock.now().toISOString();
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      const row = await updateCampaign(
        trx,
        sandbox,
        id,
        { version: campaign.version, from },
        {
          status: to,
          status_reason: reason,
          updated_at: at,
          ...(to === 'cancelled' ? { finished_at: at } : {}),
        },
      );
      if (!row) throw staleVersionError('campaign');
      await this.audit(
        trx,
        campaign,
        actor,
        to === 'paused' ? 'campaign.paused' : 'campaign.cancelled',
        [],
        reason ? { reason } : undefined,
      );
      await this.event(trx, row, to === 'paused' ? 'campaign.paused' : 'campaign.cancelled', {
        reason,
      });
    });
    await this.moveMessages(sandbox, id, ['queued', 'paused'], to);
    return this.get(sandbox, id);
  }

  /**
   * Moves the campaign's messages in `from` to `to` (paused or cancelled), a chunk per
   * transaction, each with its history entry. A message that may already be at the provider
   * (uncertain) stays queued: the worker looks it up first, then holds or cancels it.
   */
  private async moveMessages(
    sandbox: string,
    campaignId: string,
    from: ('queued' | 'paused')[],
    to: 'paused' | 'cancelled',
  ): Promise<void> {
    const { db, clock } = this.deps;
    const reason =
      to === 'paused' ? 'its campaign is paused' : 'its campaign was cancelled before it was sent';
    const sources = to === 'paused' ? from.filter((s) => s === 'queued') : from;
    for (;;) {
      const moved = await db.kysely.transaction().execute(async (trx) => {
        const at = clock.now().toISOString();
        const ids = await trx
          .selectFrom('messages')
          .select('id')
          .where('sandbox', '=', sandbox)
          .where('campaign_id', '=', campaignId)
          .where('status', 'in', sources)
          .where('uncertain', '=', 0)
          .limit(STATUS_CHUNK)
          .execute();
        if (ids.length === 0) return 0;
        const updated = await trx
          .updateTable('messages')
          .set({
            status: to,
            status_reason: reason,
            next_attempt_at: null,
            updated_at: at,
            ...(to === 'cancelled' ? { done_at: at } : {}),
          })
          .where('sandbox', '=', sandbox)
          .where(
            'id',
            'in',
            ids.map((r) => r.id),
          )
          .where('status', 'in', sources)
          .returning('id')
          .execute();
        await appendMessageEvents(
          trx,
          clock,
          updated.map((u) => ({ sandbox, messageId: u.id, status: to, reason })),
        );
        return ids.length;
      });
      if (moved < STATUS_CHUNK) return;
    }
  }

  /**
   * Queues a resumed campaign's held messages again, in their original order (ids are
   * time-ordered, made in fan-out order), message k of the run due at the new origin + k
   * intervals; validity moves with the due time. One chunk a transaction, each taking its
   * places from the campaign's pace index (so a fan-out chunk beside it takes the next ones).
   */
  private async requeueHeld(sandbox: string, campaignId: string, pacing: Pacing): Promise<void> {
    const { db, clock } = this.deps;
    const interval = pacingIntervalMs(pacing);
    for (;;) {
      const moved = await db.kysely.transaction().execute(async (trx) => {
        const rows = await trx
          .selectFrom('messages')
          .select(['id', 'send_at', 'created_at', 'valid_until', 'held_until'])
          .where('sandbox', '=', sandbox)
          .where('campaign_id', '=', campaignId)
          .where('status', '=', 'paused')
          .orderBy('id')
          .limit(STATUS_CHUNK)
          .execute();
        if (rows.length === 0) return 0;
        const campaign = await trx
          .updateTable('campaigns')
          .set((eb) => ({ pace_index: eb('pace_index', '+', rows.length) }))
          .where('sandbox', '=', sandbox)
          .where('id', '=', campaignId)
          .where('status', '=', 'running')
          .returning(['pace_origin', 'pace_index'])
          .executeTakeFirst();
        // Paused or cancelled again meanwhile: those messages stay where that left them.
        if (!campaign) return 0;
        const origin = Date.parse(campaign.pace_origin ?? clock.now().toISOString());
        const first = Number(campaign.pace_index) - rows.length;
        const now = clock.now();
        const at = now.toISOString();
        const values = rows.map((r, i) => {
          // A message the send-time policy holds still waits for its window (quiet hours do
          // not end because the campaign was resumed); its validity already covers the hold.
          const held = r.held_until === null ? 0 : Date.parse(r.held_until);
          const paced = Math.max(dueAt(origin, first + i, interval), now.getTime());
          const due = Math.max(paced, held);
          const validFor =
            held >= paced
              ? Date.parse(r.valid_until) - due
              : Date.parse(r.valid_until) - Date.parse(r.send_at ?? r.created_at);
          return sql`(${r.id}, ${new Date(due).toISOString()}, ${new Date(due + validFor).toISOString()})`;
        });
        const requeued: string[] = [];
        for (let i = 0; i < values.length; i += 1000) {
          const updated = await sql<{ id: string }>`
            update messages
            set status = 'queued', status_reason = null, next_attempt_at = v.column2,
                send_at = v.column2, valid_until = v.column3, updated_at = ${at}
            from (values ${sql.join(values.slice(i, i + 1000))}) as v
            where messages.sandbox = ${sandbox} and messages.id = v.column1
              and messages.status = 'paused'
            returning messages.id`.execute(trx);
          requeued.push(...updated.rows.map((r) => r.id));
        }
        // Only those this transaction moved (the runner's sweep may requeue beside a resume).
        await appendMessageEvents(
          trx,
          clock,
          requeued.map((messageId) => ({
            sandbox,
            messageId,
            status: 'queued',
            reason: 'its campaign was resumed',
          })),
        );
        return rows.length;
      });
      if (moved < STATUS_CHUNK) return;
    }
  }

  private async row(sandbox: string, id: string): Promise<CampaignRow> {
    const row = await findCampaignRow(this.deps.db.kysely, sandbox, id);
    if (!row) throw new AppError('not_found', `No campaign ${id} in this sandbox.`);
    return row;
  }

  private async audience(db: Executor, campaign: Campaign, now: Date) {
    return audienceProfiles(db, campaign.sandbox, campaign.audience, { now });
  }

  /** The pinned template version compiled, and the channel's send context. */
  private async setup(campaign: Campaign, version: number): Promise<RenderSetup> {
    const db = this.deps.db.kysely;
    const template = await findVersion(db, campaign.sandbox, campaign.templateId, version);
    if (!template)
      throw new AppError(
        'conflict',
        `Version ${version} of template ${campaign.templateId} does not exist.`,
        [
          {
            path: '/templateVersion',
            message: `template ${campaign.templateId} has no version ${version}`,
          },
        ],
      );
    const send = await this.contexts.get(db, campaign.sandbox, campaign.channelConfigurationId);
    if (!send)
      throw new AppError(
        'conflict',
        `Channel configuration ${campaign.channelConfigurationId} no longer exists.`,
        [{ path: '/channelConfigurationId', message: 'was deleted; choose another configuration' }],
      );
    return {
      campaign: {
        id: campaign.id,
        name: campaign.name,
        sandbox: campaign.sandbox,
        pacing: campaign.pacing,
      },
      template,
      compiled: compileTemplate(template),
      send,
      ...(this.deps.policy ? { policy: this.deps.policy } : {}),
    };
  }

  /**
   * Checks what needs the database: the audience exists, the template and its version exist and
   * are marketing, the channel configuration exists and is marketing, and the pacing is within
   * its credential's rate (default: that rate). Every problem at once, 400.
   */
  private async validate(
    sandbox: string,
    input: CampaignInput,
    current: Campaign | undefined,
    now: Date,
  ): Promise<Omit<CampaignSettings, 'pacing'> & { pacing: Pacing }> {
    const { settings, problems } = validateCampaign(input, current, now);
    const db = this.deps.db.kysely;
    const problem = (path: string, message: string) => problems.push({ path, message });
    const audienceId =
      'segmentId' in settings.audience ? settings.audience.segmentId : settings.audience.listId;
    if (audienceId !== '') {
      try {
        await audienceProfiles(db, sandbox, settings.audience, { now });
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'not_found') throw error;
        const key = 'segmentId' in settings.audience ? 'segmentId' : 'listId';
        problem(
          `/audience/${key}`,
          `is not a ${key === 'segmentId' ? 'segment' : 'list'} of this sandbox`,
        );
      }
    }
    let templateVersion = settings.templateVersion;
    if (settings.templateId !== '') {
      const template = await findTemplate(db, sandbox, settings.templateId);
      if (!template) problem('/templateId', 'is not a template of this sandbox');
      else {
        if (templateVersion === 0) templateVersion = template.version;
        const version =
          templateVersion === template.version
            ? template
            : await findVersion(db, sandbox, settings.templateId, templateVersion);
        if (!version)
          problem(
            '/templateVersion',
            `template "${template.name}" has versions 1 to ${template.version}`,
          );
        else if (version.messageType !== 'marketing')
          problem(
            '/templateId',
            `template "${template.name}" version ${templateVersion} is transactional; a campaign sends marketing templates`,
          );
      }
    }
    let pacing = settings.pacing;
    if (settings.channelConfigurationId !== '') {
      const send = await this.contexts.get(db, sandbox, settings.channelConfigurationId);
      if (!send)
        problem('/channelConfigurationId', 'is not a channel configuration of this sandbox');
      else {
        if (send.channel.messageType !== 'marketing')
          problem(
            '/channelConfigurationId',
            `channel configuration "${send.channel.name}" is transactional; a campaign needs a marketing configuration (its consent rules and opt-out footer)`,
          );
        const stored = await findCredential(db, sandbox, send.channel.credentialId);
        const max = stored?.credential.sendRatePerSecond ?? 1;
        pacing ??= { perSecond: max };
        if (pacingPerSecond(pacing) > max) {
          const key = 'perSecond' in pacing ? 'perSecond' : 'perMinute';
          problem(
            `/pacing/${key}`,
            `is above the credential's send rate of ${max} messages a second (${max * 60} a minute)`,
          );
        }
      }
    }
    if (problems.length > 0)
      throw new AppError('validation_failed', 'The campaign is not valid.', problems);
    return { ...settings, templateVersion, pacing: pacing ?? { perSecond: 1 } };
  }

  private async audit(
    db: Executor,
    campaign: Campaign,
    actor: Actor,
    action: AuditAction,
    fields: string[],
    details?: Record<string, unknown>,
  ): Promise<void> {
    await recordAudit(db, this.deps.clock, {
      sandbox: campaign.sandbox,
      actor,
      action,
      resourceType: 'campaign',
      resourceId: campaign.id,
      resourceName: campaign.name,
      fields,
      ...(details ? { details } : {}),
    });
  }

  private async event(
    db: Executor,
    row: CampaignRow,
    type: EventType,
    payload: Record<string, unknown>,
  ): Promise<void> {
    await recordEvents(db, this.deps.clock, [
      { sandbox: row.sandbox, type, payload: { campaignId: row.id, name: row.name, ...payload } },
    ]);
  }
}

function percent(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

function notDraft(campaign: Campaign, what: string): AppError {
  return new AppError(
    'conflict',
    `Campaign "${campaign.name}" is ${campaign.status}; only a draft can be ${what}.`,
    [{ path: '/status', message: `is ${campaign.status}` }],
  );
}

function wrongStatus(campaign: Campaign, what: string, from: readonly CampaignStatus[]): AppError {
  return new AppError(
    'conflict',
    `Campaign "${campaign.name}" is ${campaign.status}; only a campaign that is ${from.join(' or ')} can be ${what}.`,
    [{ path: '/status', message: `is ${campaign.status}` }],
  );
}
