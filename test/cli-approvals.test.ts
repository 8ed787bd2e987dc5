import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILT_TERN_TOKEN as TOKEN,
  ensureBuiltCli,
  runBuiltCli,
  serveBuilt,
  type BuiltTern,
  type CliResult,
} from './helpers/cli.js';

interface Approval {
  id: string;
  kind: string;
  status: string;
  change: Record<string, unknown>;
  resource: { type: string; id: string };
}

/**
 * `tern approvals` against a served Tern, from a folder with no database: a change waiting for a
 * second person is listed, shown and withdrawn by its requester, and nothing else changes.
 */
describe('tern approvals over the API', () => {
  let served: BuiltTern;
  let cwd: string;
  beforeAll(async () => {
    ensureBuiltCli();
    served = await serveBuilt();
    cwd = mkdtempSync(join(tmpdir(), 'tern-cli-approvals-'));
  }, 240_000);
  afterAll(async () => {
    await served?.dispose();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  const run = (args: string[]): Promise<CliResult> =>
    runBuiltCli(args, { cwd, env: { TERN_URL: served.base, TERN_TOKEN: TOKEN } });
  const json = async <T>(args: string[]): Promise<T> => {
    const result = await run([...args, '--json']);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as T;
  };
  const api = async <T>(method: string, path: string, body?: unknown) => {
    const answer = await fetch(`${served.base}/api${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: answer.status, body: (await answer.json()) as T };
  };

  it('lists, shows and withdraws a change waiting for a second person', async () => {
    const on = await api('PUT', '/v1/approval-settings', { complianceApprovals: true });
    expect(on.status).toBe(200);
    const asked = await api<{ approval: Approval }>('PATCH', '/v1/sandboxes/prod', {
      consentPolicy: 'subscribed-only',
    });
    expect(asked.status).toBe(202);
    const { id } = asked.body.approval;

    const pending = await json<{ items: Approval[] }>(['approvals', 'list', '--status', 'pending']);
    expect(pending.items.map((a) => [a.id, a.kind, a.status])).toEqual([
      [id, 'sandbox.consent_policy', 'pending'],
    ]);
    const table = await run(['approvals', 'list']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(
      new RegExp(`${id}.*sandbox\\.consent_policy.*sandbox prod.*pending`),
    );

    const shown = await json<Approval>(['approvals', 'get', id]);
    expect(shown).toMatchObject({
      id,
      change: { consentPolicy: 'subscribed-only' },
      resource: { type: 'sandbox', id: 'prod' },
    });

    const withdrawn = await json<Approval>(['approvals', 'cancel', id]);
    expect(withdrawn).toMatchObject({ id, status: 'cancelled' });
    expect(
      (await json<{ items: Approval[] }>(['approvals', 'list', '--status', 'pending'])).items,
    ).toEqual([]);
    // Withdrawn, the change never happened.
    const sandboxes = await api<{ items: { name: string; consentPolicy: string }[] }>(
      'GET',
      '/v1/sandboxes',
    );
    expect(sandboxes.body.items.find((s) => s.name === 'prod')?.consentPolicy).toBe(
      'not-unsubscribed',
    );
    // A second cancel is refused (already decided), naming why.
    const again = await run(['approvals', 'cancel', id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/cancelled|decided|pending/i);
  }, 60_000);

  it('explains a wrong invocation (exit 2) and an unknown request (exit 1)', async () => {
    const status = await run(['approvals', 'list', '--status', 'waiting']);
    expect(status.code).toBe(2);
    expect(status.stderr).toContain(
      '--status must be one of: pending, approved, rejected, cancelled, failed',
    );
    const verb = await run(['approvals', 'approve', 'apr_1']);
    expect(verb.code).toBe(2);
    expect(verb.stderr).toContain('use list, get or cancel');
    const missing = await run(['approvals', 'get', 'no-such-request', '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr)).toMatchObject({ error: { code: 'not_found' } });
  }, 60_000);
});
