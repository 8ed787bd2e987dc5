/** Injectable wall clock, in epoch milliseconds (tests pass a fixed or stepping clock). */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/**
 * Formats an instant the way Infobip does: `yyyy-MM-dd'T'HH:mm:ss.SSSZ`, always UTC, offset
 * without a colon (`2019-11-09T16:00:00.000+0000`).
 */
export function formatInfobipTime(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return `${iso.slice(0, 23)}+0000`;
}

/**
 * Parses the timestamps Infobip accepts in requests (`+0000`, `+00:00`, `Z`). Returns NaN when
 * the text is not a date.
 */
export function parseInfobipTime(text: string): number {
  // V8 is lenient with `+0000`, but normalise so behaviour does not depend on that leniency.
  const normalised = text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  return Date.parse(normalised);
}

/** One minute, the unit of Infobip's retry schedule and v2 validity periods. */
export const MINUTE_MS = 60_000;
