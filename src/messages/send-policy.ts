import { createHash } from 'node:crypto';
import type { MessageType } from '../channels/channel.js';
import type { Executor } from '../db/executor.js';
import type { NewEvent } from '../events/events.js';
import type { MessageOrigin, NewMessage } from './message.js';
import type { MessageRow } from './message.repository.js';

/** A send-time policy decision (src/policy/decide.ts `Decision`, by shape). */
export type PolicyDecision =
  | { action: 'send' }
  | { action: 'hold'; until: string; rule: string; source: string }
  | { action: 'drop'; reason: string; rule: string; source: string };

/** Told of each policy outcome at accept (the metrics). */
export type PolicyListener = (outcome: 'held' | 'dropped', reason: string) => void;

/**
 * How far past its window's start a held message may be released: uniform over the first
 * 10 minutes, drawn from the message's number (the same recipient lands on the same second).
 * Guess: 10 minutes. 100,000 held texts then fall due at ~167 a second, the order of one
 * credential's rate (the worker's token bucket paces the rest), instead of one wall at 08:00:00
 * that every credential and the database take at once; the law sets the window's start, not a
 * second to use, and 10 minutes is under 2 % of the shortest shipped window (8–20).
 */
export const HOLD_JITTER_MS = 10 * 60_000;

/** The jittered release time of a hold: never past the message's validity. */
export function releaseAt(until: string, validUntil: string, key: string): string {
  const start = Date.parse(until);
  const room = Math.min(HOLD_JITTER_MS, Date.parse(validUntil) - start - 1000);
  if (room <= 0) return new Date(start).toISOString();
  const draw = createHash('sha256').update(key).digest().readUInt32BE(0) / 0x1_0000_0000;
  return new Date(start + Math.floor(draw * room)).toISOString();
}

/** The `status_reason` of a message the policy dropped, e.g. `policy:quiet_hours:us-fl-window`. */
export function policyDropReason(reason: string, rule: string): string {
  return `policy:${reason}:${rule}`;
}

/** Whether a message is judged by the policy at all: marketing only, never an opt-out or HELP reply. */
export function policyApplies(messageType: MessageType, origin: MessageOrigin): boolean {
  return messageType === 'marketing' && origin !== 'opt_out_reply' && origin !== 'reply';
}

/**
 * Applies one decision to a new message: a hold keeps it queued until its window's start plus
 * its jitter (in Tern's queue, never at the provider, which cannot see a later STOP); a drop
 * makes it `suppressed` with the coded reason. Returns the outcome for metrics and events.
 */
export function applyDecision(
  message: NewMessage,
  decision: PolicyDecision,
): { outcome: 'held' | 'dropped'; reason: string } | null {
  if (decision.action === 'send') return null;
  if (decision.action === 'hold') {
    message.policy = {
      rule: decision.rule,
      source: decision.source,
      heldUntil: releaseAt(decision.until, message.validUntil, message.to),
    };
    return { outcome: 'held', reason: 'quiet_hours' };
  }
  message.policy = { rule: decision.rule, source: decision.source, heldUntil: null };
  message.status = 'suppressed';
  message.statusReason = policyDropReason(decision.reason, decision.rule);
  return { outcome: 'dropped', reason: decision.reason };
}

/** Stored attributes JSON as an object (anything else: none). */
export function parseAttributes(text: string | null): Record<string, unknown> {
  if (text === null) return {};
  const parsed: unknown = JSON.parse(text);
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : {};
}

/** `message.held` for each stored message the policy held (queued with a release time). */
export function heldEvents(rows: MessageRow[]): NewEvent[] {
  return rows
    .filter((r) => r.held_until !== null && r.status === 'queued')
    .map((r) => ({
      sandbox: r.sandbox,
      type: 'message.held' as const,
      payload: {
        messageId: r.id,
        to: r.to_number,
        heldUntil: r.held_until,
        rule: r.policy_rule,
        source: r.policy_source,
        campaignId: r.campaign_id,
        callbackData: r.callback_data,
      },
    }));
}

/** The profile attributes of each number that has a profile (parsed; not an object: none). */
export async function profileAttributes(
  db: Executor,
  sandbox: string,
  phones: string[],
): Promise<Map<string, Record<string, unknown>>> {
  const unique = [...new Set(phones)];
  const found = new Map<string, Record<string, unknown>>();
  for (let i = 0; i < unique.length; i += 500) {
    const rows = await db
      .selectFrom('profiles')
      .select(['phone', 'attributes'])
      .where('sandbox', '=', sandbox)
      .where('phone', 'in', unique.slice(i, i + 500))
      .execute();
    for (const row of rows) found.set(row.phone, parseAttributes(row.attributes));
  }
  return found;
}
