import { TypeRegistry, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { AppError, type ErrorDetail } from '../errors.js';
import { body } from './resource-commands.js';
import { UsageError, type ResourceFlags } from './usage.js';

// The segment rule travels as Type.Unsafe({type: 'object'}) (the audiences module names the bad
// node); TypeBox's checker needs to be told what an Unsafe schema accepts.
if (!TypeRegistry.Has('Unsafe'))
  TypeRegistry.Set('Unsafe', (schema: { type?: unknown }, value: unknown) =>
    schema.type === 'object'
      ? typeof value === 'object' && value !== null && !Array.isArray(value)
      : true,
  );

/**
 * `--data`/`--file` checked against the route's TypeBox body schema, so the CLI hands the
 * services exactly the shapes the API would (they trust the schema for types). A bad field is
 * the API's 400: every field named, one problem each.
 */
export function checkedBody<T>(flags: ResourceFlags, schema: TSchema): T {
  return checked(body(flags), schema);
}

/** A value (made from flags, or read) checked against a route's body schema. */
export function checked<T>(value: unknown, schema: TSchema): T {
  const details: ErrorDetail[] = [];
  const seen = new Set<string>();
  for (const error of Value.Errors(schema, value)) {
    const path = error.path || '/';
    if (seen.has(path)) continue;
    seen.add(path);
    details.push({
      path,
      message: error.message === 'Unexpected property' ? 'is not a known property' : error.message,
    });
  }
  if (details.length > 0)
    throw new AppError('validation_failed', 'The fields are not valid.', details);
  return value as T;
}

/** A comma-separated flag as a list (empty entries dropped), or undefined when not given. */
export function listFlag(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** `--limit`: 1-200, 50 by default, as the API's page size. */
export function limitFlag(flags: ResourceFlags): number {
  const raw = flags.limit;
  if (raw === undefined) return 50;
  if (!/^(?:[1-9]\d?|1\d\d|200)$/.test(raw)) throw new UsageError('--limit must be 1 to 200');
  return Number(raw);
}

/** `--template-version N`: a whole number from 1, or undefined. */
export function templateVersionFlag(flags: ResourceFlags): number | undefined {
  const raw = flags['template-version'];
  if (raw === undefined) return undefined;
  if (!/^[1-9]\d{0,6}$/.test(raw))
    throw new UsageError('--template-version must be a version number (1, 2, …)');
  return Number(raw);
}
