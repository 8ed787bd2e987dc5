/**
 * The suite-wide secrets scan: every secret the tests put into Tern, searched for in everything
 * Tern put out (log lines, API answers and their headers, audit rows, /metrics, the output of
 * Tern processes the tests started). The recorder (leak-record.ts) writes one JSON record a line
 * into per-worker files; the global teardown (test/leak-scan.global.ts) reads them all and fails
 * the run on any leak. This file is pure so that it is tested on its own (test/leak-scan.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type SecretKind = 'api_key' | 'webhook_secret' | 'event_webhook_secret' | 'admin_token';
export type OutputKind = 'log' | 'response' | 'audit' | 'metrics' | 'child_output';

/** The request an answer belongs to (its exceptions depend on the route). */
export interface AnswerTo {
  method: string;
  url: string;
  statusCode: number;
}

export type LeakRecord =
  | { type: 'secret'; kind: SecretKind; value: string; origin: string }
  | {
      type: 'output';
      kind: OutputKind;
      origin: string;
      text: string;
      /** Responses: the request answered (and its id, which its log lines carry as `reqId`). */
      request?: AnswerTo;
      requestId?: string;
      headers?: string;
      /** Output of a CLI process: its arguments (the CLI's answers have the API's exceptions). */
      argv?: string[];
    };

export interface Leak {
  secret: { kind: SecretKind; origin: string; value: string };
  output: { kind: OutputKind; origin: string; request?: AnswerTo; argv?: string[] };
  excerpt: string;
}

/**
 * Shorter values are not searched: a stored key of a few characters (tests use `k` in invalid
 * requests) would match unrelated text. Every real secret Tern makes is far longer (tokens 43
 * characters, webhook secrets 32), and Infobip keys are 32+ hex characters.
 */
export const MIN_SECRET_LENGTH = 8;

const CREDENTIALS_ROUTE = /^\/api\/v1\/credentials(\/|$)/;

/**
 * What an answer may legitimately show, removed before it is searched. The rest of the answer
 * (and all its headers) is searched like everything else.
 *
 * - `POST /api/v1/tokens` (201): the new admin token, in that one answer only (Tern stores its
 *   hash; README "a new token is printed once").
 * - `POST /api/v1/event-webhooks` (201): the new signing secret, shown once (README "secret,
 *   shown only once").
 * - Credential answers (`/api/v1/credentials…`, and the CLI's `credentials` commands, which
 *   print the same objects): `webhooks.inbound` and `webhooks.deliveryReports`, `url` and
 *   `secret`. They are the URLs the operator pastes into Infobip, and they carry the per-
 *   credential webhook secret by design (design.md §4). Only those two fields: the same secret
 *   anywhere else in the answer is a leak.
 *
 * API keys have no exception anywhere: an answer shows only `apiKeyHint` (the last 4 characters).
 *
 * One more exception, in {@link findLeaks}: a secret the caller itself put in a request's URL,
 * echoed back to that caller in the answer (`404 No API credential <what you asked for>`) or
 * written in that request's log lines (the request URL), is not disclosed by Tern (the route
 * fuzzer sends webhook secrets as ids to every route). Except in the secret segment of a
 * provider webhook URL (`/webhooks/infobip/:id/:kind/:secret`): there it is by design, and logs
 * must mask it.
 * Secrets in request bodies have no such exception: an error must not echo a key it was sent.
 */
export function withoutSanctioned(record: Extract<LeakRecord, { type: 'output' }>): string {
  const path = record.request?.url.split('?')[0] ?? '';
  const argv = record.argv ?? [];
  const isCredentialAnswer =
    (record.kind === 'response' && CREDENTIALS_ROUTE.test(path)) ||
    (record.kind === 'child_output' && argv[0] === 'credentials');
  const isTokenCreated =
    record.kind === 'response' &&
    record.request?.method === 'POST' &&
    path === '/api/v1/tokens' &&
    record.request.statusCode === 201;
  const isEventWebhookCreated =
    record.kind === 'response' &&
    record.request?.method === 'POST' &&
    path === '/api/v1/event-webhooks' &&
    record.request.statusCode === 201;
  if (!isCredentialAnswer && !isTokenCreated && !isEventWebhookCreated) return record.text;

  let body: unknown;
  try {
    body = JSON.parse(record.text);
  } catch {
    return record.text; // not JSON: nothing is sanctioned
  }
  if (isTokenCreated && isObject(body)) delete body.token;
  if (isEventWebhookCreated && isObject(body)) delete body.secret;
  if (isCredentialAnswer) dropWebhookUrls(body);
  return JSON.stringify(body);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Removes `webhooks.{inbound,deliveryReports}.{url,secret}` wherever a credential appears. */
function dropWebhookUrls(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) dropWebhookUrls(item);
    return;
  }
  if (!isObject(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if (key === 'webhooks' && isObject(child)) {
      for (const kind of ['inbound', 'deliveryReports']) {
        const hook = child[kind];
        if (isObject(hook)) {
          delete hook.url;
          delete hook.secret;
        }
      }
    } else {
      dropWebhookUrls(child);
    }
  }
}

