/**
 * The CLI on a change waiting for approval (issue 18): a 202 `{ approval }` answer prints
 * "Waiting for approval <id> (needs a second person)", or the answer itself with --json, not
 * the change as done; ordinary results print as before.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pendingApprovalId, printedPending } from '../src/cli/approval-output.js';
import { show } from '../src/cli/resource-commands.js';

const pending = { approval: { id: 'apr_123', kind: 'campaign.confirm', status: 'pending' } };

function printed(run: () => void): string {
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    run();
    return log.mock.calls.map((c) => c.join(' ')).join('\n');
  } finally {
    log.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('CLI output of a change waiting for approval', () => {
  it('prints the waiting line instead of the result', () => {
    expect(printed(() => show({}, pending))).toBe(
      'Waiting for approval apr_123 (needs a second person)',
    );
  });

  it('prints the { approval } answer with --json', () => {
    expect(JSON.parse(printed(() => show({ json: true }, pending)))).toEqual(pending);
  });

  it('leaves ordinary results alone', () => {
    expect(pendingApprovalId({ id: 'cmp_1', status: 'running' })).toBeUndefined();
    expect(pendingApprovalId(undefined)).toBeUndefined();
    expect(printedPending({}, { approval: null })).toBe(false);
    expect(printed(() => show({}, { id: 'cmp_1', status: 'running' }))).toContain('running');
  });
});
