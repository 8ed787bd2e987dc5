import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureBuiltCli,
  runBuiltCli,
  serveBuilt,
  type BuiltTern,
  type CliResult,
} from './helpers/cli.js';

const FOLLOW_UP = 'Still keen? This week’s offers end on Sunday.';
const PERSON = '+14155550121';

/**
 * Flows through the built CLI, from a folder with no database, against one served Tern: a definition checked
 * before it is saved (every problem named), created from standard input, versioned with
 * If-Match, simulated (OFFERS: the follow-up a day later; STOP in between: none), a run started
 * by an API event listed, read with its timeline and cancelled, then the flow deleted.
 */
describe('tern flows', () => {
  let dir: string;
  let env: Record<string, string>;
  let served: BuiltTern;
  beforeAll(async () => {
    ensureBuiltCli();
    served = await serveBuilt();
    dir = mkdtempSync(join(tmpdir(), 'tern-cli-flows-'));
    env = { TERN_URL: served.base, TERN_TOKEN: served.token };
  }, 240_000);
  afterAll(async () => {
    await served?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const runCli = (args: string[], e: Record<string, string>) =>
    runBuiltCli(args, { cwd: dir, env: e });

  const json = async <T>(args: string[]): Promise<T> => {
    const result = await runCli([...args, '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as T;
  };
  const fails = async (args: string[], code: number, stderr: string) => {
    const result = await runCli(args, env);
    expect(result.code, result.stdout).toBe(code);
    expect(result.stderr).toContain(stderr);
  };
  /** The CLI with `input` on its standard input (`--file -`). */
  const piped = (args: string[], input: string): Promise<CliResult> =>
    runBuiltCli(args, { cwd: dir, env, input });

  it('checks, creates, versions, simulates and runs a flow', { timeout: 180_000 }, async () => {
    const credential = await json<{ id: string }>([
      'credentials',
      'create',
      '--data',
      JSON.stringify({
        name: 'ops',
        baseUrl: 'https://x1.api.infobip.com',
        apiKey: 'cli-flows-key-000000000000-1a2b',
        inboundNumber: '+14155550100',
        customInboundKeywords: ['OFFERS'],
      }),
    ]);
    const channel = await json<{ id: string }>([
      'channels',
      'create',
      '--data',
      JSON.stringify({
        name: 'promo',
        credentialId: credential.id,
        sender: 'OPS',
        messageType: 'marketing',
        marketingFooter: 'Reply STOP to opt out',
      }),
    ]);
    const template = await json<{ id: string }>([
      'templates',
      'create',
      '--data',
      JSON.stringify({ name: 'follow-up', body: FOLLOW_UP, messageType: 'marketing' }),
    ]);
    const definition = {
      trigger: { type: 'keyword', credentialId: credential.id, keyword: 'offers' },
      channelConfigurationId: channel.id,
      steps: [
        { id: 'wait-a-day', type: 'wait', seconds: 86_400 },
        { id: 'follow-up', type: 'send', templateId: template.id },
      ],
    };

    // Validate: a good definition, then a bad one with every problem named and exit 1.
    expect(await json(['flows', 'validate', '--data', JSON.stringify({ definition })])).toEqual({
      ok: true,
      problems: [],
    });
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        definition: {
          ...definition,
          steps: [
            { id: 'wait a day', type: 'wait', seconds: 0 },
            { id: 'follow-up', type: 'send', templateId: template.id },
          ],
        },
      }),
    );
    const refused = await runCli(['flows', 'validate', '--file', bad], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('/definition/steps/0/id');
    expect(refused.stderr).toContain('/definition/steps/0/seconds must be a whole number from 1');
    const refusedJson = await runCli(['flows', 'validate', '--file', bad, '--json'], env);
    expect(refusedJson.code).toBe(1);
    expect(JSON.parse(refusedJson.stdout)).toMatchObject({
      ok: false,
      problems: expect.arrayContaining([
        expect.objectContaining({ path: '/definition/steps/0/seconds' }),
      ]) as unknown,
    });
    // A body the route would refuse is refused before the service: the field named.
    await fails(
      ['flows', 'create', '--data', JSON.stringify({ name: 'x', definition, colour: 'red' })],
      1,
      '/colour is not a known property',
    );
    await fails(['flows', 'create', '--file', bad], 1, '/name');

    // Create from standard input, as a definition piped from another tool.
    const created = await piped(
      ['flows', 'create', '--file', '-', '--json'],
      JSON.stringify({ name: 'offers-nudge', status: 'active', definition }),
    );
    expect(created.code, created.stderr).toBe(0);
    const flow = JSON.parse(created.stdout) as {
      id: string;
      version: number;
      status: string;
      definition: { trigger: { keyword: string }; settings: unknown };
    };
    expect(flow).toMatchObject({ version: 1, status: 'active' });
    expect(flow.definition.trigger.keyword).toBe('OFFERS');
    expect(flow.definition.settings).toEqual({
      oneRunPerPerson: true,
      maxSendsPerRun: 5,
      maxSendsPerDay: 3,
    });
    const listed = await json<{ items: { id: string; name: string }[] }>(['flows', 'list']);
    expect(listed.items.map((f) => f.name)).toEqual(['offers-nudge']);
    const table = await runCli(['flows', 'list', '--status', 'active'], env);
    expect(table.stdout).toMatch(/offers-nudge\s+active\s+1\s+keyword OFFERS\s+2\s+0/);
    expect(await json(['flows', 'get', flow.id])).toMatchObject({ id: flow.id, version: 1 });

    // Versions: If-Match guards the edit; a stale one is refused.
    expect(
      await json(['flows', 'update', flow.id, '--if-match', '1', '--data', '{"status": "paused"}']),
    ).toMatchObject({ version: 2, status: 'paused' });
    await fails(
      ['flows', 'update', flow.id, '--if-match', '1', '--data', '{"status": "active"}'],
      1,
      'version',
    );
    expect(
      await json(['flows', 'update', flow.id, '--if-match', '2', '--data', '{"status": "active"}']),
    ).toMatchObject({ version: 3, status: 'active' });

    // Simulate: OFFERS brings the follow-up a day later; STOP an hour in, none.
    const offers = { script: [{ atSeconds: 0, text: 'OFFERS' }], consent: 'subscribed' };
    const simulated = await json<{ messages: unknown[] }>([
      'flows',
      'simulate',
      flow.id,
      '--data',
      JSON.stringify(offers),
    ]);
    expect(simulated.messages).toEqual([
      expect.objectContaining({
        atSeconds: 86_400,
        kind: 'flow',
        stepId: 'follow-up',
        status: 'would_send',
        // As the send makes it: the marketing channel's footer added.
        text: `${FOLLOW_UP}\nReply STOP to opt out`,
      }),
    ]);
    const stopped = await json<{ messages: { kind: string }[]; runs: unknown[] }>([
      'flows',
      'simulate',
      flow.id,
      '--data',
      JSON.stringify({
        ...offers,
        script: [...offers.script, { atSeconds: 3600, text: 'STOP' }],
      }),
    ]);
    expect(stopped.messages.filter((m) => m.kind === 'flow')).toEqual([]);
    expect(stopped.runs).toEqual([
      { startedAtSeconds: 0, endedAtSeconds: 3600, endReason: 'opted_out' },
    ]);
    const people = await runCli(
      ['flows', 'simulate', flow.id, '--data', JSON.stringify(offers)],
      env,
    );
    expect(people.code, people.stderr).toBe(0);
    expect(people.stdout).toMatch(/1 d\s+flow\s+follow-up\s+would_send\s+Still keen\?/);
    await fails(
      ['flows', 'simulate', flow.id, '--data', '{"script": [{"atSeconds": -1, "text": "x"}]}'],
      1,
      '/script/0/atSeconds',
    );

    // A run: an API-event flow started for a person, listed, read, cancelled.
    const signup = await json<{ id: string }>([
      'flows',
      'create',
      '--data',
      JSON.stringify({
        name: 'welcome',
        status: 'active',
        definition: {
          ...definition,
          trigger: { type: 'api_event', event: 'signup' },
        },
      }),
    ]);
    const event = await fetch(`${served.base}/api/v1/flow-events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${served.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'signup', phone: PERSON }),
    });
    const started = (await event.json()) as { runs: { runId: string }[] };
    expect(started.runs).toHaveLength(1);
    const runId = started.runs[0]?.runId ?? '';
    const runs = await json<{ items: { id: string; status: string }[] }>([
      'flows',
      'runs',
      signup.id,
    ]);
    expect(runs.items).toEqual([expect.objectContaining({ id: runId, status: 'active' })]);
    const byPhone = await json<{ items: { id: string }[] }>(['flows', 'runs', '--phone', PERSON]);
    expect(byPhone.items.map((r) => r.id)).toEqual([runId]);
    expect(
      (await json<{ items: unknown[] }>(['flows', 'runs', '--status', 'ended'])).items,
    ).toEqual([]);
    await fails(['flows', 'runs', '--phone', 'nope'], 1, '/querystring/phone');
    const run = await json<{ timeline: { kind: string }[] }>(['flows', 'run', runId]);
    expect(run.timeline.map((t) => t.kind)).toContain('started');
    const runTable = await runCli(['flows', 'run', runId], env);
    expect(runTable.stdout).toMatch(/Timeline[\s\S]*started/);
    expect(await json(['flows', 'cancel-run', runId])).toMatchObject({
      status: 'ended',
      endReason: 'cancelled',
    });
    await fails(['flows', 'cancel-run', runId], 1, 'ended');

    await json(['flows', 'delete', signup.id]);
    await fails(['flows', 'get', signup.id], 1, 'No flow');
    expect(
      (await json<{ items: { name: string }[] }>(['flows', 'list'])).items.map((f) => f.name),
    ).toEqual(['offers-nudge']);
    expect(readdirSync(dir).filter((f) => /\.db|\.key/.test(f))).toEqual([]);
  });

  it('explains a wrong invocation', async () => {
    await fails(['flows', 'frobnicate'], 2, 'use list, get, create, update, delete, validate');
    await fails(['flows', 'list', '--status', 'done'], 2, '--status must be one of');
    await fails(['flows', 'runs', '--status', 'draft'], 2, 'active, ended');
    await fails(['flows', 'get'], 2, 'give the flow id');
    await fails(['flows', 'create'], 2, '--data');
    await fails(['flows', 'run'], 2, 'give the run id');
  });
});
