import type { ErrorDetail } from '../errors.js';

/** The part of an ajv error this mapping reads (Fastify hands over ajv's error objects). */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** Ajv's message for the keywords it words poorly for a reader of the API. */
function wording(error: SchemaError): string {
  const p = error.params;
  if (error.keyword === 'enum' && Array.isArray(p.allowedValues)) {
    return `must be one of: ${(p.allowedValues as unknown[]).map(String).join(', ')}`;
  }
  if (error.keyword === 'const') return `must be ${String(p.allowedValue)}`;
  if (error.keyword === 'additionalProperties') return 'is not a known property';
  if (error.keyword === 'required') return 'is required';
  return error.message ?? 'is invalid';
}

/** The field an error is about: its instance path, plus the property it names (required, extra). */
function fieldOf(error: SchemaError, prefix: string): string {
  const child =
    typeof error.params.additionalProperty === 'string'
      ? error.params.additionalProperty
      : typeof error.params.missingProperty === 'string'
        ? error.params.missingProperty
        : undefined;
  // A JSON pointer escapes `~` and `/` in property names (RFC 6901).
  const escaped = child?.replace(/~/g, '~0').replace(/\//g, '~1');
  return `${prefix}${error.instancePath}${escaped !== undefined ? `/${escaped}` : ''}` || '/';
}

const isUnion = (e: SchemaError) => e.keyword === 'anyOf' || e.keyword === 'oneOf';
const isShape = (e: SchemaError) => ['type', 'const', 'enum'].includes(e.keyword);

/** Every prefix of a JSON pointer at a `/`, longest first: `/a/b` → `/a/b`, `/a`, ``. */
function prefixes(pointer: string): string[] {
  const out = [pointer];
  for (let i = pointer.lastIndexOf('/'); i >= 0; i = pointer.lastIndexOf('/', i - 1)) {
    out.push(pointer.slice(0, i));
    if (i === 0) break;
  }
  return out;
}

/**
 * The innermost union each error comes from (undefined for a top-level error). Unions are
 * found by key (schema path and instance path), not by scanning: a batch of 1,000 bad messages
 * gives thousands of errors, and a pairwise scan of them would hold the event loop.
 */
function unionsOf(all: SchemaError[]): Map<SchemaError, SchemaError | undefined> {
  const key = (schemaPath: string, instancePath: string) => `${schemaPath}\u0000${instancePath}`;
  const unions = new Map<string, SchemaError>();
  // The few schema locations that hold a union: most prefixes of a schema path are not one,
  // and skipping them spares the instance-path lookups (22 → 7 ms for 1,000 bad messages).
  const unionSchemaPaths = new Set<string>();
  for (const e of all) {
    if (!isUnion(e)) continue;
    unions.set(key(e.schemaPath, e.instancePath), e);
    unionSchemaPaths.add(e.schemaPath);
  }
  const parent = new Map<SchemaError, SchemaError | undefined>();
  for (const e of all) {
    let found: SchemaError | undefined;
    // The schema path's prefixes, longest first, skipping the error's own keyword.
    for (const schemaPath of prefixes(e.schemaPath).slice(1)) {
      if (!unionSchemaPaths.has(schemaPath)) continue;
      for (const instancePath of prefixes(e.instancePath)) {
        found = unions.get(key(schemaPath, instancePath));
        if (found) break;
      }
      if (found) break;
    }
    parent.set(e, found);
  }
  return parent;
}

const branchPath = (e: SchemaError) => e.schemaPath.slice(0, e.schemaPath.lastIndexOf('/'));

/**
 * "must be one of: sms, mms" for constants; "must be string or null" for types. A TypeBox
 * Literal is `{type, const}`, so its branch also says "must be string" for a number: the type
 * of a branch that names its constant is left out.
 */
function shapeWording(branches: SchemaError[]): string {
  const allowed = branches.flatMap((b): unknown[] =>
    b.keyword === 'const'
      ? [b.params.allowedValue]
      : b.keyword === 'enum' && Array.isArray(b.params.allowedValues)
        ? (b.params.allowedValues as unknown[])
        : [],
  );
  const withChoices = new Set(branches.filter((b) => b.keyword !== 'type').map(branchPath));
  const types = [
    ...new Set(
      branches
        .filter((b) => b.keyword === 'type' && !withChoices.has(branchPath(b)))
        .map((b) => String(b.params.type)),
    ),
  ];
  const choices = allowed.length > 0 ? `one of: ${allowed.map(String).join(', ')}` : undefined;
  return `must be ${[...types, ...(choices ? [choices] : [])].join(' or ')}`;
}

/**
 * What a union (TypeBox's Union is an `anyOf`) says when no branch matched. Branches of the
 * right type that failed on something else (a string too long in `string | null`, a property of
 * an object branch) speak for themselves; otherwise the union names the shapes it accepts.
 */
function describe(
  error: SchemaError,
  branchesOf: Map<SchemaError, SchemaError[]>,
  prefix: string,
): [string, string][] {
  if (!isUnion(error)) return [[fieldOf(error, prefix), wording(error)]];
  const branches = branchesOf.get(error) ?? [];
  const shapes = branches.filter((b) => b.instancePath === error.instancePath && isShape(b));
  const rest = branches.filter((b) => !shapes.includes(b));
  if (rest.length > 0) return rest.flatMap((b) => describe(b, branchesOf, prefix));
  return [[fieldOf(error, prefix), shapes.length > 0 ? shapeWording(shapes) : wording(error)]];
}

/**
 * Most details one answer lists. A batch of 1,000 bad messages has thousands of bad fields: its
 * answer was 497 kB and took 31–45 ms to build; the first hundred say what is wrong.
 */
export const MAX_DETAILS = 100;

/**
 * Most schema errors read to find those details: a field gives one to a few errors, so the first
 * thousand name the first hundred fields with room to spare, and the cost no longer grows with
 * the body (1,000 bad batch items give about 9,000).
 */
const MAX_ERRORS_READ = 1000;

/**
 * Ajv's errors (with `allErrors`) as Tern's details: one entry per bad field, every field at
 * once (up to {@link MAX_DETAILS}, then one entry saying there are more), a fixed-choice field naming
 * its allowed values. `prefix` locates non-body parts (`/querystring`); body fields are their
 * JSON pointer alone.
 */
export function validationDetails(all: SchemaError[], prefix: string): ErrorDetail[] {
  const errors = all.length > MAX_ERRORS_READ ? all.slice(0, MAX_ERRORS_READ) : all;
  const parent = unionsOf(errors);
  const branchesOf = new Map<SchemaError, SchemaError[]>();
  for (const [error, union] of parent) {
    if (!union) continue;
    const list = branchesOf.get(union);
    if (list) list.push(error);
    else branchesOf.set(union, [error]);
  }
  const messages = new Map<string, string[]>();
  for (const error of errors) {
    if (parent.get(error)) continue;
    for (const [path, text] of describe(error, branchesOf, prefix)) {
      const list = messages.get(path) ?? [];
      if (!list.includes(text)) list.push(text);
      messages.set(path, list);
    }
  }
  const details = [...messages]
    .slice(0, MAX_DETAILS)
    .map(([path, texts]) => ({ path, message: texts.join('; ') }));
  if (errors.length < all.length) {
    details.push({
      path: '/',
      message: `and more bad fields, not listed (${all.length} schema errors in all)`,
    });
  } else if (messages.size > MAX_DETAILS) {
    const more = messages.size - MAX_DETAILS;
    details.push({ path: '/', message: `and ${more} more bad fields, not listed` });
  }
  return details;
}