/**
 * Every (secret, output) pair where the output contains the secret. Secrets are indexed by their
 * first MIN_SECRET_LENGTH characters, so the texts are read once whatever the number of secrets.
 */
export function findLeaks(records: Iterable<LeakRecord>): Leak[] {
  const byPrefix = new Map<string, Extract<LeakRecord, { type: 'secret' }>[]>();
  const outputs: Extract<LeakRecord, { type: 'output' }>[] = [];
  const seen = new Set<string>();
  for (const record of records) {
    if (record.type === 'output') {
      outputs.push(record);
      continue;
    }
    if (record.value.length < MIN_SECRET_LENGTH || seen.has(record.value)) continue;
    seen.add(record.value);
    const prefix = record.value.slice(0, MIN_SECRET_LENGTH);
    const list = byPrefix.get(prefix);
    if (list) list.push(record);
    else byPrefix.set(prefix, [record]);
  }
  if (byPrefix.size === 0) return [];

  // Request id → the URLs requested under it (ids may repeat: callers may send x-request-id).
  const urlsById = new Map<string, string[]>();
  for (const output of outputs) {
    if (output.requestId === undefined || output.request === undefined) continue;
    const url = output.request.url;
    const urls = urlsById.get(output.requestId) ?? [];
    urls.push(url, safeDecode(url));
    urlsById.set(output.requestId, urls);
  }
  const echoed = (output: Extract<LeakRecord, { type: 'output' }>, secret: string): boolean => {
    const id =
      output.kind === 'response'
        ? output.requestId
        : output.kind === 'log'
          ? /"reqId":"([^"]*)"/.exec(output.text)?.[1]
          : undefined;
    if (id === undefined) return false;
    return (urlsById.get(id) ?? []).some((url) =>
      (output.kind === 'response' ? url : withoutWebhookSecret(url)).includes(secret),
    );
  };

  const leaks: Leak[] = [];
  for (const output of outputs) {
    const texts = [withoutSanctioned(output), output.headers ?? ''];
    for (const text of texts) {
      for (let i = 0; i + MIN_SECRET_LENGTH <= text.length; i++) {
        const candidates = byPrefix.get(text.slice(i, i + MIN_SECRET_LENGTH));
        if (!candidates) continue;
        for (const secret of candidates) {
          if (!text.startsWith(secret.value, i) || echoed(output, secret.value)) continue;
          leaks.push({
            secret: { kind: secret.kind, origin: secret.origin, value: secret.value },
            output: {
              kind: output.kind,
              origin: output.origin,
              ...(output.request ? { request: output.request } : {}),
              ...(output.argv ? { argv: output.argv } : {}),
            },
            excerpt: text.slice(Math.max(0, i - 120), i + secret.value.length + 120),
          });
        }
      }
    }
  }
  return leaks;
}

/** A provider webhook URL without its secret segment (`/webhooks/infobip/:id/:kind/:secret`). */
function withoutWebhookSecret(url: string): string {
  return url.replace(/^(\/webhooks\/[^/?]*\/[^/?]*\/[^/?]*\/)[^/?]*/, '$1');
}

function safeDecode(url: string): string {
  try {
    return decodeURIComponent(url);
  } catch {
    return url;
  }
}

/** Reads every record file of a scan directory. */
export function readRecords(dir: string): LeakRecord[] {
  const records: LeakRecord[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (line) records.push(JSON.parse(line) as LeakRecord);
    }
  }
  return records;
}

/** A report a person can act on: which secret (from which test), where it showed up, in what. */
export function formatLeaks(leaks: Leak[], limit = 20): string {
  const lines = [`${leaks.length} secret leak(s) found by the suite-wide scan:`];
  for (const leak of leaks.slice(0, limit)) {
    const where = leak.output.request
      ? ` (${leak.output.request.method} ${leak.output.request.url} → ${leak.output.request.statusCode})`
      : leak.output.argv
        ? ` (tern ${leak.output.argv.join(' ')})`
        : '';
    lines.push(
      `- ${leak.secret.kind} ${JSON.stringify(leak.secret.value)} (from: ${leak.secret.origin})`,
      `  in ${leak.output.kind}${where} of: ${leak.output.origin}`,
      `  …${leak.excerpt}…`,
    );
  }
  if (leaks.length > limit) lines.push(`… and ${leaks.length - limit} more`);
  return lines.join('\n');
}
