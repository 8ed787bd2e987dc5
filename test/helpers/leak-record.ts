/**
 * Records, for the suite-wide secrets scan (leak-scan.ts), the secrets each test puts into Tern
 * and everything Tern puts out. Records are buffered and appended to a file of this worker in
 * the directory the global setup provides; test/setup.ts flushes after every test file.
 * Without that directory (a test run outside this repository's vitest config) nothing is kept.
 */
import { appendFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join, relative } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { expect, inject } from 'vitest';
import type { Db } from '../../src/db/database.js';
import type { Keyring } from '../../src/crypto/secret-box.js';
import type { Services } from '../../src/services.js';
import type { LeakRecord, OutputKind, SecretKind } from './leak-scan.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the secrets scan's records go (test/leak-scan.global.ts). */
    leakScanDir: string;
  }
}

const dir: string | undefined = inject('leakScanDir');
const file = dir ? join(dir, `${process.pid}-${threadId}.jsonl`) : undefined;
const FLUSH_AT = 1 << 20;
let buffer: string[] = [];
let buffered = 0;

/** Records held in memory, not yet written (the recorder's own test reads them). */
export const pending: LeakRecord[] = [];
let keepPending = false;

/** Keeps records in `pending` as well, until called with false (for the recorder's test). */
export function observeRecords(on: boolean): void {
  keepPending = on;
  pending.length = 0;
}

/** The test running now, as `file > describe > test`. */
export function currentOrigin(): string {
  const state = expect.getState();
  const path = state.testPath ? relative(process.cwd(), state.testPath) : '(unknown file)';
  return `${path} > ${state.currentTestName ?? '(outside a test)'}`;
}

function push(record: LeakRecord): void {
  if (keepPending) pending.push(record);
  if (!file) return;
  const line = JSON.stringify(record);
  buffer.push(line);
  buffered += line.length;
  if (buffered > FLUSH_AT) flushLeakRecords();
}

/** Writes what is buffered to this worker's file. */
export function flushLeakRecords(): void {
  if (!file || buffer.length === 0) return;
  appendFileSync(file, `${buffer.join('\n')}\n`);
  buffer = [];
  buffered = 0;
}

/** A secret now in play (stored, or accepted as a token). */
export function recordSecret(kind: SecretKind, value: string | undefined | null): void {
  if (typeof value === 'string' && value !== '')
    push({ type: 'secret', kind, value, origin: currentOrigin() });
}

/** Something Tern put out. */
export function recordOutput(
  kind: OutputKind,
  text: string,
  extra: { argv?: string[] } = {},
): void {
  if (text === '') return;
  push({ type: 'output', kind, text, origin: currentOrigin(), ...extra });
}

/** Answers that are not text (images, fonts) are not kept: only their headers are. */
const TEXT_TYPES = /^(text\/|application\/(json|javascript|problem\+json|x-ndjson))/;

/**
 * Keeps every answer the app sends: in onSend, which runs for every reply.send (routes, errors,
 * 404s, replies from earlier onRequest hooks such as auth and rate limits); and, for streamed
 * answers (the profiles CSV export, static files) and replies a route writes to the raw response
 * itself (Server-Sent Events), by wrapping that response's write and end. Non-text answers
 * (images, fonts) keep their headers only. Also keeps the API keys of credentials stored through the API, and admin tokens
 * and event-webhook secrets from their creation answers.
 */
