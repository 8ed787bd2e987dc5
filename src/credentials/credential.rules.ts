import type { ErrorDetail } from '../errors.js';
import { dltProblem } from '../messages/india-dlt.js';
import { countSegments } from '../messages/segments.js';
import { DEFAULT_VALIDITY, validityProblem, type ValidityPeriod } from '../messages/validity.js';
import { checkProviderBaseUrl, type ProviderUrlPolicy } from '../net/provider-url.js';
import {
  DEFAULT_REPLIES,
  FUZZY_OPT_OUT_MODES,
  type CredentialInput,
  type CredentialSettings,
} from './credential.js';
import { parseInboundNumber } from './inbound-number.js';
import {
  DEFAULT_HELP_KEYWORDS,
  DEFAULT_OPT_IN_KEYWORDS,
  keywordMatchKey,
  MANDATORY_OPT_OUT_KEYWORDS,
  parseKeywordList,
  withMandatoryOptOut,
  type KeywordListInput,
} from './keywords.js';

/** Auto-replies are answers, not campaigns: at most this many SMS parts. */
export const REPLY_MAX_SEGMENTS = 3;
export const CALLBACK_DATA_MAX = 4000;
export const NAME_MAX = 100;
export const API_KEY_MAX = 200;
/** A conservative default: Infobip accounts are commonly provisioned for about 100 messages/s. */
export const DEFAULT_SEND_RATE = 100;

const KEYWORD_FIELDS = [
  'optOutKeywords',
  'optInKeywords',
  'helpKeywords',
  'doubleOptInKeywords',
  'customInboundKeywords',
] as const;
type KeywordField = (typeof KEYWORD_FIELDS)[number];

export interface CredentialValidation {
  settings: CredentialSettings;
  apiKey: string | undefined;
  problems: ErrorDetail[];
}

/**
 * Applies `input` on top of `current` (the stored settings on update, nothing on create) and
 * checks the result as a whole, listing every problem by field. Pure: no I/O.
 */
