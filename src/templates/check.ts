import type { ChannelConfiguration } from '../channels/channel.js';
import { MANDATORY_OPT_OUT_KEYWORDS } from '../credentials/keywords.js';
import type { ErrorDetail } from '../errors.js';
import { MMS_TEXT_MAX, SMS_MAX_SEGMENTS, withMarketingFooter } from '../messages/message.rules.js';
import { countSegments, type SegmentCount, type SmsEncoding } from '../messages/segments.js';
import { fitsDltTemplate } from './dlt-fit.js';
import type { TemplateVersion } from './template.js';

/**
 * A rendered text as it would be sent, or why it cannot be. A text longer than its channel can
 * carry is counted over its first 1,531 (SMS) or 4,097 (MMS) characters: its `segments` and
 * `characters` are then lower bounds, and it is never `ok`.
 */
export type RenderCheck =
  | { ok: true; text: string; characters: number; segments: number; encoding: SmsEncoding }
  | {
      ok: false;
      problems: ErrorDetail[];
      text: string;
      characters: number;
      segments: number;
      encoding: SmsEncoding;
    };

const KEYWORDS = MANDATORY_OPT_OUT_KEYWORDS.join('|');
/**
 * An opt-out instruction: "Reply STOP", "Text STOP to …", "Txt END", "Send QUIT", or
 * "STOP to opt out / unsubscribe / end / cancel" — any carrier opt-out word, any case. Linear:
 * alternations of literals and single-character classes, no nested quantifier.
 */
const OPT_OUT = new RegExp(
  `\\b(?:reply|text|txt|send|sms)[ \\t:]{1,3}["'“‘]?(?:${KEYWORDS})\\b|\\b(?:${KEYWORDS})["'”’]?[ \\t]{1,3}to[ \\t]{1,3}(?:opt[ -]?out|unsubscribe|stop|end|cancel|quit)\\b`,
  'i',
);

/** Whether `text` tells the recipient how to opt out (see OPT_OUT for what is accepted). */
export function hasOptOutInstruction(text: string): boolean {
  return OPT_OUT.test(text);
}

/**
 * The longest prefix counted: one character past what the channel can carry (1,530 GSM-7
 * characters in 10 parts, fewer in UCS-2; an MMS text of 4,096) already shows a text is over.
 * The calculator costs ~4.5 µs a character (4,000 characters: 18 ms), and a render may build
 * up to 100,000, so a longer text is counted over this prefix: its parts are then a lower bound.
 */
const COUNTED_MAX = { sms: SMS_MAX_SEGMENTS * 153 + 1, mms: MMS_TEXT_MAX + 1 } as const;

/** The parts of a final text, counted over at most COUNTED_MAX characters of it. */
export function countFinal(
  final: string,
  kind: 'sms' | 'mms',
): SegmentCount & { partial: boolean } {
  const partial = final.length > COUNTED_MAX[kind];
  return { ...countSegments(partial ? final.slice(0, COUNTED_MAX[kind]) : final), partial };
}

/** Why a final text is over its channel's bound (10 SMS parts, or the MMS text length), or undefined. */
export function sizeProblem(
  final: string,
  kind: 'sms' | 'mms',
  count: SegmentCount & { partial: boolean } = countFinal(final, kind),
): string | undefined {
  if (kind === 'sms' && count.segments > SMS_MAX_SEGMENTS)
    return `renders to ${count.partial ? 'at least ' : ''}${count.segments} SMS parts (${count.encoding}, ${count.partial ? final.length : count.characters} characters); at most ${SMS_MAX_SEGMENTS} are allowed`;
  if (kind === 'mms' && final.length > MMS_TEXT_MAX)
    return `renders to ${final.length} characters; an MMS text is at most ${MMS_TEXT_MAX}`;
  return undefined;
}

/**
 * Checks one rendered text for one recipient as the send path will see it: the marketing footer
 * added as checkMessage adds it, then the parts and the 10-part cap (SMS) or the MMS text bound,
 * the opt-out instruction (marketing), and the DLT fit. Without a channel configuration, a
 * template with media is taken as MMS, any other as SMS with no footer. Pure.
 */
export function checkRendered(
  text: string,
  t: Pick<TemplateVersion, 'messageType' | 'media' | 'dltTemplateText'>,
  channel: ChannelConfiguration | null,
): RenderCheck {
  const problems: ErrorDetail[] = [];
  const problem = (message: string) => problems.push({ path: '/body', message });
  const final = channel ? withMarketingFooter(text, t.messageType, channel) : text;
  const kind = channel?.channel ?? (t.media.length > 0 ? 'mms' : 'sms');
  const count = countFinal(final, kind);

  if (final.trim() === '' && t.media.length === 0) problem('renders an empty text');
  const size = sizeProblem(final, kind, count);
  if (size) problem(size);
  if (t.messageType === 'marketing' && !hasOptOutInstruction(final)) {
    problem(
      channel?.marketingFooter
        ? `a marketing text must say how to opt out (e.g. "Reply STOP to opt out"); the footer "${channel.marketingFooter}" of channel configuration "${channel.name}" does not`
        : 'a marketing text must say how to opt out, e.g. "Reply STOP to opt out" (in the body or the channel configuration\'s marketingFooter)',
    );
  }
  if (t.dltTemplateText !== null && !fitsDltTemplate(final, t.dltTemplateText)) {
    problem(
      'does not fit the registered DLT template text: it must be that text with each {#var#} replaced by at most 30 characters',
    );
  }

  const result = {
    text: final,
    characters: count.characters,
    segments: count.segments,
    encoding: count.encoding,
  };
  return problems.length > 0 ? { ok: false, problems, ...result } : { ok: true, ...result };
}
