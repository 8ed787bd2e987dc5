import type { Audience } from '../audiences/audience.js';
import type { ErrorDetail } from '../errors.js';
import { normalizeE164 } from '../phone.js';
import { SEND_AT_MAX_DAYS } from '../messages/message.rules.js';

/**
 * A campaign's lifecycle. Only a draft is edited; confirm makes it scheduled (a later sendAt)
 * or running; running and paused alternate; completed and cancelled are final.
 */
export const CAMPAIGN_STATUSES = [
  'draft',
  'scheduled',
  'running',
  'paused',
  'completed',
  'cancelled',
] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** Messages per second or per minute; one of the two. */
export type Pacing = { perSecond: number } | { perMinute: number };

/** When the campaign stops itself: rates over the messages handed to the provider. */
export interface AutoPause {
  /** Opt-outs within 24 h of their send, over messages sent (0.02 = 2 %). */
  optOutRate: number;
  /** Failed, undeliverable, rejected or expired, over messages sent. */
  failureRate: number;
  /** Messages sent before either rate is judged (a handful of opt-outs says little). */
  minSample: number;
}

// Guess: 2 % opt-outs is several times a healthy SMS campaign's (well under 1 %); 20 % failures
// means a bad list or a blocked sender; 200 sends before judging keeps one early STOP from
// stopping a campaign.
export const DEFAULT_AUTO_PAUSE: AutoPause = { optOutRate: 0.02, failureRate: 0.2, minSample: 200 };

export const CAMPAIGN_NAME_MAX = 200;
export const SEED_PHONES_MAX = 10;

/** How far the fan-out has come, and what it set aside. */
export interface CampaignProgress {
  /** Profiles in the snapshot so far (all of the audience once `snapshotDone`). */
  recipients: number;
  snapshotDone: boolean;
  /** Recipients dealt with by the fan-out (queued, excluded or failed). */
  fannedOut: number;
  /** Messages queued. */
  queued: number;
  /** Recipients whose consent does not allow marketing. */
  excluded: number;
  /** Recipients whose text did not render or did not pass the message rules. */
  renderFailed: number;
}

