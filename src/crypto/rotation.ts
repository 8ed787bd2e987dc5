import { recordAudit } from '../audit/audit.js';
import type { Actor } from '../auth/principal.js';
import type { Clock } from '../clock.js';
import {
  listEncryptedSecrets,
  writeEncryptedSecrets,
} from '../credentials/credential.repository.js';
import type { Db } from '../db/database.js';
import type { Executor } from '../db/executor.js';
import type { Keyring } from './secret-box.js';

/**
 * Every encrypted column, per table, that {@link reencryptAllSecrets} re-encrypts. A test reads
 * `src/db/schema.ts` and fails when a `*_encrypted` column is missing here: a secret left under
 * the old key stops decrypting after the next rotation (the old key file is kept only once).
 */
export const ROTATED_COLUMNS = {
  credentials: ['api_key_encrypted', 'webhook_secret_encrypted'],
  event_webhooks: ['secret_encrypted'],
} as const;

/** What a rotation re-encrypted, per kind of secret. */
export interface RotationCounts {
  credentials: number;
  eventWebhooks: number;
  /**
   * Event webhooks whose secret no configured key decrypts (left by a rotation before this one
   * covered them): left as they are, so the rotation still completes; their deliveries fail
   * visibly until the webhook is deleted and registered again.
   */
  unreadableEventWebhooks: { sandbox: string; id: string }[];
}

/**
 * Re-encrypts every stored secret (credentials' API keys and webhook secrets, event webhooks'
 * signing secrets) under `keyring.current`, in one transaction: either all move to the new key
 * or none do. `keyring` must also hold the old key(s) to decrypt.
 */
export async function reencryptAllSecrets(
  db: Db,
  clock: Clock,
  keyring: Keyring,
  actor: Actor,
): Promise<RotationCounts> {
  return db.kysely.transaction().execute(async (trx) => {
    const rows = await listEncryptedSecrets(trx);
    for (const row of rows) {
      await writeEncryptedSecrets(trx, {
        ...row,
        apiKeyEncrypted: keyring.encrypt(keyring.decrypt(row.apiKeyEncrypted)),
        webhookSecretsEncrypted: keyring.encrypt(keyring.decrypt(row.webhookSecretsEncrypted)),
      });
      await recordAudit(trx, clock, {
        sandbox: row.sandbox,
        actor,
        action: 'credential.secrets_rotated',
        resourceType: 'credential',
        resourceId: row.id,
        // The log shows the credential's current name (listAudit reads it by id).
        resourceName: null,
        fields: ['apiKey', 'webhooks'],
        details: { keyId: keyring.current.id },
      });
    }
    const webhooks = await reencryptEventWebhookSecrets(trx, keyring);
    return {
      credentials: rows.length,
      eventWebhooks: webhooks.rotated,
      unreadableEventWebhooks: webhooks.unreadable,
    };
  });
}

/** The event webhooks' signing secrets; their version is not bumped (nothing the API shows changed). */
async function reencryptEventWebhookSecrets(
  trx: Executor,
  keyring: Keyring,
): Promise<{ rotated: number; unreadable: { sandbox: string; id: string }[] }> {
  const rows = await trx
    .selectFrom('event_webhooks')
    .select(['sandbox', 'id', 'secret_encrypted'])
    .execute();
  const unreadable: { sandbox: string; id: string }[] = [];
  for (const row of rows) {
    let secret: string;
    try {
      secret = keyring.decrypt(row.secret_encrypted);
    } catch {
      unreadable.push({ sandbox: row.sandbox, id: row.id });
      continue;
    }
    await trx
      .updateTable('event_webhooks')
      .set({ secret_encrypted: keyring.encrypt(secret) })
      .where('sandbox', '=', row.sandbox)
      .where('id', '=', row.id)
      .execute();
  }
  return { rotated: rows.length - unreadable.length, unreadable };
}
