import { SegmentedMessage } from 'sms-segments-calculator';

export type SmsEncoding = 'GSM-7' | 'UCS-2';

/** How a text travels as SMS: its encoding and the number of parts the handset reassembles. */
export interface SegmentCount {
  encoding: SmsEncoding;
  segments: number;
  characters: number;
}

/** Counts GSM-7 / UCS-2 segments with Twilio's calculator (user-data headers included). */
export function countSegments(text: string): SegmentCount {
  const message = new SegmentedMessage(text, 'auto');
  return {
    encoding: message.encodingName,
    segments: message.segmentsCount,
    characters: message.numberOfCharacters,
  };
}