export interface Campaign {
  id: string;
  sandbox: string;
  name: string;
  status: CampaignStatus;
  /** Why it last changed status when not asked to (an auto-pause names the rate). */
  statusReason: string | null;
  audience: Audience;
  templateId: string;
  templateVersion: number;
  channelConfigurationId: string;
  /** Null: as soon as it is confirmed. */
  sendAt: string | null;
  pacing: Pacing;
  seedPhones: string[];
  autoPause: AutoPause;
  progress: CampaignProgress;
  confirmedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** What the API takes on create and on a draft's PATCH (every field optional on PATCH). */
export type CampaignInput = Partial<{
  name: string;
  audience: { segmentId?: string; listId?: string };
  templateId: string;
  templateVersion: number;
  channelConfigurationId: string;
  sendAt: string | null;
  pacing: { perSecond?: number; perMinute?: number };
  seedPhones: string[];
  autoPause: Partial<AutoPause>;
}>;

/** The editable settings; templateVersion 0 means "the template's current version". */
export type CampaignSettings = Pick<
  Campaign,
  | 'name'
  | 'audience'
  | 'templateId'
  | 'templateVersion'
  | 'channelConfigurationId'
  | 'sendAt'
  | 'seedPhones'
  | 'autoPause'
> & { pacing: Pacing | null };

/** Milliseconds between two messages at this pace. */
export function pacingIntervalMs(pacing: Pacing): number {
  return 'perSecond' in pacing ? 1000 / pacing.perSecond : 60_000 / pacing.perMinute;
}

/** Messages a second at this pace. */
export function pacingPerSecond(pacing: Pacing): number {
  return 'perSecond' in pacing ? pacing.perSecond : pacing.perMinute / 60;
}

/**
 * Why `recipients` messages at this pace cannot all be scheduled (the last one due more than
 * SEND_AT_MAX_DAYS after the start, past what a message may be scheduled for), or undefined.
 */
export function pacingTooSlow(recipients: number, pacing: Pacing): string | undefined {
  const lastDueMs = Math.max(0, recipients - 1) * pacingIntervalMs(pacing);
  if (lastDueMs <= SEND_AT_MAX_DAYS * 86_400_000) return undefined;
  return `At this pace the last of ${recipients} messages would be due ${Math.ceil(lastDueMs / 86_400_000)} days from the start; messages are scheduled at most ${SEND_AT_MAX_DAYS} days ahead. Raise the pacing.`;
}

/**
 * Merges `input` over `current` and checks each field on its own (what needs the database, the
 * audience, template and channel, is checked by the service). Pure.
 */
export function validateCampaign(
  input: CampaignInput,
  current: CampaignSettings | undefined,
  now: Date,
): { settings: CampaignSettings; problems: ErrorDetail[] } {
  const problems: ErrorDetail[] = [];
  const problem = (path: string, message: string) => problems.push({ path, message });

  const name = (input.name ?? current?.name ?? '').trim();
  if (name === '') problem('/name', 'is required');
  else if (name.length > CAMPAIGN_NAME_MAX)
    problem('/name', `must be at most ${CAMPAIGN_NAME_MAX} characters`);

  let audience: Audience = current?.audience ?? { segmentId: '' };
  if (input.audience !== undefined) {
    const { segmentId, listId } = input.audience;
    if ((segmentId === undefined) === (listId === undefined))
      problem('/audience', 'must name exactly one of segmentId or listId');
    audience = segmentId !== undefined ? { segmentId } : { listId: listId ?? '' };
  } else if (!current) problem('/audience', 'is required: {segmentId} or {listId}');

  const templateId = input.templateId ?? current?.templateId ?? '';
  if (templateId === '') problem('/templateId', 'is required');
  // A new template means its current version, unless one is named.
  const templateVersion =
    input.templateVersion ??
    (input.templateId !== undefined && input.templateId !== current?.templateId
      ? 0
      : (current?.templateVersion ?? 0));
  if (!Number.isInteger(templateVersion) || templateVersion < 0)
    problem('/templateVersion', 'must be a version number (1, 2, …)');

  const channelConfigurationId =
    input.channelConfigurationId ?? current?.channelConfigurationId ?? '';
  if (channelConfigurationId === '') problem('/channelConfigurationId', 'is required');

  let sendAt = input.sendAt !== undefined ? input.sendAt : (current?.sendAt ?? null);
  if (input.sendAt !== undefined && input.sendAt !== null) {
    const at = Date.parse(input.sendAt);
    if (Number.isNaN(at) || !/^\d{4}-\d{2}-\d{2}T/.test(input.sendAt))
      problem('/sendAt', 'must be an ISO-8601 date-time, e.g. 2026-12-01T09:00:00Z, or null');
    else if (at <= now.getTime()) problem('/sendAt', 'must be in the future (null: on confirm)');
    else if (at > now.getTime() + SEND_AT_MAX_DAYS * 86_400_000)
      problem('/sendAt', `must be at most ${SEND_AT_MAX_DAYS} days ahead`);
    else sendAt = new Date(at).toISOString();
  }

  let pacing: Pacing | null = current?.pacing ?? null;
  if (input.pacing !== undefined) {
    const { perSecond, perMinute } = input.pacing;
    if ((perSecond === undefined) === (perMinute === undefined))
      problem('/pacing', 'must give exactly one of perSecond or perMinute');
    else {
      const [key, value] =
        perSecond !== undefined
          ? (['perSecond', perSecond] as const)
          : (['perMinute', perMinute ?? 0] as const);
      if (!Number.isInteger(value) || value < 1)
        problem(`/pacing/${key}`, 'must be a whole number of messages, at least 1');
      pacing = key === 'perSecond' ? { perSecond: value } : { perMinute: value };
    }
  }

  const seedPhones: string[] = [];
  for (const [i, phone] of (input.seedPhones ?? current?.seedPhones ?? []).entries()) {
    const e164 = normalizeE164(phone);
    if (!e164)
      problem(
        `/seedPhones/${i}`,
        'must be a phone number in international format, e.g. +14155550100',
      );
    else if (!seedPhones.includes(e164)) seedPhones.push(e164);
  }
  if (seedPhones.length > SEED_PHONES_MAX)
    problem('/seedPhones', `at most ${SEED_PHONES_MAX} numbers`);

  const autoPause = { ...(current?.autoPause ?? DEFAULT_AUTO_PAUSE), ...input.autoPause };
  for (const key of ['optOutRate', 'failureRate'] as const) {
    const v = autoPause[key];
    if (typeof v !== 'number' || !(v > 0 && v <= 1))
      problem(`/autoPause/${key}`, 'must be a fraction above 0 and at most 1 (0.02 = 2 %)');
  }
  if (!Number.isInteger(autoPause.minSample) || autoPause.minSample < 1)
    problem('/autoPause/minSample', 'must be a whole number of messages, at least 1');

  return {
    settings: {
      name,
      audience,
      templateId,
      templateVersion,
      channelConfigurationId,
      sendAt,
      pacing,
      seedPhones,
      autoPause,
    },
    problems,
  };
}
