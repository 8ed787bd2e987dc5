import { recordAudit } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import {
  listEncryptedSecrets,
  writeEncryptedSecrets,
} from '../credentials/credential.repository.js';
import type { Db } from '../db/database.js';
import type { Keyring } from './secret-box.js';

/**
 * Re-encrypts every credential's secrets under `keyring.current`, in one transaction: either
 * all move to the new key or none do. `keyring` must also hold the old key(s) to decrypt.
 */
export async function reencryptAllSecrets(
  db: Db,
  clock: Clock,
  keyring: Keyring,
  actor: string,
): Promise<number> {
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
        fields: ['apiKey', 'webhooks'],
        details: { keyId: keyring.current.id },
      });
    }
    return rows.length;
  });
}
