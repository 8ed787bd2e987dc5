import type { Clock } from '../clock.js';
import type { Executor } from '../db/executor.js';
import { recordEvent } from '../events/events.js';
import { setConsent, type ConsentChange, type ConsentState } from './consent.js';

export interface ConsentChangeResult {
  profileId: string;
  from: ConsentState;
  to: ConsentState;
  changed: boolean;
  /** True when a pending double opt-in of the number ended with this change. */
  endedDoubleOptIn: boolean;
}

/**
 * {@link setConsent} plus what goes with it: a `consent.changed` event when the state changed,
 * and the end of any pending double opt-in once the number is no longer `pending`. Runs inside
 * the caller's transaction.
 */
export async function changeConsent(
  db: Executor,
  clock: Clock,
  change: ConsentChange & { eventContext?: Record<string, unknown> },
): Promise<ConsentChangeResult> {
  const result = await setConsent(db, clock, change);
  let endedDoubleOptIn = false;
  if (change.to !== 'pending') {
    const deleted = await db
      .deleteFrom('double_opt_in_requests')
      .where('sandbox', '=', change.sandbox)
      .where('phone', '=', change.phone)
      .executeTakeFirst();
    endedDoubleOptIn = Number(deleted.numDeletedRows) > 0;
  }
  if (result.changed) {
    await recordEvent(db, clock, {
      sandbox: change.sandbox,
      type: 'consent.changed',
      payload: {
        profileId: result.profileId,
        phone: change.phone,
        from: result.from,
        to: result.to,
        source: change.source,
        inboundMessageId: change.inboundMessageId ?? null,
        note: change.note ?? null,
        ...change.eventContext,
      },
    });
  }
  return { ...result, endedDoubleOptIn };
}
