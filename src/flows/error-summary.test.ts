import { describe, expect, it } from 'vitest';
import { errorSummary } from './flow-engine.js';

describe('errorSummary: what a failed run says of its last error', () => {
  it('is the first line of the message, never the stack', () => {
    const error = new Error('deadlock detected\nDETAIL: Process 1 waits for ShareLock');
    expect(errorSummary(error)).toBe('deadlock detected');
    expect(errorSummary(error)).not.toContain(' at ');
  });

  it("masks a URL's user and password", () => {
    expect(
      errorSummary(new Error('connect failed: postgres://tern:s3cret@db.internal:5432/tern')),
    ).toBe('connect failed: postgres://***@db.internal:5432/tern');
  });

  it('is bounded, and says something for an empty message or a thrown non-Error', () => {
    expect(errorSummary(new Error('x'.repeat(10_000)))).toHaveLength(201);
    expect(errorSummary(new TypeError(''))).toBe('TypeError');
    expect(errorSummary('a string')).toBe('an error that is not an Error');
  });
});
