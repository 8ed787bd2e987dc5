import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VERSION } from '../src/version.js';
import { runCli, spawnCli, waitForOutput } from './helpers/cli.js';

describe('tern CLI', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tern-cli-'));
    env = { DATABASE_URL: join(dir, 'tern.db'), LOG_LEVEL: 'info' };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prints help and version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: tern <command>/);
    for (const command of ['serve', 'migrate', 'simulator']) expect(help.stdout).toContain(command);
    const version = await runCli(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });

  it('refuses unknown commands and flags with exit code 2', async () => {
    const unknown = await runCli(['sevre']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "sevre"');
    const badFlag = await runCli(['migrate', '--colour'], env);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/Unknown option '--colour'/);
    expect(badFlag.stderr).toContain('Usage: tern migrate');
  });

  it('lists every configuration problem and exits 1', async () => {
    const result = await runCli(['serve'], { ...env, TERN_PORT: 'x', LOG_LEVEL: 'loud' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Invalid configuration');
    expect(result.stderr).toContain('TERN_PORT');
    expect(result.stderr).toContain('LOG_LEVEL');
  });

  it('migrates, then finds nothing to do', async () => {
    const first = await runCli(['migrate'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Applied \d+ migration\(s\): 0001_admin_tokens/);
    const second = await runCli(['migrate'], env);
    expect(second).toMatchObject({ code: 0, stdout: 'Database is up to date.\n' });
  });

  it(
    'keeps migrate and secrets rotate on the database, and answers --json',
    { timeout: 90_000 },
    async () => {
      const migrated = await runCli(['migrate', '--json'], env);
      expect(migrated.code, migrated.stderr).toBe(0);
      expect((JSON.parse(migrated.stdout) as { applied: string[] }).applied).toContain(
        '0001_admin_tokens',
      );
      const rotated = await runCli(['secrets', 'rotate', '--json'], env);
      expect(rotated.code, rotated.stderr).toBe(0);
      expect(JSON.parse(rotated.stdout)).toMatchObject({ reencrypted: 0, eventWebhooks: 0 });
      expect(existsSync(join(dir, 'tern.key'))).toBe(true);
      expect(JSON.parse((await runCli(['--version', '--json'])).stdout)).toEqual({
        version: VERSION,
      });
      const help = JSON.parse((await runCli(['help', '--json'])).stdout) as {
        commands: { name: string }[];
      };
      expect(help.commands.map((c) => c.name)).toEqual(
        expect.arrayContaining(['migrate', 'secrets', 'profiles', 'credentials', 'flows']),
      );
      const unknown = await runCli(['sevre', '--json']);
      expect(unknown.code).toBe(2);
      expect(JSON.parse(unknown.stderr)).toMatchObject({ error: { code: 'usage' } });
    },
  );

  // Two starts and two graceful stops of a process loaded by tsx, on a machine that may be busy.
  it('serves, prints a first token once, and shuts down gracefully on SIGTERM', async () => {
    const child = spawnCli(['serve'], { ...env, TERN_PORT: '0' });
    const out = await waitForOutput(
      child,
      /curl -H "Authorization: Bearer (tern_\S+)" (http:\/\/\S+)\/api\/v1\/me/,
    );
    const [, token, url] = /Bearer (tern_\S+)" (http:\/\/\S+)\/api\/v1\/me/.exec(out) ?? [];
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect((await fetch(`${url}/api/v1/me`)).status).toBe(401);
    expect(
      (await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200);

    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // A clean close checkpoints SQLite's write-ahead log into the database file and removes it.
    expect(existsSync(join(dir, 'tern.db-wal'))).toBe(false);

    // The second start finds the token and does not print a new one.
    const again = spawnCli(['serve'], { ...env, TERN_PORT: '0' });
    const second = await waitForOutput(again, /API docs:/);
    expect(second).not.toContain('An admin token was created');
    const closed = new Promise<number | null>((resolve) => again.on('close', resolve));
    again.kill('SIGINT');
    expect(await closed).toBe(0);
  }, 60_000);
});
