import type { Clock } from '../clock.js';

/** Bounds on automatic inbound replies (a toll-fraud guard: replies go to numbers texters choose). */
export interface ReplyLimits {
  /** Replies to one texting number, per credential, per clock hour. */
  perNumberPerHour: number;
  /** Replies from one credential per clock minute. */
  perCredentialPerMinute: number;
}

/** Which budget refused a reply. */
export type ReplyLimitReason = 'per_number' | 'per_credential';

/**
 * Defaults. 10 a number an hour stays under Infobip's flooding filter (20 different texts to one
 * number an hour, infobip.md §2.6); 1,000 a credential a minute (17/s) holds a keyword
 * campaign's burst while capping what a leaked webhook URL can cost at 60,000 texts an hour.
 */
export const DEFAULT_REPLY_LIMITS: ReplyLimits = {
  perNumberPerHour: 10,
  perCredentialPerMinute: 1000,
};

const HOUR_MS = 3600_000;
const MINUTE_MS = 60_000;
// Numbers tracked at once; past it (all still in their hour) a new number gets no reply: with the
// default 1,000 replies a credential a minute, 100 credentials at full tilt for an hour fill it.
const MAX_TRACKED_NUMBERS = 100_000;

interface Window {
  start: number;
  count: number;
}

/**
 * Fixed-window counters in this process's memory (not shared between `tern serve` processes on
 * one PostgreSQL: each process allows the limits on its own). A map lookup per text, so the
 * inbound hot path keeps its speed; no database read.
 */
export class ReplyLimiter {
  private readonly numbers = new Map<string, Window>();
  private readonly credentials = new Map<string, Window>();
  private lastSweep = -Infinity;

  constructor(
    private readonly limits: ReplyLimits,
    private readonly clock: Clock,
  ) {}

  /** Takes one reply from both budgets, or names the one that is spent (taking nothing). */
  take(credentialId: string, phone: string): ReplyLimitReason | null {
    const now = this.clock.now().getTime();
    const numberKey = `${credentialId}|${phone}`;
    const number = this.current(this.numbers, numberKey, now, HOUR_MS);
    if ((number?.count ?? 0) >= this.limits.perNumberPerHour) return 'per_number';
    if (!number && !this.roomForNumber(now)) return 'per_number';
    const credential = this.current(this.credentials, credentialId, now, MINUTE_MS);
    if ((credential?.count ?? 0) >= this.limits.perCredentialPerMinute) return 'per_credential';
    bump(this.numbers, numberKey, number, now);
    bump(this.credentials, credentialId, credential, now);
    return null;
  }

  private current(
    map: Map<string, Window>,
    key: string,
    now: number,
    length: number,
  ): Window | undefined {
    const window = map.get(key);
    if (window && now - window.start < length) return window;
    if (window) map.delete(key);
    return undefined;
  }

  /**
   * Drops numbers whose hour is over when the map is full, at most once a minute (a sweep of
   * 100,000 entries takes a few ms: not once per text); false while it stays full.
   */
  private roomForNumber(now: number): boolean {
    if (this.numbers.size < MAX_TRACKED_NUMBERS) return true;
    if (now - this.lastSweep < MINUTE_MS) return false;
    this.lastSweep = now;
    for (const [key, window] of this.numbers) {
      if (now - window.start >= HOUR_MS) this.numbers.delete(key);
    }
    return this.numbers.size < MAX_TRACKED_NUMBERS;
  }
}

function bump(map: Map<string, Window>, key: string, window: Window | undefined, now: number) {
  if (window) window.count++;
  else map.set(key, { start: now, count: 1 });
}
