/**
 * A change the API answered 202 `{ approval }` for (issue 18): it waits for a second person's
 * approval and nothing changed yet. The command succeeded (exit 0) but must not print the
 * change as done.
 */
import { printJson } from './output.js';

/** The pending approval's id when `value` is such an answer, otherwise undefined. */
export function pendingApprovalId(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || !('approval' in value)) return undefined;
  const { approval } = value;
  if (approval === null || typeof approval !== 'object') return undefined;
  const id = (approval as { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}

/**
 * Prints "Waiting for approval <id> (needs a second person)", or with --json the answer as the
 * server sent it (`{ approval }`), and says true; false when `value` is an ordinary result.
 */
export function printedPending(flags: { json?: boolean | undefined }, value: unknown): boolean {
  const id = pendingApprovalId(value);
  if (id === undefined) return false;
  if (flags.json) printJson(value);
  else console.log(`Waiting for approval ${id} (needs a second person)`);
  return true;
}
