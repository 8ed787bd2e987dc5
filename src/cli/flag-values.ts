import { UsageError, type ResourceFlags } from './usage.js';

/** A comma-separated flag as a list (empty entries dropped), or undefined when not given. */
export function listFlag(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** `--template-version N`: a whole number from 1, or undefined. */
export function templateVersionFlag(flags: ResourceFlags): number | undefined {
  const raw = flags['template-version'];
  if (raw === undefined) return undefined;
  if (!/^[1-9]\d{0,6}$/.test(raw))
    throw new UsageError('--template-version must be a version number (1, 2, …)');
  return Number(raw);
}

/** `--status` checked against the values the API takes (so a typo is exit 2, not a 400). */
export function oneOf<T extends string>(
  flags: ResourceFlags,
  allowed: readonly T[],
): T | undefined {
  const status = flags.status;
  if (status === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(status))
    throw new UsageError(`--status must be one of: ${allowed.join(', ')}`);
  return status as T;
}
