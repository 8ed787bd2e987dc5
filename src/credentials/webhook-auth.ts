import { createHash, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/database.js';
import { AppError } from '../errors.js';
import type { CredentialService, WebhookSecrets } from './credential.service.js';
import type { StoredCredential } from './credential.repository.js';

/** Compares secrets in constant time (hashing first makes the lengths equal). */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Authenticates a provider webhook by the credential id and secret in its URL. Any mismatch —
 * unknown credential or wrong secret — is the same 401, so the URL reveals nothing.
 */
export async function authenticateWebhook(
  db: Db,
  credentials: CredentialService,
  credentialId: string,
  secret: string,
  kind: keyof WebhookSecrets,
): Promise<StoredCredential> {
  const row = await db.kysely
    .selectFrom('credentials')
    .select('sandbox')
    .where('id', '=', credentialId)
    .executeTakeFirst();
  const stored = row
    ? await credentials.get(row.sandbox, credentialId).catch(() => undefined)
    : undefined;
  const expected = stored ? credentials.webhookSecrets(stored)[kind] : 'no-such-credential';
  // Compare even when the credential is unknown, so timing does not tell the two apart.
  if (!secretsEqual(secret, expected) || !stored) {
    throw new AppError('unauthorized', 'The webhook URL is not valid.');
  }
  return stored;
}
