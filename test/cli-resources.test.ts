import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILT_SIMULATOR_KEY as SIMULATOR_KEY,
  BUILT_TERN_TOKEN as SOCKET_TOKEN,
  ensureBuiltCli,
  runBuiltCli,
  serveBuilt,
  type BuiltTern,
  type CliResult,
} from './helpers/cli.js';

/**
 * The configuration plane through the built CLI, run from a folder with no database in it,
 * against one Tern served on a real port: what the CLI does is visible in the API, what it
 * prints is what the API answered, and no database appears where it runs.
 */
describe('tern credentials / channels / tokens / keyword-responses / profiles over the API', () => {
  let served: BuiltTern;
  let cwd: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    ensureBuiltCli();
    served = await serveBuilt();
    cwd = mkdtempSync(join(tmpdir(), 'tern-cli-api-'));
    env = {
      TERN_URL: served.base,
      TERN_TOKEN: SOCKET_TOKEN,
      TERN_PROFILES_FILE: join(cwd, 'config', 'profiles.json'),
    };
  }, 240_000);
  afterAll(async () => {
    await served?.dispose();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  const run = (args: string[], extra: Record<string, string> = {}): Promise<CliResult> =>
    runBuiltCli(args, { cwd, env: { ...env, ...extra } });
  const json = async <T>(args: string[], extra: Record<string, string> = {}): Promise<T> => {
    const result = await run([...args, '--json'], extra);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as T;
  };
  const api = async <T>(path: string): Promise<T> => {
    const answer = await fetch(`${served.base}/api${path}`, {
      headers: { authorization: `Bearer ${SOCKET_TOKEN}` },
    });
    expect(answer.status).toBe(200);
    return (await answer.json()) as T;
  };

  it('creates, changes, verifies and deletes through the API', { timeout: 120_000 }, async () => {
    const created = await json<{
      id: string;
      apiKeyHint: string;
      webhooks: { inbound: { url: string } };
    }>([
      'credentials',
      'create',
      '--data',
      JSON.stringify({ name: 'ops', baseUrl: served.simulator, apiKey: SIMULATOR_KEY }),
    ]);
    expect(created.apiKeyHint).toBe(`••••${SIMULATOR_KEY.slice(-4)}`);
    // The server's URL (its TERN_PUBLIC_URL), not one made from the CLI's environment.
    expect(created.webhooks.inbound.url.startsWith(`${served.base}/webhooks/`)).toBe(true);
    const inApi = await api<{ items: { id: string; name: string }[] }>('/v1/credentials');
    expect(inApi.items.map((c) => c.name)).toEqual(['ops']);
    const listed = await json<{ items: { id: string }[]; nextCursor: null }>([
      'credentials',
      'list',
    ]);
    expect(listed.items.map((c) => c.id)).toEqual([created.id]);
    const table = await run(['credentials', 'list']);
    expect(table.stdout).toMatch(
      new RegExp(`^id\\s+name\\s+inboundNumber[\\s\\S]*${created.id}\\s+ops`),
    );

    // A refused body: exit 1, the message and every field named, on stderr; nothing changed.
    const bad = await run([
      'credentials',
      'update',
      created.id,
      '--data',
      '{"validityPeriodHours": 99}',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^tern credentials: /);
    expect(bad.stderr).toContain('/validityPeriodHours');
    const unknown = await run(['credentials', 'update', created.id, '--data', '{"colour": 1}']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('/colour is not a known property');
    const badJson = await run(['credentials', 'create', '--data', '{"name": 5}', '--json']);
    expect(badJson.code).toBe(1);
    const error = (JSON.parse(badJson.stderr) as { error: { code: string; details: unknown[] } })
      .error;
    expect(error.code).toBe('validation_failed');
    expect(error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: '/name' })]),
    );

    const updated = await json<{ validityPeriodHours: number; version: number }>([
      'credentials',
      'update',
      created.id,
      '--if-match',
      '1',
      '--data',
      '{"validityPeriodHours": 24}',
    ]);
    expect(updated).toMatchObject({ validityPeriodHours: 24, version: 2 });
    const stale = await run([
      'credentials',
      'update',
      created.id,
      '--if-match',
      '1',
      '--data',
      '{"validityPeriodHours": 12}',
    ]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('If-Match');
    expect(
      (await api<{ validityPeriodHours: number }>(`/v1/credentials/${created.id}`))
        .validityPeriodHours,
    ).toBe(24);

    // verify: the simulator takes the key (exit 0); a wrong key fails the check (exit 1, why).
    const ok = await json<{ status: string }>(['credentials', 'verify', created.id]);
    expect(ok.status).toBe('ok');
    expect((await run(['credentials', 'verify', created.id])).code).toBe(0);
    const wrong = await json<{ id: string }>([
      'credentials',
      'create',
      '--data',
      JSON.stringify({
        name: 'wrong',
        baseUrl: served.simulator,
        apiKey: 'not-the-simulator-key-000000',
      }),
    ]);
    const failed = await run(['credentials', 'verify', wrong.id]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/status\s+unauthorized/);
    expect(failed.stderr).toMatch(/^tern credentials verify: the check failed \(unauthorized\)/);
    const failedJson = await run(['credentials', 'verify', wrong.id, '--json']);
    expect(failedJson.code).toBe(1);
    expect(JSON.parse(failedJson.stdout)).toMatchObject({ status: 'unauthorized' });
    expect(JSON.parse(failedJson.stderr)).toMatchObject({ error: { code: 'verify_failed' } });

    const channel = await json<{ id: string; sender: string }>([
      'channels',
      'create',
      '--data',
      JSON.stringify({ name: 'sms', credentialId: created.id, sender: 'OPS' }),
    ]);
    expect(
      (
        await json<{ sender: string }>([
          'channels',
          'update',
          channel.id,
          '--data',
          '{"sender": "TERN"}',
        ])
      ).sender,
    ).toBe('TERN');
    expect((await api<{ sender: string }>(`/v1/channel-configurations/${channel.id}`)).sender).toBe(
      'TERN',
    );
    expect((await json<{ items: unknown[] }>(['channels', 'list'])).items).toHaveLength(1);
    expect(await json(['channels', 'show', channel.id])).toMatchObject({ id: channel.id });

    // Keyword responses of the credential.
    await json([
      'credentials',
      'update',
      created.id,
      '--data',
      '{"customInboundKeywords": ["OFFERS"]}',
    ]);
    expect(
      await json([
        'keyword-responses',
        'set',
        'offers',
        '--credential',
        created.id,
        '--data',
        JSON.stringify({
          templateId: null,
          actions: [{ type: 'set_attribute', name: 'asked', value: true }],
        }),
      ]),
    ).toMatchObject({ keyword: 'OFFERS' });
    expect(
      (
        await json<{ items: { keyword: string }[] }>([
          'keyword-responses',
          'list',
          '--credential',
          created.id,
        ])
      ).items.map((r) => r.keyword),
    ).toEqual(['OFFERS']);
    expect(
      await json(['keyword-responses', 'get', 'OFFERS', '--credential', created.id]),
    ).toMatchObject({ keyword: 'OFFERS' });
    expect(
      await json(['keyword-responses', 'delete', 'OFFERS', '--credential', created.id]),
    ).toEqual({ deleted: 'OFFERS' });

    // Delete: refused while a channel uses it, then forced (the channel goes too).
    const refused = await run(['credentials', 'delete', created.id]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('used by "sms"');
    expect(await json(['credentials', 'delete', created.id, '--force'])).toEqual({
      deleted: created.id,
    });
    expect((await api<{ items: unknown[] }>('/v1/channel-configurations')).items).toEqual([]);
    expect(await json(['credentials', 'delete', wrong.id])).toEqual({ deleted: wrong.id });

    // Tokens: made by the server, listed, revoked; the new one works against the API.
    const token = await json<{ id: string; token: string; sandbox: string | null }>([
      'tokens',
      'create',
      '--name',
      'ci',
      '--sandbox',
      'prod',
    ]);
    expect(token.token).toMatch(/^tern_[A-Za-z0-9_-]{43}$/);
    expect(
      (
        await fetch(`${served.base}/api/v1/me`, {
          headers: { authorization: `Bearer ${token.token}` },
        })
      ).status,
    ).toBe(200);
    expect(
      (await json<{ items: { id: string }[] }>(['tokens', 'list'])).items.map((t) => t.id),
    ).toContain(token.id);
    expect(await json(['tokens', 'revoke', token.id])).toEqual({ revoked: token.id });
    const missingSandbox = await run(['tokens', 'create', '--name', 'x', '--sandbox', 'nope']);
    expect(missingSandbox.code).toBe(1);

    // Run from here the whole time: no database (nor key file) was made in this folder.
    expect(readdirSync(cwd).filter((f) => /\.db|\.key|data/.test(f))).toEqual([]);
  });

  it(
    'finds its Tern from flags, then the environment, then a profile',
    { timeout: 90_000 },
    async () => {
      const bare = { TERN_PROFILES_FILE: env.TERN_PROFILES_FILE ?? '' };
      // No URL anywhere: exit 2 and one line saying what to set; no database made.
      const none = await runBuiltCli(['channels', 'list'], { cwd, env: bare });
      expect(none.code).toBe(2);
      expect(none.stdout).toBe('');
      expect(none.stderr.trim().split('\n')).toHaveLength(1);
      expect(none.stderr).toContain('TERN_URL');
      expect(none.stderr).toContain('--url');
      const noneJson = await runBuiltCli(['channels', 'list', '--json'], { cwd, env: bare });
      expect(noneJson.code).toBe(2);
      expect(JSON.parse(noneJson.stderr)).toMatchObject({ error: { code: 'usage' } });

      // Nothing listening: the URL named, tern serve / TERN_URL suggested.
      const refused = await runBuiltCli(['channels', 'list'], {
        cwd,
        env: { ...bare, TERN_URL: 'http://127.0.0.1:1', TERN_TOKEN: SOCKET_TOKEN },
      });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('http://127.0.0.1:1');
      expect(refused.stderr).toContain('tern serve');

      // A profile, written for its owner only; list shows a hint, never the token.
      const set = await runBuiltCli(
        [
          'profiles',
          'set',
          'local',
          '--url',
          served.base,
          '--token',
          SOCKET_TOKEN,
          '--default',
          '--json',
        ],
        { cwd, env: bare },
      );
      expect(set.code, set.stderr).toBe(0);
      expect(set.stdout).not.toContain(SOCKET_TOKEN);
      expect(statSync(bare.TERN_PROFILES_FILE).mode & 0o777).toBe(0o600);
      const listed = await runBuiltCli(['profiles', 'list'], { cwd, env: bare });
      expect(listed.stdout).toMatch(/local\s+\*\s+http:\/\/127\.0\.0\.1:\d+\s+••••6789/);
      expect(listed.stdout).not.toContain(SOCKET_TOKEN);
      const listedJson = JSON.parse(
        (await runBuiltCli(['profiles', 'list', '--json'], { cwd, env: bare })).stdout,
      ) as { default: string; items: { name: string; token: string }[] };
      expect(listedJson).toMatchObject({
        default: 'local',
        items: [{ name: 'local', token: '••••6789' }],
      });

      // The default profile alone is enough.
      expect((await runBuiltCli(['channels', 'list', '--json'], { cwd, env: bare })).code).toBe(0);
      // The environment beats the profile, a flag beats the environment.
      const viaEnv = await runBuiltCli(['channels', 'list'], {
        cwd,
        env: { ...bare, TERN_URL: 'http://127.0.0.1:1' },
      });
      expect(viaEnv.stderr).toContain('http://127.0.0.1:1');
      const viaFlag = await runBuiltCli(
        ['channels', 'list', '--url', served.base, '--token', SOCKET_TOKEN],
        {
          cwd,
          env: { ...bare, TERN_URL: 'http://127.0.0.1:1', TERN_TOKEN: 'tern_wrong' },
        },
      );
      expect(viaFlag.code, viaFlag.stderr).toBe(0);
      // A token flag beats the profile's: the API refuses it (401, with the hint).
      const wrongToken = await runBuiltCli(
        ['channels', 'list', '--token', 'tern_wrong-token-0000'],
        {
          cwd,
          env: bare,
        },
      );
      expect(wrongToken.code).toBe(1);
      expect(wrongToken.stderr).toContain('token');
      // The same Tern written with /api/ at the end: the profile's token goes with it.
      const otherUrl = await runBuiltCli(['channels', 'list', '--url', `${served.base}/api/`], {
        cwd,
        env: bare,
      });
      expect(otherUrl.code).toBe(0);
      // --profile / TERN_PROFILE name one; an unknown one is a usage error.
      await runBuiltCli(
        ['profiles', 'set', 'dead', '--url', 'http://127.0.0.1:1', '--token', 'x'],
        {
          cwd,
          env: bare,
        },
      );
      const picked = await runBuiltCli(['channels', 'list', '--profile', 'dead'], {
        cwd,
        env: bare,
      });
      expect(picked.stderr).toContain('http://127.0.0.1:1');
      const pickedEnv = await runBuiltCli(['channels', 'list'], {
        cwd,
        env: { ...bare, TERN_PROFILE: 'dead' },
      });
      expect(pickedEnv.stderr).toContain('http://127.0.0.1:1');
      expect(
        (await runBuiltCli(['channels', 'list', '--profile', 'nope'], { cwd, env: bare })).code,
      ).toBe(2);
      expect(
        JSON.parse(
          (await runBuiltCli(['profiles', 'remove', 'dead', '--json'], { cwd, env: bare })).stdout,
        ),
      ).toMatchObject({ removed: 'dead' });
      expect(statSync(bare.TERN_PROFILES_FILE).mode & 0o777).toBe(0o600);
      expect(readdirSync(cwd).filter((f) => /\.db|\.key|data/.test(f))).toEqual([]);
    },
  );

  it('explains a wrong invocation, and says so in JSON when asked', async () => {
    const noAction = await run(['credentials', 'frobnicate']);
    expect(noAction.code).toBe(2);
    expect(noAction.stderr).toContain('use list, show, create, update, delete or verify');
    const noBody = await run(['credentials', 'create']);
    expect(noBody.code).toBe(2);
    expect(noBody.stderr).toContain('--data');
    const asJson = await run(['channels', 'frobnicate', '--json']);
    expect(asJson.code).toBe(2);
    expect(JSON.parse(asJson.stderr)).toMatchObject({ error: { code: 'usage' } });
    const file = join(cwd, 'not-json.json');
    writeFileSync(file, 'nope');
    expect((await run(['channels', 'create', '--file', file])).stderr).toContain('JSON object');
  });
});
