import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { AppError } from '../errors.js';

/**
 * Password hashing with node:crypto's scrypt, stored as
 * `scrypt$<logN>$<r>$<p>$<salt>$<hash>` (base64url), so that parameters can be raised later and
 * old hashes still verify.
 *
 * N = 2^15, r = 8, p = 1: OWASP's scrypt minimum (2^17 at r = 8 costs 128 MiB a sign-in, too much
 * for a small install); 128·N·r = 32 MiB of memory and 425–506 ms a hash here, measured on 2 cores
 * under a load of 15 (a fraction of that on an idle core): that bounds a brute force on a leaked table while a sign-in stays quick. maxmem is set above
 * those 32 MiB (Node's default cap is exactly 32 MiB and refuses it). 16-byte salt, 32-byte key.
 */
const LOG_N = 15;
const R = 8;
const P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Refuse stored parameters beyond these: a tampered row must not make a sign-in take a gigabyte. */
const MAX_LOG_N = 20;
const MAX_R = 16;
const MAX_P = 4;

/** Password length bounds: 12 (NIST SP 800-63B's length-over-rules advice), 256 (bounds hashing). */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

function derive(
  password: string,
  salt: Buffer,
  logN: number,
  r: number,
  p: number,
): Promise<Buffer> {
  const N = 2 ** logN;
  const options: ScryptOptions = { N, r, p, maxmem: 128 * N * r * 2 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Throws a validation error naming `path` when a password is outside the bounds. */
export function checkPasswordRules(password: string, path = '/password'): void {
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
    throw new AppError('validation_failed', 'The password does not meet the rules.', [
      {
        path,
        message: `must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long`,
      },
    ]);
  }
}

/** Hashes a new password (after checking its rules). */
export async function hashPassword(password: string): Promise<string> {
  checkPasswordRules(password);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, LOG_N, R, P);
  return ['scrypt', LOG_N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/**
 * True when `password` matches `stored`. False for a malformed hash or a password beyond the
 * length bound (checked before hashing, so a megabyte "password" costs nothing).
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (password.length > PASSWORD_MAX_LENGTH) return false;
  const [scheme, logN, r, p, salt, hash] = stored.split('$');
  const n = Number(logN);
  const rr = Number(r);
  const pp = Number(p);
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  if (![n, rr, pp].every(Number.isInteger) || n < 1 || n > MAX_LOG_N) return false;
  if (rr < 1 || rr > MAX_R || pp < 1 || pp > MAX_P) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), n, rr, pp);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * A hash of a random password, made once: verified against when the email is unknown or has no
 * password, so that such a sign-in takes as long as a wrong password.
 */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(24).toString('base64url'));
  return dummy;
}
