/**
 * The send judge: a sent batch's rows and the provider's answer (in the contract's terms) →
 * one settlement per message. Pure (time comes in `now`); the worker does the side effects
 * (metrics, log lines, health, the auth-failed flag) and the writes.
 */
import type { ProviderFailure, SendBatchResult } from '../providers/provider.js';
import { retryDelayMs } from './backoff.js';
import type { Settlement } from './queue.js';

/** A settlement for one message id. */
export type Settled = { id: string; settlement: Settlement };

/** The columns of a claimed message the judge reads. */
export type JudgedRow = {
  id: string;
  attempts: number;
  valid_until: string;
  uncertain_since: string | null;
};

/** The clock reading and backoff bounds of one judgement. */
export interface JudgeContext {
  now: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

/** A final settlement. */
export function final(
  id: string,
  status: 'failed' | 'expired' | 'rejected' | 'suppressed' | 'cancelled',
  reason: string,
  providerStatus?: unknown,
  providerError?: unknown,
): Settled {
  return {
    id,
    settlement: {
      kind: 'final',
      status,
      reason,
      ...(providerStatus !== undefined ? { providerStatus } : {}),
      ...(providerError !== undefined ? { providerError } : {}),
    },
  };
}

/** A message the provider's answer did not mention: its fate is unknown, look it up first. */
export const UNANSWERED: ProviderFailure = {
  kind: 'unreachable',
  unreachable: 'invalid_response',
  code: 'invalid_response',
  reason: 'the provider did not answer for this message',
  maybeAccepted: true,
  violations: [],
  latencyMs: 0,
};

/** Another attempt with backoff, or `expired` when the validity would end first. */
export function retry(
  row: JudgedRow,
  failure: ProviderFailure,
  uncertain: boolean,
  ctx: JudgeContext,
): Settled {
  const delay = retryDelayMs(row.attempts, {
    baseMs: ctx.retryBaseMs,
    maxMs: ctx.retryMaxMs,
    retryAfterMs: failure.retryAfterMs,
  });
  const reason =
    failure.kind === 'unreachable'
      ? `network: ${failure.reason}`
      : `provider answered ${failure.httpStatus ?? ''} ${failure.reason}`.replace(/\s+/g, ' ');
  if (ctx.now + delay >= Date.parse(row.valid_until)) {
    return final(
      row.id,
      'expired',
      `the validity period ended while retrying (last error: ${reason})`,
    );
  }
  return {
    id: row.id,
    settlement: {
      kind: 'retry',
      at: new Date(ctx.now + delay).toISOString(),
      reason: `will retry: ${reason}`,
      uncertain,
      ...(uncertain && row.uncertain_since !== null ? { uncertainSince: row.uncertain_since } : {}),
    },
  };
}

/** A message whose request failed: final for what will not fix itself, else a retry. */
export function failed(row: JudgedRow, f: ProviderFailure, ctx: JudgeContext): Settled {
  const http = f.httpStatus !== undefined ? `HTTP ${f.httpStatus}` : '';
  switch (f.kind) {
    case 'auth_failed':
      return final(row.id, 'failed', `credential rejected by provider (${http}: ${f.reason})`);
    case 'missing_scope':
      // Fail, not hold: the key will not gain a scope by itself, and a held message would go
      // out whenever someone fixed the key, however late (README, "Sending").
      return final(row.id, 'failed', `missing_scope: ${f.reason}`, undefined, {
        kind: 'missing_scope',
        endpoint: f.endpoint,
        scopes: f.scopes,
      });
    case 'rejected':
      return final(
        row.id,
        'failed',
        `provider refused the request (${http}): ${f.reason}`,
        undefined,
        f.violations,
      );
    case 'retry_later':
    case 'unreachable':
      return retry(row, f, f.maybeAccepted, ctx);
  }
}

/** One settlement per row from the provider's answer to its batch. */
export function judgeSendBatch(
  rows: readonly JudgedRow[],
  result: SendBatchResult,
  ctx: JudgeContext,
): Settled[] {
  return rows.map((row): Settled => {
    const outcome = result.outcomes.get(row.id) ?? { kind: 'unanswered' as const };
    switch (outcome.kind) {
      case 'accepted':
        return {
          id: row.id,
          settlement: {
            kind: 'accepted',
            providerStatus: outcome.providerStatus,
            providerMessageId: outcome.providerMessageId,
          },
        };
      case 'rejected':
        return final(row.id, 'rejected', outcome.reason, outcome.providerStatus);
      case 'unanswered':
        return retry(row, UNANSWERED, true, ctx);
      case 'failed':
        return failed(row, outcome.failure, ctx);
    }
  });
}

/** The failures of a batch's messages, and the one that decided it (the last request's). */
export function batchFailures(result: SendBatchResult): {
  failures: ProviderFailure[];
  decisive: ProviderFailure | undefined;
} {
  const failures = [...result.outcomes.values()].flatMap((o) =>
    o.kind === 'failed' ? [o.failure] : [],
  );
  const last = result.requests[result.requests.length - 1];
  return { failures, decisive: last?.outcome === 'ok' ? undefined : failures[failures.length - 1] };
}
