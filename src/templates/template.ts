import type { MessageType } from '../channels/channel.js';
import { MESSAGE_TYPES } from '../channels/channel.js';
import type { ErrorDetail } from '../errors.js';
import { dltProblem } from '../messages/india-dlt.js';
import type { MediaItem } from '../messages/message.js';
import { mediaItemProblems, MMS_MEDIA_MAX } from '../messages/message.rules.js';
import { dltPatternProblem } from './dlt-fit.js';

/** One immutable version of a message template: what a campaign pins and renders. */
export interface TemplateVersion {
  id: string;
  sandbox: string;
  name: string;
  version: number;
  body: string;
  media: MediaItem[];
  messageType: MessageType;
  /** India DLT content template id the rendered text is sent under (SMS). */
  dltContentTemplateId: string | null;
  /** The text registered on the DLT portal, with `{#var#}` slots; the rendered text must fit it. */
  dltTemplateText: string | null;
  createdAt: string;
}

/**
 * A template as the API shows it: its current version's content, `version` its number,
 * `createdAt` when the template was made and `updatedAt` when its current version was.
 */
export interface Template extends Omit<TemplateVersion, 'createdAt'> {
  createdAt: string;
  updatedAt: string;
}

/**
 * The longest template body. An SMS is at most 10 parts (1,530 GSM-7 characters), an MMS text
 * 4,096; 4,000 characters of Liquid leaves room for tags around either, and bounds the parse
 * (liquidjs' parseLimit is set to the same figure).
 */
export const TEMPLATE_BODY_MAX = 4_000;
const NAME = /^\p{L}[\p{L}\p{N}_.-]{0,99}$/u;

/** The settings of a template version, as the API takes them (every field optional on PATCH). */
export type TemplateInput = Partial<{
  name: string;
  body: string;
  media: MediaItem[];
  messageType: string;
  dltContentTemplateId: string | null;
  dltTemplateText: string | null;
}>;

export type TemplateSettings = Pick<
  TemplateVersion,
  'name' | 'body' | 'media' | 'messageType' | 'dltContentTemplateId' | 'dltTemplateText'
>;

/**
 * Merges `input` over `current` and checks the fields one by one (the body's Liquid is checked
 * by compileTemplate); a `draft` is not saved, so it needs no name or DLT id. Pure.
 */
export function validateTemplate(
  input: TemplateInput,
  current: TemplateSettings | undefined,
  options: { draft?: boolean } = {},
): { settings: TemplateSettings; problems: ErrorDetail[] } {
  const problems: ErrorDetail[] = [];
  const problem = (field: string, message: string) => problems.push({ path: `/${field}`, message });
  const pick = <K extends keyof TemplateInput>(key: K): TemplateInput[K] | undefined =>
    input[key] !== undefined ? input[key] : current?.[key];
  const optionalText = (value: string | null | undefined) => {
    const trimmed = value?.trim();
    return trimmed === undefined || trimmed === '' ? null : trimmed;
  };

  const name = (pick('name') ?? '').trim();
  if (name === '') problem('name', 'is required');
  else if (!NAME.test(name))
    problem(
      'name',
      'must start with a letter and use only letters, digits, "_", "." or "-" (at most 100)',
    );

  const body = pick('body') ?? '';
  if (body.trim() === '') problem('body', 'is required');
  else if (body.length > TEMPLATE_BODY_MAX)
    problem('body', `must be at most ${TEMPLATE_BODY_MAX} characters`);

  const media = pick('media') ?? [];
  if (media.length > MMS_MEDIA_MAX) problem('media', `at most ${MMS_MEDIA_MAX} media items`);
  else media.forEach((item, i) => problems.push(...mediaItemProblems(item, i)));

  const messageType = pick('messageType') ?? 'marketing';
  if (!MESSAGE_TYPES.includes(messageType as MessageType))
    problem('messageType', 'must be "marketing" or "transactional"');

  const dltContentTemplateId = optionalText(pick('dltContentTemplateId'));
  if (dltContentTemplateId !== null) {
    const reason = dltProblem('dltContentTemplateId', dltContentTemplateId);
    if (reason) problem('dltContentTemplateId', reason);
  }
  const dltTemplateText = optionalText(pick('dltTemplateText'));
  if (dltTemplateText !== null) {
    const reason = dltPatternProblem(dltTemplateText);
    if (reason) problem('dltTemplateText', reason);
    // A draft in the editor is checked against the text before it has its id.
    if (dltContentTemplateId === null && !options.draft)
      problem(
        'dltContentTemplateId',
        'is required with dltTemplateText (the id it is registered under)',
      );
  }
  if (media.length > 0 && (dltContentTemplateId !== null || dltTemplateText !== null))
    problem('media', 'India DLT templates are SMS; a template with media is sent as MMS');

  return {
    settings: {
      name,
      body,
      media,
      messageType: messageType as MessageType,
      dltContentTemplateId,
      dltTemplateText,
    },
    problems,
  };
}