export function recordAnswers(app: FastifyInstance): void {
  if (!file && !keepPending) return;
  const sentThroughFastify = new WeakSet<object>();

  const answer = (
    request: FastifyRequest,
    statusCode: number,
    headers: Record<string, unknown>,
    text: string,
    origin: string,
  ) => {
    const path = request.url.split('?')[0] ?? '';
    const body = request.body as Record<string, unknown> | undefined;
    if (statusCode < 300 && /^\/api\/v1\/credentials(\/[^/]+)?$/.test(path)) {
      if (body && typeof body.apiKey === 'string') recordSecretFrom('api_key', body.apiKey, origin);
    }
    if (statusCode === 201 && request.method === 'POST' && text.startsWith('{')) {
      const created = JSON.parse(text) as Record<string, unknown>;
      if (path === '/api/v1/tokens') recordSecretFrom('admin_token', created.token, origin);
      if (path === '/api/v1/event-webhooks')
        recordSecretFrom('event_webhook_secret', created.secret, origin);
    }
    push({
      type: 'output',
      kind: 'response',
      origin,
      text,
      headers: JSON.stringify(headers),
      request: { method: request.method, url: request.url, statusCode },
      requestId: request.id,
    });
  };

  app.addHook('onSend', (request, reply, payload, done) => {
    // A stream (the profiles CSV export, static files) is read where it is written: below.
    if (payload !== null && typeof payload === 'object' && !Buffer.isBuffer(payload))
      return done(null, payload);
    sentThroughFastify.add(request);
    const type = String(reply.getHeader('content-type') ?? '');
    const text =
      typeof payload === 'string'
        ? payload
        : Buffer.isBuffer(payload) && (TEXT_TYPES.test(type) || type === '')
          ? payload.toString('utf8')
          : ''; // binary: headers only
    answer(request, reply.statusCode, reply.getHeaders(), text, currentOrigin());
    done(null, payload);
  });

  app.addHook('onRequest', (request, reply, done) => {
    const raw: ServerResponse = reply.raw;
    const chunks: Buffer[] = [];
    const keep = (chunk: unknown, encoding?: unknown) => {
      if (typeof chunk === 'string')
        chunks.push(
          Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'),
        );
      else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
    };
    const write = raw.write.bind(raw) as (...args: unknown[]) => boolean;
    const end = raw.end.bind(raw) as (...args: unknown[]) => ServerResponse;
    // inject()'s response implements end() with this.write(): count those bytes once.
    let ending = false;
    raw.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (!ending) keep(chunk, rest[0]);
      return write(chunk, ...rest);
    }) as typeof raw.write;
    raw.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (typeof chunk !== 'function') keep(chunk, rest[0]);
      ending = true;
      try {
        return end(chunk, ...rest);
      } finally {
        ending = false;
      }
    }) as typeof raw.end;
    const origin = currentOrigin();
    let recorded = false;
    const onDone = () => {
      if (recorded || sentThroughFastify.has(request)) return;
      recorded = true;
      const type = String(raw.getHeader('content-type') ?? '');
      const text =
        TEXT_TYPES.test(type) || type === '' ? Buffer.concat(chunks).toString('utf8') : '';
      answer(request, raw.statusCode, raw.getHeaders(), text, origin);
    };
    raw.once('finish', onDone);
    raw.once('close', onDone);
    done();
  });
}

function recordSecretFrom(kind: SecretKind, value: unknown, origin: string): void {
  if (typeof value === 'string' && value !== '') push({ type: 'secret', kind, value, origin });
}

/**
 * When a test app closes: its audit rows and its /metrics text as outputs, and every secret
 * stored in its database (API keys and webhook secrets of credentials, event-webhook secrets),
 * decrypted with the test keyring, so secrets stored other than through the API count too.
 */
export async function recordStored(db: Db, services: Services, keyring: Keyring): Promise<void> {
  if (!file && !keepPending) return;
  const k = db.kysely;
  const audit = await k.selectFrom('audit_events').selectAll().execute();
  for (const row of audit) recordOutput('audit', JSON.stringify(row));
  recordOutput('metrics', await services.metrics.registry.metrics());
  const decrypt = (stored: string): string | undefined => {
    try {
      return keyring.decrypt(stored);
    } catch {
      return undefined; // encrypted under a key the test rotated to: its secrets were recorded when set
    }
  };
  for (const row of await k
    .selectFrom('credentials')
    .select(['api_key_encrypted', 'webhook_secret_encrypted'])
    .execute()) {
    recordSecret('api_key', decrypt(row.api_key_encrypted));
    const hooks = decrypt(row.webhook_secret_encrypted);
    if (hooks) {
      const secrets = JSON.parse(hooks) as Record<string, string>;
      for (const value of Object.values(secrets)) recordSecret('webhook_secret', value);
    }
  }
  for (const row of await k.selectFrom('event_webhooks').select('secret_encrypted').execute())
    recordSecret('event_webhook_secret', decrypt(row.secret_encrypted));
}

/** Output of a process a test started: a Tern CLI command or server. */
export function recordChildOutput(argv: string[], stdout: string, stderr: string): void {
  recordOutput('child_output', stdout, { argv });
  recordOutput('child_output', stderr, { argv });
}

/** The secrets a process was given: TERN_ADMIN_TOKEN, and API keys in its arguments. */
export function recordChildSecrets(argv: string[], env: Record<string, string | undefined>): void {
  recordSecret('admin_token', env.TERN_ADMIN_TOKEN);
  for (let i = 0; i < argv.length - 1; i++) {
    const flag = argv[i];
    const value = argv[i + 1] ?? '';
    // The simulator's --api-key is the key the test then stores in Tern.
    if (flag === '--api-key') recordSecret('api_key', value);
    if (flag === '--data') {
      try {
        const data = JSON.parse(value) as Record<string, unknown>;
        if (typeof data.apiKey === 'string') recordSecret('api_key', data.apiKey);
      } catch {
        // not JSON: the CLI refuses it
      }
    }
  }
}
