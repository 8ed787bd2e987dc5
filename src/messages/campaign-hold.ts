import type { Executor } from '../db/executor.js';
import type { MessageRow } from './message.repository.js';
import { final, type Settled } from './send-batch.js';

/**
 * What the worker does with claimed campaign messages whose campaign stopped: a paused
 * campaign's message is held (status `paused`, queued again on resume), a cancelled one's is
 * never sent. Checked right before sending, beside consent: the campaign's pause moves its
 * queued messages to `paused` in chunks, and a claim or a retry that lands between them must not
 * slip through. Reads `campaigns` directly (messages know nothing of the campaigns module).
 */
export async function campaignHolds(
  db: Executor,
  sandbox: string,
  rows: MessageRow[],
): Promise<{ held: Settled[]; sendable: MessageRow[] }> {
  const ids = [...new Set(rows.flatMap((r) => (r.campaign_id === null ? [] : [r.campaign_id])))];
  if (ids.length === 0) return { held: [], sendable: rows };
  const found = await db
    .selectFrom('campaigns')
    .select(['id', 'status'])
    .where('sandbox', '=', sandbox)
    .where('id', 'in', ids)
    .execute();
  const status = new Map(found.map((c) => [c.id, c.status]));
  const held: Settled[] = [];
  const sendable: MessageRow[] = [];
  for (const row of rows) {
    const state = row.campaign_id === null ? undefined : status.get(row.campaign_id);
    if (state === 'paused')
      held.push({ id: row.id, settlement: { kind: 'hold', reason: 'its campaign is paused' } });
    else if (state === 'cancelled')
      held.push(final(row.id, 'cancelled', 'its campaign was cancelled before it was sent'));
    else sendable.push(row);
  }
  return { held, sendable };
}
