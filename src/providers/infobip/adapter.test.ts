import { describe, expect, it } from 'vitest';
import { toProviderFailure, violatedItems } from './adapter.js';
import { LOGS_SCOPES, SEND_SCOPES } from './scopes.js';

describe('violatedItems: which batch items a 400 names', () => {
  const v = (property: string) => ({ property, violation: 'bad' });
  it.each([
    [[v('messages[1].destinations[0].to')], 3, { 1: 1 }],
    [
      [v('messages[0].content.text'), v('messages[0].sender'), v('messages[2].x')],
      3,
      { 0: 2, 2: 1 },
    ],
    // Without item paths (or naming an item the batch does not have): the request is at fault.
    [[v('messages')], 3, null],
    [[v('request')], 3, null],
    [[v('messages[1].to'), v('options.validityPeriod')], 3, null],
    [[v('messages[3].to')], 3, null],
    [[v('messages[9999999].to')], 3, null],
    [[], 3, null],
  ] as const)('%j of %i', (violations, size, expected) => {
    const items = violatedItems(violations, size);
    expect(
      items === null ? null : Object.fromEntries([...items].map(([i, list]) => [i, list.length])),
    ).toEqual(expected);
  });

  it('is linear on a long hostile property', () => {
    const started = performance.now();
    violatedItems([v(`messages[${'1'.repeat(100_000)}`)], 3);
    expect(performance.now() - started).toBeLessThan(50);
  });
});

describe('toProviderFailure: the contract taxonomy', () => {
  const rejected = (httpStatus: number) => ({
    kind: 'rejected' as const,
    httpStatus,
    code: `E${httpStatus}`,
    message: 'no',
    violations: [],
    retryable: false as const,
    latencyMs: 1,
  });
  it('401 is auth_failed; 403 is missing_scope naming the endpoint and its scopes', () => {
    expect(toProviderFailure(rejected(401), SEND_SCOPES.sms).kind).toBe('auth_failed');
    expect(toProviderFailure(rejected(403), LOGS_SCOPES.mms)).toMatchObject({
      kind: 'missing_scope',
      endpoint: 'GET /mms/2/logs',
      scopes: ['mms:logs:read', 'mms:manage'],
      maybeAccepted: false,
    });
    expect(toProviderFailure(rejected(400), SEND_SCOPES.sms).kind).toBe('rejected');
  });
  it('429/5xx is retry_later; no answer is unreachable with its wire reason', () => {
    expect(
      toProviderFailure(
        {
          kind: 'retryable',
          httpStatus: 429,
          code: 'E429',
          message: 'slow',
          retryAfterMs: 5000,
          maybeAccepted: false,
          latencyMs: 1,
        },
        LOGS_SCOPES.sms,
      ),
    ).toMatchObject({ kind: 'retry_later', retryAfterMs: 5000 });
    expect(
      toProviderFailure(
        {
          kind: 'network',
          reason: 'dns',
          message: 'not found',
          maybeAccepted: false,
          latencyMs: 1,
        },
        SEND_SCOPES.sms,
      ),
    ).toMatchObject({ kind: 'unreachable', unreachable: 'dns' });
  });
});
