import type { ErrorDetail } from '../errors.js';
import { dltProblem } from '../messages/india-dlt.js';
import { countSegments } from '../messages/segments.js';
import { normalizeE164 } from '../phone.js';

export type Channel = 'sms' | 'mms';
export type MessageType = 'marketing' | 'transactional';
export const CHANNELS: readonly Channel[] = ['sms', 'mms'];
export const MESSAGE_TYPES: readonly MessageType[] = ['marketing', 'transactional'];

/** What a channel configuration sets: which credential sends, from which sender, what kind. */
export interface ChannelSettings {
  name: string;
  description: string | null;
  channel: Channel;
  messageType: MessageType;
  credentialId: string;
  sender: string;
  marketingFooter: string | null;
  /** India DLT template of this configuration's SMS, over the credential's (SMS only). */
  dltContentTemplateId: string | null;
  dltTelemarketerId: string | null;
}

export interface ChannelConfiguration extends ChannelSettings {
  id: string;
  sandbox: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export type ChannelInput = Partial<{
  name: string;
  description: string | null;
  channel: string;
  messageType: string;
  credentialId: string;
  sender: string;
  marketingFooter: string | null;
  dltContentTemplateId: string | null;
  dltTelemarketerId: string | null;
}>;

const NAME = /^\p{L}[\p{L}\p{N}_.-]{0,99}$/u;
const SHORT_CODE = /^\d{3,8}$/;
const ALPHANUMERIC_SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{3,11}$/;
export const DESCRIPTION_MAX = 500;

export type SenderKind = 'number' | 'short_code' | 'alphanumeric';

/** Classifies and normalises a sender: E.164 number, short code, or alphanumeric sender id. */
export function parseSender(raw: string): { kind: SenderKind; sender: string } | undefined {
  const value = raw.trim();
  if (SHORT_CODE.test(value)) return { kind: 'short_code', sender: value };
  if (/^\+?\d[\d\s().-]+$/.test(value)) {
    const number = normalizeE164(value);
    return number ? { kind: 'number', sender: number } : undefined;
  }
  return ALPHANUMERIC_SENDER.test(value) ? { kind: 'alphanumeric', sender: value } : undefined;
}

/** Merges `input` over `current` and checks the whole; the credential's existence is checked by the service. */
export function validateChannel(
  input: ChannelInput,
  current: ChannelSettings | undefined,
): { settings: ChannelSettings; problems: ErrorDetail[] } {
  const problems: ErrorDetail[] = [];
  const problem = (field: string, message: string) => problems.push({ path: `/${field}`, message });
  const pick = <K extends keyof ChannelInput>(key: K): ChannelInput[K] | undefined =>
    input[key] !== undefined ? input[key] : current?.[key];
  const optionalText = (value: string | null | undefined) => {
    const trimmed = value?.trim();
    return trimmed === undefined || trimmed === '' ? null : trimmed;
  };

  const name = (pick('name') ?? '').trim();
  if (name === '') problem('name', 'is required');
  else if (!NAME.test(name)) {
    problem(
      'name',
      'must start with a letter and use only letters, digits, "_", "." or "-" (at most 100)',
    );
  }

  const description = optionalText(pick('description'));
  if (description !== null && description.length > DESCRIPTION_MAX) {
    problem('description', `must be at most ${DESCRIPTION_MAX} characters`);
  }

  const channel = pick('channel') ?? 'sms';
  if (!CHANNELS.includes(channel as Channel)) problem('channel', 'must be "sms" or "mms"');

  const messageType = pick('messageType') ?? 'transactional';
  if (!MESSAGE_TYPES.includes(messageType as MessageType)) {
    problem('messageType', 'must be "marketing" or "transactional"');
  }

  const credentialId = (pick('credentialId') ?? '').trim();
  if (credentialId === '') problem('credentialId', 'is required');

  let sender = (pick('sender') ?? '').trim();
  if (sender === '') problem('sender', 'is required');
  else {
    const parsed = parseSender(sender);
    if (!parsed) {
      problem(
        'sender',
        'must be a phone number (E.164), a short code (3-8 digits) or an alphanumeric sender id (3-11 characters)',
      );
    } else {
      sender = parsed.sender;
      if (channel === 'mms' && parsed.kind === 'alphanumeric') {
        problem(
          'sender',
          'MMS is sent from a phone number or short code, not an alphanumeric sender id',
        );
      }
    }
  }

  const marketingFooter = optionalText(pick('marketingFooter'));
  if (marketingFooter !== null && countSegments(marketingFooter).characters > 60) {
    problem(
      'marketingFooter',
      'must be at most 60 characters (it is added to every marketing message)',
    );
  }

  const dlt = {
    dltContentTemplateId: optionalText(pick('dltContentTemplateId')),
    dltTelemarketerId: optionalText(pick('dltTelemarketerId')),
  };
  for (const [field, value] of Object.entries(dlt) as [keyof typeof dlt, string | null][]) {
    if (value === null) continue;
    const reason = dltProblem(field, value);
    if (reason) problem(field, reason);
    // Infobip's MMS v2 API has no regional options: a DLT id there would be silently dropped.
    else if (channel === 'mms') problem(field, 'is for SMS; MMS carries no India DLT ids');
  }

  return {
    settings: {
      name,
      description,
      channel: channel as Channel,
      messageType: messageType as MessageType,
      credentialId,
      sender,
      marketingFooter,
      ...dlt,
    },
    problems,
  };
}
