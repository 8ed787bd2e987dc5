import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM encryption of small secrets (provider API keys, webhook secrets) at rest.
 * Stored form: `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts). The key id (a hash prefix
 * of the key) tells which key of a keyring to use, so that rotation can re-encrypt row by row
 * and a half-finished rotation still decrypts.
 */
const VERSION = 'v1';
const IV_BYTES = 12; // the GCM standard nonce size

/** A named 32-byte key. */
export interface SecretKey {
  id: string;
  key: Buffer;
}

export function secretKey(key: Buffer): SecretKey {
  if (key.length !== 32) throw new Error('AES-256 keys are 32 bytes');
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 8), key };
}

/** Keys able to decrypt, and the one that encrypts. */
export class Keyring {
  private readonly byId: Map<string, SecretKey>;

  constructor(
    readonly current: SecretKey,
    others: SecretKey[] = [],
  ) {
    this.byId = new Map([...others, current].map((k) => [k.id, k]));
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, this.current.id, iv, tag, ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  decrypt(stored: string): string {
    const [version, keyId, iv, tag, ciphertext] = stored.split('.');
    if (version !== VERSION || !keyId || !iv || !tag || ciphertext === undefined) {
      throw new Error('not an encrypted secret');
    }
    const key = this.byId.get(keyId);
    if (!key) throw new Error(`secret was encrypted with key ${keyId}, which is not configured`);
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(ciphertext, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  }

  /** Every key able to decrypt, the current one included. */
  keys(): SecretKey[] {
    return [...this.byId.values()];
  }

  /** True when `stored` is not under the current key (rotation still has to re-encrypt it). */
  isStale(stored: string): boolean {
    return stored.split('.')[1] !== this.current.id;
  }
}
