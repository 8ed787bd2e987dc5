/**
 * Counts SMS parts the way handsets and Infobip do for plain text: GSM-7 (160 / 153 per part,
 * extension-table characters count twice) or UCS-2 (70 / 67 per part, in UTF-16 code units).
 * National language shift tables and transliteration are ignored (close enough for a simulator).
 */

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '\f^{}\\[~]|€';

const BASIC = new Set(GSM_BASIC);
const EXTENSION = new Set(GSM_EXTENSION);

export interface SegmentCount {
  encoding: 'GSM7' | 'UCS2';
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  parts: number;
}

export function countSegments(text: string): SegmentCount {
  let septets = 0;
  for (const ch of text) {
    if (BASIC.has(ch)) septets += 1;
    else if (EXTENSION.has(ch)) septets += 2;
    else return ucs2(text);
  }
  return { encoding: 'GSM7', units: septets, parts: septets <= 160 ? 1 : Math.ceil(septets / 153) };
}

function ucs2(text: string): SegmentCount {
  const units = text.length;
  return { encoding: 'UCS2', units, parts: units <= 70 ? 1 : Math.ceil(units / 67) };
}
