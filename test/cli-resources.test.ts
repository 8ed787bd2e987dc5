import { readFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

/** The configuration plane through the CLI, on one SQLite file, as an operator would use it. */
describe('tern credentials / channels / secrets', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tern-cli-res-'));
    env = { DATABASE_URL: join(dir, 'tern.db'), LOG_LEVEL: 'warn' };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const json = async <T>(args: string[]): Promise<T> => {
    const result = await runCli([...args, '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as T;
  };

  it('creates, lists, updates, rotates the key and deletes', { timeout: 90_000 }, async () => {
    const apiKey = 'cli-secret-key-000000000000-7e2d';
    const created = await json<{
      id: string;
      apiKeyHint: string;
      webhooks: { inbound: { secret: string } };
    }>([
      'credentials',
      'create',
      '--data',
      JSON.stringify({
        name: 'ops',
        baseUrl: 'https://x1.api.infobip.com',
        apiKey,
        optOutKeywords: 'fin',
      }),
    ]);
    expect(created.apiKeyHint).toBe('••••7e2d');
    // The key file is made on first start beside the database, readable by its owner only.
    const keyFile = join(dir, 'tern.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    const listed = await json<{ name: string }[]>(['credentials', 'list']);
    expect(listed.map((c) => c.name)).toEqual(['ops']);

    const bad = await runCli(
      ['credentials', 'update', created.id, '--data', '{"validityPeriodHours": 99}'],
      env,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('/validityPeriodHours');

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

    const channel = await json<{ id: string }>([
      'channels',
      'create',
      '--data',
      JSON.stringify({ name: 'sms', credentialId: created.id, sender: 'OPS' }),
    ]);

    const oldKey = readFileSync(keyFile, 'utf8');
    const rotated = await json<{ reencrypted: number }>(['secrets', 'rotate']);
    expect(rotated.reencrypted).toBe(1);
    expect(readFileSync(keyFile, 'utf8')).not.toBe(oldKey);
    const sqlite = new Database(join(dir, 'tern.db'), { readonly: true });
    const row = sqlite.prepare('select api_key_encrypted from credentials').get() as {
      api_key_encrypted: string;
    };
    sqlite.close();
    expect(row.api_key_encrypted).not.toContain(apiKey);
    // Everything still decrypts under the new key: the webhook secrets are unchanged.
    const shown = await json<{ webhooks: { inbound: { secret: string } } }>([
      'credentials',
      'show',
      created.id,
    ]);
    expect(shown.webhooks.inbound.secret).toBe(created.webhooks.inbound.secret);

    const refused = await runCli(['credentials', 'delete', created.id], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('used by "sms"');
    const deleted = await json<{ deletedChannelConfigurations: string[] }>([
      'credentials',
      'delete',
      created.id,
      '--force',
    ]);
    expect(deleted.deletedChannelConfigurations).toEqual([channel.id]);
    expect(await json<unknown[]>(['channels', 'list'])).toEqual([]);
  });

  it('explains a wrong invocation', async () => {
    const noAction = await runCli(['credentials', 'frobnicate'], env);
    expect(noAction.code).toBe(2);
    expect(noAction.stderr).toContain('use list, show, create, update, delete or verify');
    const noBody = await runCli(['credentials', 'create'], env);
    expect(noBody.code).toBe(2);
    expect(noBody.stderr).toContain('--data');
  });
});
