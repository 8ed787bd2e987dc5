import { readFileSync } from 'node:fs';
import { createAdminToken, listAdminTokens, revokeAdminToken } from '../auth/admin-tokens.js';
import { systemClock } from '../clock.js';
import type { Config } from '../config.js';
import { prepareNextKeyFile, promoteNextKeyFile } from '../crypto/key-file.js';
import { reencryptAllSecrets } from '../crypto/rotation.js';
import { Keyring, secretKey } from '../crypto/secret-box.js';
import { AppError } from '../errors.js';
import { CLI_BUSY_TIMEOUT_MS } from '../db/database.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { printJson, printRecord, printTable } from './output.js';
import { UsageError, type ResourceFlags } from './usage.js';

/** The audit actor for changes made from the command line. */
export const CLI_ACTOR = 'cli';

export { RESOURCE_OPTIONS, UsageError, type ResourceFlags } from './usage.js';

/** The JSON body of create/update: `--data '{…}'` or `--file path.json`, as the API takes it. */
export function body(flags: ResourceFlags): Record<string, unknown> {
  const text = flags.data ?? (flags.file ? readFileSync(flags.file, 'utf8') : undefined);
  if (text === undefined)
    throw new UsageError('give the fields as --data \'{"name": …}\' or --file fields.json');
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new UsageError('the fields must be a JSON object');
  }
}

export function need(id: string | undefined, what: string): string {
  if (!id) throw new UsageError(`give the ${what} id`);
  return id;
}

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

export async function sandboxOf(runtime: Runtime, flags: ResourceFlags): Promise<string> {
  const sandbox = flags.sandbox ?? 'prod';
  if (!(await runtime.services.sandboxes.exists(sandbox)))
    throw new AppError('not_found', `Sandbox "${sandbox}" not found.`);
  return sandbox;
}

export const version = (flags: ResourceFlags) =>
  flags['if-match'] === undefined ? undefined : Number(flags['if-match']);

/** `tern credentials list|show|create|update|delete|verify` */
export async function credentialsCommand(
  config: Config,
  [verb, id]: string[],
  flags: ResourceFlags,
): Promise<void> {
  await withRuntime(config, async (runtime) => {
    const credentials = runtime.services.credentials;
    const sandbox = await sandboxOf(runtime, flags);
    const show = (value: Record<string, unknown>) =>
      flags.json ? printJson(value) : printRecord(value);
    switch (verb) {
      case 'list': {
        const page = await credentials.list(sandbox, { name: flags.name, limit: 200 });
        if (flags.json) printJson(page.items);
        else
          printTable(page.items as unknown as Record<string, unknown>[], [
            'id',
            'name',
            'inboundNumber',
            'validityPeriod',
            'apiKeyHint',
            'updatedAt',
          ]);
        return;
      }
      case 'show':
        return show({
          ...credentials.view(await credentials.get(sandbox, need(id, 'credential'))),
        });
      case 'create':
        return show({
          ...credentials.view(await credentials.create(sandbox, CLI_ACTOR, body(flags))),
        });
      case 'update':
        return show({
          ...credentials.view(
            await credentials.update(
              sandbox,
              CLI_ACTOR,
              need(id, 'credential'),
              body(flags),
              version(flags),
            ),
          ),
        });
      case 'delete': {
        const result = await credentials.delete(
          sandbox,
          CLI_ACTOR,
          need(id, 'credential'),
          flags.force === true,
        );
        return flags.json
          ? printJson({ deleted: id, ...result })
          : console.log(`Deleted API credential ${id}.`);
      }
      case 'verify':
        return show({ ...(await credentials.verify(sandbox, CLI_ACTOR, need(id, 'credential'))) });
      default:
        throw new UsageError(
          `unknown action "${verb ?? ''}": use list, show, create, update, delete or verify`,
        );
    }
  });
}

/** `tern channels list|show|create|update|delete` */
export async function channelsCommand(
  config: Config,
  [verb, id]: string[],
  flags: ResourceFlags,
): Promise<void> {
  await withRuntime(config, async (runtime) => {
    const channels = runtime.services.channels;
    const sandbox = await sandboxOf(runtime, flags);
    const show = (value: object) => (flags.json ? printJson(value) : printRecord({ ...value }));
    switch (verb) {
      case 'list': {
        const page = await channels.list(sandbox, { name: flags.name, limit: 200 });
        if (flags.json) printJson(page.items);
        else
          printTable(page.items as unknown as Record<string, unknown>[], [
            'id',
            'name',
            'channel',
            'messageType',
            'sender',
            'credentialId',
          ]);
        return;
      }
      case 'show':
        return show(await channels.get(sandbox, need(id, 'channel configuration')));
      case 'create':
        return show(await channels.create(sandbox, CLI_ACTOR, body(flags)));
      case 'update':
        return show(
          await channels.update(
            sandbox,
            CLI_ACTOR,
            need(id, 'channel configuration'),
            body(flags),
            version(flags),
          ),
        );
      case 'delete':
        await channels.delete(sandbox, CLI_ACTOR, need(id, 'channel configuration'));
        return flags.json
          ? printJson({ deleted: id })
          : console.log(`Deleted channel configuration ${id}.`);
      default:
        throw new UsageError(
          `unknown action "${verb ?? ''}": use list, show, create, update or delete`,
        );
    }
  });
}

/** `tern tokens list|create|revoke` */
export async function tokensCommand(
  config: Config,
  [verb, id]: string[],
  flags: ResourceFlags,
): Promise<void> {
  await withRuntime(config, async ({ db, services }) => {
    switch (verb) {
      case 'list': {
        const tokens = await listAdminTokens(db, null);
        return flags.json
          ? printJson(tokens)
          : printTable(tokens as unknown as Record<string, unknown>[], [
              'id',
              'name',
              'sandbox',
              'createdAt',
              'revokedAt',
            ]);
      }
      case 'create': {
        if (!flags.name) throw new UsageError('--name is required');
        const sandbox = flags.sandbox ?? null;
        if (sandbox !== null && !(await services.sandboxes.exists(sandbox)))
          throw new AppError('not_found', `Sandbox "${sandbox}" not found.`);
        const { id: tokenId, token } = await createAdminToken(db, systemClock, {
          name: flags.name,
          sandbox,
          actor: CLI_ACTOR,
        });
        return flags.json
          ? printJson({ id: tokenId, token, name: flags.name, sandbox })
          : console.log(
              `Created token ${tokenId} (${sandbox ? `sandbox ${sandbox}` : 'all sandboxes'}). It is shown only now:\n\n  ${token}\n`,
            );
      }
      case 'revoke':
        if (!(await revokeAdminToken(db, systemClock, need(id, 'token'), CLI_ACTOR)))
          throw new AppError('not_found', `No active admin token ${id}.`);
        return flags.json ? printJson({ revoked: id }) : console.log(`Revoked token ${id}.`);
      default:
        throw new UsageError(`unknown action "${verb ?? ''}": use list, create or revoke`);
    }
  });
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
