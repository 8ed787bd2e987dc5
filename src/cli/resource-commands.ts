import { readFileSync } from 'node:fs';
import type { ApiClient } from './api-client.js';
import { printedPending } from './approval-output.js';
import { printJson, printRecord, printTable } from './output.js';
import { UsageError, type ResourceFlags } from './usage.js';

export { RESOURCE_OPTIONS, UsageError, type ResourceFlags } from './usage.js';

/** A resource command: talks to a running Tern through `api`; resolves to its exit code. */
export type ApiCommand = (
  api: ApiClient,
  positionals: string[],
  flags: ResourceFlags,
) => Promise<number | void>;

/** Bodies above the API's 1 MB limit are refused there; reading more than that is pointless. */
const MAX_BODY_BYTES = 1_048_576;

/**
 * The JSON body of create/update: `--data '{…}'`, `--file path.json`, or `--file -` for
 * standard input (a definition piped from another tool), as the API takes it. The server checks
 * the fields and names every bad one.
 */
export function body(flags: ResourceFlags): Record<string, unknown> {
  const text =
    flags.data ??
    (flags.file === '-'
      ? readFileSync(0, 'utf8')
      : flags.file
        ? readFileSync(flags.file, 'utf8')
        : undefined);
  if (text === undefined)
    throw new UsageError('give the fields as --data \'{"name": …}\' or --file fields.json');
  if (Buffer.byteLength(text) > MAX_BODY_BYTES)
    throw new UsageError('the body is over 1 MB, the most the API takes');
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new UsageError('the fields must be a JSON object');
  }
}

export function need(id: string | undefined, what: string): string {
  if (!id) throw new UsageError(`give the ${what} id`);
  return id;
}

/** `--if-match N`: the version the change is based on (the API answers 412 when it is stale). */
export const version = (flags: ResourceFlags): number | undefined => {
  const raw = flags['if-match'];
  if (raw === undefined) return undefined;
  const match = /^(?:W\/)?"?([1-9]\d{0,8})"?$/.exec(raw.trim());
  if (!match) throw new UsageError('--if-match must be the version you read (1, 2, …)');
  return Number(match[1]);
};

