/** Where time comes from: injected everywhere so that retries and expiry are tested without sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  private current: number;
  constructor(start: Date | string = '2026-01-01T00:00:00.000Z') {
    this.current = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(at: Date | string): void {
    this.current = new Date(at).getTime();
  }
}

/** Timestamps are stored as ISO-8601 UTC text: identical on SQLite and PostgreSQL, and they sort. */
export function isoNow(clock: Clock): string {
  return clock.now().toISOString();
}
