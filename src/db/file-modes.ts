import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';

/**
 * Owner-only modes for what Tern keeps on disk: the database holds phone numbers and message
 * texts, its WAL the latest of them, the key file the key to every stored secret. Files are
 * 0600 and the data directory 0700, whatever the umask; files an older Tern left readable by
 * others are tightened on start, each one reported so that the operator sees it in the log.
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

const loose = (mode: number, allowed: number) => (mode & 0o777 & ~allowed) !== 0;

/** Sets `path` to 0600 if it exists with more; returns a warning saying so, or undefined. */
export function tightenFile(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const { mode } = statSync(path);
  if (!loose(mode, PRIVATE_FILE_MODE)) return undefined;
  chmodSync(path, PRIVATE_FILE_MODE);
  return `${path} was readable by others (mode ${octal(mode)}); set to 0600`;
}

/** Creates `path` empty with mode 0600 if it does not exist (so SQLite never creates it 0644). */
export function createPrivateFile(path: string): void {
  if (existsSync(path)) return;
  try {
    writeFileSync(path, '', { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
  }
}

/**
 * Creates the data directory 0700. An existing one is tightened only when it is plainly Tern's
 * own: owned by this user, and not a shared place (a sticky directory like /tmp, the working
 * directory, the home directory or /), which Tern must not lock others out of.
 */
export function securePrivateDirectory(dir: string): string | undefined {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    return undefined;
  }
  const stat = statSync(dir);
  if (!loose(stat.mode, PRIVATE_DIR_MODE)) return undefined;
  const absolute = resolve(dir);
  const shared =
    (stat.mode & 0o1000) !== 0 ||
    [process.cwd(), homedir(), '/'].some((p) => resolve(p) === absolute) ||
    stat.uid !== process.getuid?.();
  if (shared) return undefined;
  chmodSync(dir, PRIVATE_DIR_MODE);
  return `${dir} was open to others (mode ${octal(stat.mode)}); set to 0700`;
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;