/** A path segment from an id typed on the command line. */
export const seg = (value: string): string => encodeURIComponent(value);

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** `?limit=…&cursor=…&name=…` for a list; 200 by default (the API's largest page). */
export function pageQuery(flags: ResourceFlags, fallback = 200) {
  const raw = flags.limit;
  if (raw !== undefined && !/^(?:[1-9]\d?|1\d\d|200)$/.test(raw))
    throw new UsageError('--limit must be 1 to 200');
  return {
    limit: raw === undefined ? fallback : Number(raw),
    ...(flags.cursor ? { cursor: flags.cursor } : {}),
  };
}

/** A page as a table (or the server's JSON), with the way to the next page. */
export function printPage<T>(
  flags: ResourceFlags,
  page: Page<T>,
  columns: string[],
  row: (item: T) => Record<string, unknown> = (item) => item as Record<string, unknown>,
): void {
  if (flags.json) return printJson(page);
  printTable(page.items.map(row), columns);
  if (page.nextCursor) console.log(`\nMore: --cursor ${page.nextCursor}`);
}

/** A single resource: JSON as the server sent it, or `key: value` lines (or a change waiting for approval). */
export function show(flags: ResourceFlags, value: unknown): void {
  if (printedPending(flags, value)) return;
  if (flags.json) printJson(value);
  else printRecord({ ...(value as Record<string, unknown>) });
}

/** What a delete prints: the API answers 204 with no body. */
export function deleted(flags: ResourceFlags, what: string, id: string): void {
  if (flags.json) printJson({ deleted: id });
  else console.log(`Deleted ${what} ${id}.`);
}

/** What a verb gets: the id typed (if any) and the resource's path built from it. */
export interface VerbContext {
  api: ApiClient;
  id: string | undefined;
  /** `collection/<id>`; a usage error when no id was given. */
  path: () => string;
  flags: ResourceFlags;
}

export type StandardVerb = 'list' | 'get' | 'create' | 'update' | 'delete';

export interface ResourceSpec<T> {
  /** What messages call one: "segment", "channel configuration". */
  noun: string;
  /** The collection's path: "/v1/segments". */
  collection: string;
  /** The verb that reads one (the older commands say show). */
  readVerb?: 'get' | 'show';
  /** Which of list, get, create, update and delete the resource has (all by default). */
  standard?: readonly StandardVerb[];
  list: {
    columns: string[];
    /** The list's filters from the flags; `--name` by default. */
    query?: (flags: ResourceFlags) => Record<string, unknown>;
    row?: (item: T) => Record<string, unknown>;
    limit?: number;
  };
  /** How one resource prints; `show` by default. */
  print?: (flags: ResourceFlags, value: T) => void;
  /** Further verbs, and replacements of the five, in the order the usage lists them. */
  verbs?: Record<string, (context: VerbContext) => Promise<number | void>>;
}

/** One command for a resource: list, get (or show), create, update (--if-match), delete, and `verbs`. */
export function resourceCommand<T>(spec: ResourceSpec<T>): ApiCommand {
  const print = spec.print ?? show;
  const all: Record<StandardVerb, (context: VerbContext) => Promise<number | void>> = {
    list: async ({ api, flags }) =>
      printPage(
        flags,
        await api.get<Page<T>>(spec.collection, {
          ...pageQuery(flags, spec.list.limit),
          ...(spec.list.query ? spec.list.query(flags) : { name: flags.name }),
        }),
        spec.list.columns,
        spec.list.row,
      ),
    get: async ({ api, path, flags }) => print(flags, await api.get<T>(path())),
    create: async ({ api, flags }) => print(flags, await api.post<T>(spec.collection, body(flags))),
    update: async ({ api, path, flags }) =>
      print(flags, await api.patch<T>(path(), body(flags), version(flags))),
    delete: async ({ api, id, path, flags }) => {
      await api.delete(path());
      deleted(flags, spec.noun, need(id, spec.noun));
    },
  };
  const standard = Object.fromEntries(
    (spec.standard ?? (Object.keys(all) as StandardVerb[])).map((verb) => [
      verb === 'get' ? (spec.readVerb ?? 'get') : verb,
      all[verb],
    ]),
  );
  const verbs = { ...standard, ...spec.verbs };
  const names = Object.keys(verbs);
  const usage = `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
  return async (api, [verb, id], flags) => {
    const run = verb !== undefined && Object.hasOwn(verbs, verb) ? verbs[verb] : undefined;
    if (!run) throw new UsageError(`unknown action "${verb ?? ''}": use ${usage}`);
    const path = () => `${spec.collection}/${seg(need(id, spec.noun))}`;
    return run({ api, id, path, flags });
  };
}

/** `tern credentials list|show|create|update|delete|verify` */
export const credentialsCommand = resourceCommand({
  noun: 'API credential',
  collection: '/v1/credentials',
  readVerb: 'show',
  list: { columns: ['id', 'name', 'inboundNumber', 'validityPeriod', 'apiKeyHint', 'updatedAt'] },
  verbs: {
    delete: async ({ api, id, path, flags }) => {
      await api.delete(path(), { query: flags.force === true ? { force: 'true' } : {} });
      deleted(flags, 'API credential', need(id, 'API credential'));
    },
    verify: ({ api, path, flags }) => verify(api, path(), flags),
  },
});

interface VerifyResult {
  status: string;
  message: string;
  latencyMs: number;
  httpStatus?: number;
  scopes: { feature: string; scopes: string[]; state: string; detail?: string }[];
}

/** The provider check: exit 0 when the key works, 1 (with the reason) when it does not. */
async function verify(api: ApiClient, path: string, flags: ResourceFlags): Promise<number> {
  const result = await api.post<VerifyResult>(`${path}/verify`);
  if (flags.json) printJson(result);
  else {
    const { scopes, ...rest } = result;
    printRecord(rest);
    if (scopes.length > 0) {
      console.log('');
      printTable(
        scopes.map((s) => ({ ...s, detail: s.detail ?? '' })),
        ['feature', 'state', 'scopes', 'detail'],
      );
    }
  }
  if (result.status === 'ok') return 0;
  const reason = `the check failed (${result.status}): ${result.message}`;
  if (flags.json)
    console.error(
      JSON.stringify({ error: { code: 'verify_failed', message: reason, details: [] } }),
    );
  else console.error(`tern credentials verify: ${reason}`);
  return 1;
}

/** `tern channels list|show|create|update|delete` */
export const channelsCommand = resourceCommand({
  noun: 'channel configuration',
  collection: '/v1/channel-configurations',
  readVerb: 'show',
  list: { columns: ['id', 'name', 'channel', 'messageType', 'sender', 'credentialId'] },
});

interface CreatedToken {
  id: string;
  token: string;
  name: string;
  sandbox: string | null;
}

/** `tern tokens list|create|revoke` */
export const tokensCommand: ApiCommand = async (api, [verb, id], flags) => {
  switch (verb) {
    case 'list': {
      const answer = await api.get<{ items: Record<string, unknown>[] }>('/v1/tokens');
      if (flags.json) return printJson(answer);
      return printTable(answer.items, ['id', 'name', 'sandbox', 'createdAt', 'revokedAt']);
    }
    case 'create': {
      if (!flags.name) throw new UsageError('--name is required');
      // --sandbox is the new token's sandbox here (none: every sandbox).
      const created = await api.post<CreatedToken>('/v1/tokens', {
        name: flags.name,
        sandbox: flags.sandbox ?? null,
      });
      if (flags.json) return printJson(created);
      console.log(
        `Created token ${created.id} (${created.sandbox ? `sandbox ${created.sandbox}` : 'all sandboxes'}). It is shown only now:\n\n  ${created.token}\n`,
      );
      return;
    }
    case 'revoke': {
      const tokenId = need(id, 'token');
      await api.delete(`/v1/tokens/${seg(tokenId)}`);
      return flags.json
        ? printJson({ revoked: tokenId })
        : console.log(`Revoked token ${tokenId}.`);
    }
    default:
      throw new UsageError(`unknown action "${verb ?? ''}": use list, create or revoke`);
  }
};
