import { describe, expect, it } from 'vitest';
import type { ProviderFailure, SendBatchResult, SendItemOutcome } from '../providers/provider.js';
import { judgeSendBatch, type JudgeContext } from './send-batch.js';

const NOW = Date.parse('2026-12-01T10:00:00.000Z');
const ctx: JudgeContext = { now: NOW, retryBaseMs: 1000, retryMaxMs: 60_000 };
const row = (id: string, validForMs = 3_600_000) => ({
  id,
  attempts: 1,
  valid_until: new Date(NOW + validForMs).toISOString(),
  uncertain_since: null,
});
const failure = (kind: ProviderFailure['kind'], extra: Partial<ProviderFailure> = {}) =>
  ({
    kind,
    reason: 'why',
    code: 'X',
    maybeAccepted: false,
    violations: [],
    latencyMs: 1,
    ...extra,
  }) satisfies ProviderFailure;
const result = (outcome: SendItemOutcome | undefined): SendBatchResult => ({
  outcomes: new Map(outcome ? [['m', outcome]] : []),
  requests: [],
});

describe('judgeSendBatch: one settlement per message from the contract', () => {
  it.each([
    [
      'accepted, with the provider id',
      { kind: 'accepted', providerMessageId: 'p-1', providerStatus: {}, parts: 1 },
      { kind: 'accepted', providerMessageId: 'p-1' },
    ],
    [
      'rejected inside a 200',
      { kind: 'rejected', reason: 'REJECTED_DESTINATION: bad' },
      { kind: 'final', status: 'rejected', reason: 'REJECTED_DESTINATION: bad' },
    ],
    [
      '401: failed, credential rejected',
      { kind: 'failed', failure: failure('auth_failed', { httpStatus: 401 }) },
      {
        kind: 'final',
        status: 'failed',
        reason: 'credential rejected by provider (HTTP 401: why)',
      },
    ],
    [
      '403: failed at once as missing_scope, naming the scopes',
      {
        kind: 'failed',
        failure: failure('missing_scope', {
          httpStatus: 403,
          scopes: ['mms:message:send'],
          endpoint: 'POST /mms/2/messages',
        }),
      },
      {
        kind: 'final',
        status: 'failed',
        reason: 'missing_scope: why',
        providerError: {
          kind: 'missing_scope',
          endpoint: 'POST /mms/2/messages',
          scopes: ['mms:message:send'],
        },
      },
    ],
    [
      '400 for this item: failed with the violations',
      {
        kind: 'failed',
        failure: failure('rejected', {
          httpStatus: 400,
          violations: [{ property: 'messages[0].destinations[0].to', violation: 'bad' }],
        }),
      },
      {
        kind: 'final',
        status: 'failed',
        reason: 'provider refused the request (HTTP 400): why',
        providerError: [{ property: 'messages[0].destinations[0].to', violation: 'bad' }],
      },
    ],
    [
      '429: retried, certain',
      { kind: 'failed', failure: failure('retry_later', { httpStatus: 429, retryAfterMs: 5000 }) },
      { kind: 'retry', at: new Date(NOW + 5000).toISOString(), uncertain: false },
    ],
    [
      'a 5xx or a timeout after sending: retried as uncertain',
      { kind: 'failed', failure: failure('unreachable', { maybeAccepted: true }) },
      { kind: 'retry', uncertain: true },
    ],
    [
      'missing from the answer: retried as uncertain',
      undefined,
      { kind: 'retry', uncertain: true },
    ],
  ] as const)('%s', (_name, outcome, expected) => {
    const [settled] = judgeSendBatch([row('m')], result(outcome), ctx);
    expect(settled?.settlement).toMatchObject(expected);
  });

  it('a retry that would end after the validity expires the message instead', () => {
    const [settled] = judgeSendBatch(
      [row('m', 500)],
      result({ kind: 'failed', failure: failure('retry_later', { retryAfterMs: 5000 }) }),
      ctx,
    );
    expect(settled?.settlement).toMatchObject({ kind: 'final', status: 'expired' });
  });
});
