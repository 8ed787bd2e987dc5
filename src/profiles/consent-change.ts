import type { Clock } from '../clock.js';
import type { Executor } from '../db/executor.js';
import { prepare } from '../db/prepared.js';
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
    const ended = await endDoubleOptIn(db, { sandbox: change.sandbox, phone: change.phone });
    endedDoubleOptIn = ended.length > 0;
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

// On the inbound hot path (every opt-in and opt-out): compiled once (see db/prepared.ts).
const endDoubleOptIn = prepare<{ sandbox: string; phone: string }>((db, param) =>
  db
    .deleteFrom('double_opt_in_requests')
    .where('sandbox', '=', param('sandbox'))
    .where('phone', '=', param('phone'))
    .returning('phone'),
);