export function validateCredential(
  input: CredentialInput,
  current: CredentialSettings | undefined,
  policy: ProviderUrlPolicy,
): CredentialValidation {
  const problems: ErrorDetail[] = [];
  const problem = (field: string, message: string) => problems.push({ path: `/${field}`, message });
  const creating = current === undefined;

  const text = (field: keyof CredentialInput, fallback: string): string => {
    const value = input[field];
    return typeof value === 'string' ? value.trim() : fallback;
  };
  const nullable = (field: keyof CredentialInput, fallback: string | null): string | null => {
    const value = input[field];
    if (value === null) return null;
    if (typeof value !== 'string') return fallback;
    const trimmed = value.trim();
    return trimmed === '' ? null : trimmed;
  };

  const name = text('name', current?.name ?? '');
  if (name === '') problem('name', 'is required');
  else if (name.length > NAME_MAX) problem('name', `must be at most ${NAME_MAX} characters`);

  if (input.provider !== undefined && input.provider !== 'infobip') {
    problem('provider', 'must be "infobip" (the only provider Tern supports so far)');
  }

  let baseUrl = current?.baseUrl ?? '';
  if (input.baseUrl !== undefined || creating) {
    const checked = checkProviderBaseUrl(input.baseUrl ?? '', policy);
    if (checked.ok) baseUrl = checked.url;
    else for (const message of checked.problems) problem('baseUrl', message);
  }

  let apiKey: string | undefined;
  if (input.apiKey !== undefined) {
    apiKey = input.apiKey.trim();
    if (apiKey === '') problem('apiKey', 'cannot be empty');
    else if (apiKey.length > API_KEY_MAX)
      problem('apiKey', `must be at most ${API_KEY_MAX} characters`);
    else if (/\s/.test(apiKey)) problem('apiKey', 'cannot contain spaces');
  } else if (creating) {
    problem('apiKey', 'is required');
  }

  const keywords = {} as Record<KeywordField, string[]>;
  const defaults: Record<KeywordField, readonly string[]> = {
    optOutKeywords: MANDATORY_OPT_OUT_KEYWORDS,
    optInKeywords: DEFAULT_OPT_IN_KEYWORDS,
    helpKeywords: DEFAULT_HELP_KEYWORDS,
    doubleOptInKeywords: [],
    customInboundKeywords: [],
  };
  for (const field of KEYWORD_FIELDS) {
    const given: KeywordListInput | undefined = input[field];
    if (given === undefined) {
      keywords[field] = current?.[field] ?? [...defaults[field]];
      continue;
    }
    const parsed = parseKeywordList(given);
    for (const message of parsed.problems) problem(field, message);
    keywords[field] =
      field === 'optOutKeywords' ? withMandatoryOptOut(parsed.keywords) : parsed.keywords;
  }
  // One keyword, one meaning: compared as the keyword engine will match them (no case, no accents).
  const owner = new Map<string, KeywordField>();
  for (const field of KEYWORD_FIELDS) {
    for (const keyword of keywords[field]) {
      const key = keywordMatchKey(keyword);
      const first = owner.get(key);
      if (first)
        problem(
          field,
          `"${keyword}" is already in ${first}; a keyword may sit in one category only`,
        );
      else owner.set(key, field);
    }
  }

  const reply = (field: keyof typeof DEFAULT_REPLIES): string => {
    const value = text(field, current?.[field] ?? DEFAULT_REPLIES[field]);
    checkReply(field, value, true);
    return value;
  };
  const checkReply = (field: string, value: string | null, required: boolean) => {
    if (value === null || value === '') {
      if (required) problem(field, 'cannot be empty');
      return;
    }
    const { segments, encoding } = countSegments(value);
    if (segments > REPLY_MAX_SEGMENTS) {
      problem(
        field,
        `is ${segments} SMS parts (${encoding}); replies may be at most ${REPLY_MAX_SEGMENTS}`,
      );
    }
  };

  const optInMessage = reply('optInMessage');
  const optOutMessage = reply('optOutMessage');
  const helpMessage = reply('helpMessage');
  const doubleOptInMessage = reply('doubleOptInMessage');
  const fuzzyOptOutReply = reply('fuzzyOptOutReply');
  const defaultInboundReply = nullable('defaultInboundReply', current?.defaultInboundReply ?? null);
  checkReply('defaultInboundReply', defaultInboundReply, false);

  const dltPrincipalEntityId = nullable(
    'dltPrincipalEntityId',
    current?.dltPrincipalEntityId ?? null,
  );
  const dltContentTemplateId = nullable(
    'dltContentTemplateId',
    current?.dltContentTemplateId ?? null,
  );
  const dltTelemarketerId = nullable('dltTelemarketerId', current?.dltTelemarketerId ?? null);
  for (const [field, value] of [
    ['dltPrincipalEntityId', dltPrincipalEntityId],
    ['dltContentTemplateId', dltContentTemplateId],
    ['dltTelemarketerId', dltTelemarketerId],
  ] as const) {
    const reason = value === null ? undefined : dltProblem(field, value);
    if (reason) problem(field, reason);
  }
  if (
    (dltContentTemplateId !== null || dltTelemarketerId !== null) &&
    dltPrincipalEntityId === null
  ) {
    problem('dltPrincipalEntityId', 'is required when a DLT template or telemarketer id is set');
  }

  let validityPeriod = current?.validityPeriod ?? DEFAULT_VALIDITY;
  if (input.validityPeriod !== undefined && input.validityPeriodHours !== undefined) {
    problem('validityPeriod', 'give validityPeriod or the older validityPeriodHours, not both');
  } else if (input.validityPeriod !== undefined) {
    const reason = validityProblem(input.validityPeriod);
    if (reason) problem('validityPeriod', reason);
    else {
      const { amount, timeUnit } = input.validityPeriod as ValidityPeriod;
      validityPeriod = { amount, timeUnit };
    }
  } else if (input.validityPeriodHours !== undefined) {
    const hours = input.validityPeriodHours;
    if (!Number.isInteger(hours) || hours < 1 || hours > 48)
      problem(
        'validityPeriodHours',
        "must be a whole number of hours from 1 to 48 (Infobip's maximum); for minutes use validityPeriod",
      );
    else validityPeriod = { amount: hours, timeUnit: 'HOURS' };
  }

  const callbackData =
    input.callbackData === undefined ? (current?.callbackData ?? null) : input.callbackData;
  if (callbackData !== null && callbackData.length > CALLBACK_DATA_MAX) {
    problem('callbackData', `must be at most ${CALLBACK_DATA_MAX} characters`);
  }

  let inboundNumber = nullable('inboundNumber', current?.inboundNumber ?? null);
  if (inboundNumber !== null && input.inboundNumber !== undefined) {
    const parsed = parseInboundNumber(inboundNumber);
    if (parsed) inboundNumber = parsed;
    else
      problem(
        'inboundNumber',
        'must be a phone number in international format (+14155550100) or a short code of 3 to 8 digits (25256); Infobip has no alphanumeric inbound numbers',
      );
  }

  const sendRatePerSecond =
    input.sendRatePerSecond ?? current?.sendRatePerSecond ?? DEFAULT_SEND_RATE;
  if (!Number.isInteger(sendRatePerSecond) || sendRatePerSecond < 1 || sendRatePerSecond > 10_000) {
    problem('sendRatePerSecond', 'must be a whole number of messages per second from 1 to 10000');
  }

  const fuzzyOptOut = input.fuzzyOptOut ?? current?.fuzzyOptOut ?? 'off';
  if (!FUZZY_OPT_OUT_MODES.includes(fuzzyOptOut)) {
    problem('fuzzyOptOut', `must be one of ${FUZZY_OPT_OUT_MODES.join(', ')}`);
  }

  return {
    settings: {
      name,
      provider: 'infobip',
      baseUrl,
      ...keywords,
      optInMessage,
      optOutMessage,
      helpMessage,
      doubleOptInMessage,
      dltPrincipalEntityId,
      dltContentTemplateId,
      dltTelemarketerId,
      validityPeriod,
      callbackData,
      inboundNumber,
      defaultInboundReply,
      fuzzyOptOut,
      fuzzyOptOutReply,
      sendRatePerSecond,
    },
    apiKey,
    problems,
  };
}
