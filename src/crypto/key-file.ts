import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isPostgresUrl, type Config } from '../config.js';
import { securePrivateDirectory, tightenFile } from '../db/file-modes.js';
import { Keyring, secretKey } from './secret-box.js';

/**
 * Where the encryption key lives when `TERN_SECRET_KEY` is not set: `tern.key` beside the SQLite
 * database (mode 0600), or `./data/tern.key` for PostgreSQL. During a rotation the new key is
 * written first as `tern.key.next`; every key file present is loaded, so a rotation cut short
 * still decrypts.
 */
export function keyFilePath(config: Config): string {
  const base = isPostgresUrl(config.databaseUrl)
    ? './data'
    : dirname(config.databaseUrl.replace(/^(sqlite|file):(\/\/)?/, ''));
  return join(base, 'tern.key');
}

function readKey(path: string): Buffer {
  const hex = readFileSync(path, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new Error(`${path} does not hold a 64-hex-character key`);
  return Buffer.from(hex, 'hex');
}

function writeKey(path: string, key: Buffer): void {
  securePrivateDirectory(dirname(path));
  writeFileSync(path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
}

/**
 * Loads the keyring: the configured key, or the key file (created on first start). Key files
 * an older Tern left readable by others are set to 0600; `warnings` says which.
 */
export function loadKeyring(config: Config): {
  keyring: Keyring;
  source: string;
  warnings: string[];
} {
  if (config.secretKey)
    return {
      keyring: new Keyring(secretKey(config.secretKey)),
      source: 'TERN_SECRET_KEY',
      warnings: [],
    };
  if (config.databaseUrl === ':memory:') {
    return {
      keyring: new Keyring(secretKey(randomBytes(32))),
      source: 'ephemeral (in-memory database)',
      warnings: [],
    };
  }
  const path = keyFilePath(config);
  if (!existsSync(path)) writeKey(path, randomBytes(32));
  const present = [path, `${path}.next`, `${path}.previous`].filter((p) => existsSync(p));
  const warnings = present.flatMap((p) => tightenFile(p) ?? []);
  const others = present.slice(1).map((p) => secretKey(readKey(p)));
  return {
    keyring: new Keyring(secretKey(readKey(path)), others),
    source: `the key file ${path}`,
    warnings,
  };
}

/** Rotation step 1: a new key saved beside the current one, loaded alongside it. */
export function prepareNextKeyFile(config: Config, existing: Keyring): Keyring {
  const next = `${keyFilePath(config)}.next`;
  if (!existsSync(next)) writeKey(next, randomBytes(32));
  return new Keyring(secretKey(readKey(next)), existing.keys());
}

/**
 * Rotation step 3, once every secret is re-encrypted: the new key becomes the key. The old one
 * is kept as `tern.key.previous`, so that a secret another running process wrote under it
 * meanwhile still decrypts (the next rotation re-encrypts it).
 */
export function promoteNextKeyFile(config: Config): void {
  const path = keyFilePath(config);
  renameSync(path, `${path}.previous`);
  renameSync(`${path}.next`, path);
}
