import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { StartupError } from '../startup-errors.js';

const WHAT_TO_DO = 'set DATABASE_URL to a file in a directory this user can write to';

/**
 * Fails with what to do when SQLite could not keep `file`: its directory must be a directory this
 * user can write to (SQLite writes `-wal` and `-shm` files beside the database), the file itself
 * writable when it exists. Without this, the first write fails later as "attempt to write a
 * readonly database" or as a failed migration. Call it after trying to create the directory.
 */
export function assertDatabaseLocation(file: string, created?: unknown): void {
  const dir = dirname(file);
  const user = process.getuid ? ` (uid ${process.getuid()})` : '';
  if (!existsSync(dir)) {
    const reason = created instanceof Error ? ` (${created.message})` : '';
    throw new StartupError(
      `the database directory ${dir} does not exist and could not be created${reason}: create it for the user Tern runs as${user}, or ${WHAT_TO_DO}.`,
      { cause: created },
    );
  }
  if (!statSync(dir).isDirectory())
    throw new StartupError(
      `${dir} (where DATABASE_URL puts the database) is not a directory: ${WHAT_TO_DO}.`,
    );
  if (!writable(dir))
    throw new StartupError(
      `the database directory ${dir} is not writable by the user Tern runs as${user} (SQLite writes its -wal and -shm files there): give that user write access to it, or ${WHAT_TO_DO}.`,
    );
  if (existsSync(file) && !writable(file))
    throw new StartupError(
      `the database file ${file} is not writable by the user Tern runs as${user}: give that user write access to it (chown), or ${WHAT_TO_DO}.`,
    );
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
