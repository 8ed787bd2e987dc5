import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { parseConfig } from '../src/config.js';
import { KeyMismatchError } from '../src/crypto/key-check.js';
import { secretKey } from '../src/crypto/secret-box.js';
import { openRuntime } from '../src/runtime.js';
import { runCli } from './helpers/cli.js';
import { describeEachDialect, withSchemaLock } from './helpers/databases.js';
import { SYSTEM_ACTOR } from '../src/auth/principal.js';

/**
 * Row 19 of issue 12: with the wrong TERN_SECRET_KEY Tern said it was ready while every webhook
 * answered 500 and sends stuck in `sending`. Now it refuses to start, naming the key id.
 */
const KEY_A = 'a1'.repeat(32);
const KEY_B = 'b2'.repeat(32);
const ID_A = secretKey(Buffer.from(KEY_A, 'hex')).id;
const ID_B = secretKey(Buffer.from(KEY_B, 'hex')).id;
const clock = new ManualClock('2026-11-25T12:00:00.000Z');
const credentialInput = {
  name: 'key-check',
  baseUrl: 'https://api.infobip.com',
  apiKey: 'key-check-provider-api-key-000000',
};

describeEachDialect('the keyring checked at start-up', ({ testDb }) => {
  // Under the suite's schema lock: openRuntime migrates, beside tests dropping their schemas.
  const open = (key: string) =>
    withSchemaLock(() =>
      openRuntime(parseConfig({ DATABASE_URL: testDb().url, TERN_SECRET_KEY: key }), clock, {
        db: testDb().open(),
      }),
    );

  it('refuses a key that does not decrypt the stored credentials, naming both key ids', async () => {
    const first = await open(KEY_A);
    await first.services.credentials.create('prod', SYSTEM_ACTOR, credentialInput);
    await first.close();

    const refused = open(KEY_B);
    await expect(refused).rejects.toBeInstanceOf(KeyMismatchError);
    await expect(refused).rejects.toThrow(
      `TERN_SECRET_KEY (key ${ID_B}) does not decrypt the secrets sealed with key ${ID_A} (1 API credential)`,
    );
    await expect(refused).rejects.toThrow('tern secrets rotate');

    // The right key still opens it.
    const again = await open(KEY_A);
    expect(again.warnings).toEqual([]);
    await again.close();
  });

  it('opens an empty database under any key', async () => {
    const runtime = await open(KEY_B);
    await runtime.close();
  });

  it('warns, without refusing, of event webhooks whose secret no key decrypts', async () => {
    const first = await open(KEY_A);
    await first.services.eventWebhooks.create('prod', {
      url: 'https://hooks.example.com/tern',
      types: ['message.status_changed'],
    });
    await first.close();
    const runtime = await open(KEY_B);
    expect(runtime.warnings).toEqual([
      `TERN_SECRET_KEY does not decrypt the signing secrets of 1 event webhook (sealed with key ${ID_A}): their deliveries fail until each is registered again`,
    ]);
    await runtime.close();
  });
});

describe('tern refuses to start with the wrong key', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tern-key-check-'));
    env = { DATABASE_URL: join(dir, 'tern.db'), LOG_LEVEL: 'fatal', TERN_PORT: '0' };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('serve, worker and the CLI exit 1 naming the key id', { timeout: 60_000 }, async () => {
    // Sealed under key A by the services (the resource commands now go through a server's API).
    const sealed = await openRuntime(
      parseConfig({ ...env, TERN_SECRET_KEY: KEY_A }),
      new ManualClock(),
    );
    try {
      await sealed.services.credentials.create('prod', SYSTEM_ACTOR, credentialInput);
    } finally {
      await sealed.close();
    }
    const wrong = { ...env, TERN_SECRET_KEY: KEY_B };
    const results = await Promise.all([
      runCli(['serve'], wrong),
      runCli(['worker'], wrong),
      runCli(['secrets', 'rotate'], wrong),
    ]);
    for (const result of results) {
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `TERN_SECRET_KEY (key ${ID_B}) does not decrypt the secrets sealed with key ${ID_A}`,
      );
      expect(result.stdout).not.toContain('Tern is running');
    }
    // A key file that is not the one used is refused the same way.
    const keyFile = await runCli(['secrets', 'rotate'], env);
    expect(keyFile.code).toBe(1);
    expect(keyFile.stderr).toMatch(
      new RegExp(
        `the key file .*tern\\.key \\(key [0-9a-f]{8}\\) does not decrypt the secrets sealed with key ${ID_A}`,
      ),
    );
  });
});
