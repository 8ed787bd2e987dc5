import { SegmentedMessage } from 'sms-segments-calculator';

export type SmsEncoding = 'GSM-7' | 'UCS-2';

/** How a text travels as SMS: its encoding and the number of parts the handset reassembles. */
export interface SegmentCount {
  encoding: SmsEncoding;
  segments: number;
  characters: number;
}

/**
 * Characters of the GSM-7 basic set that are one septet each (no escape, no look-alike that a
 * phone could render otherwise). `\r` is left out: the calculator has its own line-break rules.
 */
const PLAIN_GSM7 = /^[A-Za-z0-9 \n.,!?'"#%&()*+\-/:;<=>@$_]+$/;

/**
 * Characters outside GSM-7 that are one UTF-16 unit and one grapheme each: dashes, curly quotes,
 * bullet, ellipsis, ™, Cyrillic (without its combining marks), CJK punctuation and ideographs. A
 * text of these and PLAIN_GSM7 characters, with at least one of these, is UCS-2 at one unit each.
 */
const PLAIN_UCS2 =
  /^[A-Za-z0-9 \n.,!?'"#%&()*+\-/:;<=>@$_\u2013\u2014\u2018-\u201D\u2022\u2026\u2122\u0400-\u045F\u3000-\u303F\u4E00-\u9FFF]+$/;
const UCS2_ONLY =
  /[\u2013\u2014\u2018-\u201D\u2022\u2026\u2122\u0400-\u045F\u3000-\u303F\u4E00-\u9FFF]/;

/** GSM-7 single-part length, and the part length once a user-data header (6 octets) is needed. */
const SINGLE_PART = 160;
const MULTI_PART = 153;
/** UCS-2: 70 characters in one part, 67 once a user-data header is needed. */
const UCS2_SINGLE_PART = 70;
const UCS2_MULTI_PART = 67;

/**
 * Counts GSM-7 / UCS-2 segments with Twilio's calculator (user-data headers included). A text of
 * plain GSM-7 characters (most codes and notices) is counted directly, with the same answer
 * (segments.test.ts checks it against the calculator): the calculator splits graphemes and built
 * segment objects for it, 150 µs of the single-message API's 800.
 */
export function countSegments(text: string): SegmentCount {
  if (text.length <= 10_000 && PLAIN_GSM7.test(text)) {
    const n = text.length;
    return {
      encoding: 'GSM-7',
      segments: n <= SINGLE_PART ? 1 : Math.ceil(n / MULTI_PART),
      characters: n,
    };
  }
  // The same for UCS-2 texts of one-unit graphemes (a curly quote in a campaign text made each
  // count ~350 µs in the calculator, 6 µs this way).
  if (text.length <= 10_000 && PLAIN_UCS2.test(text) && UCS2_ONLY.test(text)) {
    const n = text.length;
    return {
      encoding: 'UCS-2',
      segments: n <= UCS2_SINGLE_PART ? 1 : Math.ceil(n / UCS2_MULTI_PART),
      characters: n,
    };
  }
  const message = new SegmentedMessage(text, 'auto');
  return {
    encoding: message.encodingName,
    segments: message.segmentsCount,
    characters: message.numberOfCharacters,
  };
}
