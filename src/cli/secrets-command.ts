import { CLI_ACTOR } from '../auth/principal.js';
import { systemClock } from '../clock.js';
import type { Config } from '../config.js';
import { prepareNextKeyFile, promoteNextKeyFile } from '../crypto/key-file.js';
import { reencryptAllSecrets } from '../crypto/rotation.js';
import { Keyring, secretKey } from '../crypto/secret-box.js';
import { CLI_BUSY_TIMEOUT_MS } from '../db/database.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { printJson } from './output.js';
import { UsageError, type ResourceFlags } from './usage.js';

/**
 * The database itself, for the few commands that must not go through a server: they run on the
 * server's machine, with its TERN_DATABASE_URL and key (migrations, key rotation, user recovery).
 */
export async function withRuntime<T>(
  config: Config,
  work: (runtime: Runtime) => Promise<T>,
): Promise<T> {
  const runtime = await openRuntime(config, systemClock, { busyTimeoutMs: CLI_BUSY_TIMEOUT_MS });
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}

/**
 * `tern secrets rotate`: re-encrypts every stored secret under a new key. With a key file, the
 * new key is made and promoted here; with TERN_SECRET_KEY, give the new one as --new-key and set
 * it in the environment afterwards. Stop other Tern processes first.
 */
export async function secretsCommand(
  config: Config,
  [verb]: string[],
  flags: ResourceFlags,
): Promise<void> {
  if (verb !== 'rotate') throw new UsageError('use: tern secrets rotate [--new-key HEX]');
  await withRuntime(config, async (runtime) => {
    let keyring: Keyring;
    if (config.secretKey) {
      const raw = flags['new-key'];
      if (!raw || !/^[0-9a-f]{64}$/i.test(raw)) {
        throw new UsageError(
          'TERN_SECRET_KEY is set: give the new key as --new-key (64 hex characters; openssl rand -hex 32)',
        );
      }
      keyring = new Keyring(secretKey(Buffer.from(raw, 'hex')), runtime.keyring.keys());
    } else {
      if (flags['new-key'])
        throw new UsageError(
          '--new-key is only for TERN_SECRET_KEY; the key file is rotated for you',
        );
      keyring = prepareNextKeyFile(config, runtime.keyring);
    }
    const counts = await reencryptAllSecrets(runtime.db, runtime.clock, keyring, CLI_ACTOR);
    if (!config.secretKey) promoteNextKeyFile(config);
    const next = config.secretKey
      ? ' Now set TERN_SECRET_KEY to the new key and restart Tern.'
      : ' Restart running Tern processes.';
    const unreadable = counts.unreadableEventWebhooks;
    if (flags.json)
      printJson({
        reencrypted: counts.credentials,
        eventWebhooks: counts.eventWebhooks,
        unreadableEventWebhooks: unreadable,
        keyId: keyring.current.id,
      });
    else {
      console.log(
        `Re-encrypted the secrets of ${counts.credentials} API credential(s) and ${counts.eventWebhooks} event webhook(s) under key ${keyring.current.id}.${next}`,
      );
      if (unreadable.length > 0)
        console.log(
          `No configured key decrypts the signing secret of ${unreadable.length} event webhook(s); their deliveries fail until each is deleted and registered again: ${unreadable.map((w) => `${w.id} (sandbox ${w.sandbox})`).join(', ')}`,
        );
    }
  });
}
