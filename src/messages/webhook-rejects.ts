import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Executor } from '../db/executor.js';
import { newId } from '../ids.js';
import type { RejectedItem, WebhookProblem } from '../providers/registry.js';

/**
 * Unusable items a webhook POST keeps raw: the first 100. Infobip sends at most 2,000 items a
 * POST; a body that is mostly garbage is evidence enough at 100 (1 MB at the 10,000-character
 * raw bound), and the count of the rest is in the answer.
 */
export const REJECTS_KEPT_PER_POST = 100;

/** Unusable items kept per credential; past this the oldest are deleted (design: bounded store). */
export const REJECTS_KEPT_PER_CREDENTIAL = 1000;

/** Problems named in a webhook answer (across its items), as in a validation error. */
export const PROBLEMS_IN_ANSWER = 20;

/** Which webhook an item came to. */
export type WebhookName = 'reports' | 'inbound';

/** The problems of the first rejected items, with their paths into the body, for an answer. */
export function answerProblems(rejected: RejectedItem[]): WebhookProblem[] {
  const out: WebhookProblem[] = [];
  for (const item of rejected) {
    for (const p of item.problems) {
      if (out.length >= PROBLEMS_IN_ANSWER) return out;
      out.push(p);
    }
  }
  return out;
}

/**
 * Keeps a POST's unusable items (the first {@link REJECTS_KEPT_PER_POST}) for inspection, once
 * each per credential (Infobip retries a refused POST), then deletes the credential's oldest
 * past {@link REJECTS_KEPT_PER_CREDENTIAL}. Returns how many were newly kept.
 */
export async function keepRejects(
  db: Executor,
  clock: Clock,
  scope: { credentialId: string; sandbox: string; webhook: WebhookName },
  rejected: RejectedItem[],
  maxPerCredential = REJECTS_KEPT_PER_CREDENTIAL,
): Promise<number> {
  if (rejected.length === 0) return 0;
  const now = clock.now().toISOString();
  const rows = rejected.slice(0, REJECTS_KEPT_PER_POST).map((item) => ({
    id: newId(),
    credential_id: scope.credentialId,
    sandbox: scope.sandbox,
    webhook: scope.webhook,
    dedup_key: createHash('sha256').update(`${scope.webhook}\n${item.raw}`).digest('hex'),
    item_index: item.index,
    raw: item.raw,
    problems: JSON.stringify(item.problems),
    received_at: now,
  }));
  const kept = await db
    .insertInto('webhook_rejects')
    .values(rows)
    .onConflict((oc) => oc.columns(['credential_id', 'dedup_key']).doNothing())
    .returning('id')
    .execute();
  const row = await db
    .selectFrom('webhook_rejects')
    .select(db.fn.countAll<number>().as('n'))
    .where('credential_id', '=', scope.credentialId)
    .executeTakeFirst();
  const excess = Number(row?.n ?? 0) - maxPerCredential;
  if (excess > 0) {
    await db
      .deleteFrom('webhook_rejects')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('webhook_rejects')
          .select('id')
          .where('credential_id', '=', scope.credentialId)
          .orderBy('received_at')
          .orderBy('id')
          .limit(excess),
      )
      .execute();
  }
  return kept.length;
}
