import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { errorBody } from './error-handler.js';

/**
 * Load shedding: when the event loop lags past `maxEventLoopDelayMs`, answer 503 with
 * Retry-After at once instead of queueing every request behind the backlog; health probes are
 * exempt so that an orchestrator can still see the process. 0 turns it off.
 */
export async function registerLoadShedding(
  app: FastifyInstance,
  maxEventLoopDelayMs: number,
): Promise<void> {
  if (maxEventLoopDelayMs <= 0) return;
  await app.register(underPressure, {
    maxEventLoopDelay: maxEventLoopDelayMs,
    sampleInterval: 100,
    retryAfter: 5,
    // A returned body is sent as is (under-pressure's contract); undefined lets the request through.
    pressureHandler: ((request: FastifyRequest, reply: FastifyReply, type: string) => {
      if (request.url === '/healthz' || request.url === '/readyz') return undefined;
      void reply.status(503).header('retry-after', '5');
      return errorBody('unavailable', `Tern is overloaded (${type}); retry shortly.`);
    }) as never,
  });
}

/** The caller a rate limit counts: its bearer token (hashed, never kept as is), else its address. */
function apiCaller(request: FastifyRequest): string {
  const header = request.headers.authorization;
  return header ? createHash('sha256').update(header).digest('hex') : `ip:${request.ip}`;
}

/** The source a webhook rate limit counts: the credential its URL names. */
function webhookSource(request: FastifyRequest): string {
  const params = request.params as { credentialId?: string } | undefined;
  return `credential:${params?.credentialId ?? request.ip}`;
}

/**
 * Per-caller request limits in a route scope: `perMinute` requests a minute per token (API) or
 * per credential (provider webhooks); over it, 429 with Retry-After in the usual error shape.
 */
export async function registerRateLimit(
  scope: FastifyInstance,
  kind: 'api' | 'webhook',
  perMinute: number,
): Promise<void> {
  await scope.register(rateLimit, {
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: kind === 'api' ? apiCaller : webhookSource,
    errorResponseBuilder: (_request, context) =>
      new AppError(
        'rate_limited',
        `Too many requests: at most ${context.max} a minute; retry in ${context.after}.`,
      ),
  });
}

/**
 * True when a parsed JSON value (or params/query object) holds a NUL in a key or string. Only
 * arrays and plain objects are walked: a body a content-type parser leaves as a stream (the
 * consent CSV import) is a cyclic graph of sockets and buffers; walking it hung the process
 * at 100 % CPU. Such bodies check their own fields (the CSV import checks each one).
 */
export function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 64 || value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((v) => containsNul(v, depth + 1));
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.entries(value).some(([k, v]) => k.includes('\u0000') || containsNul(v, depth + 1));
}

/**
 * Refuses NUL characters anywhere in a request's parameters, query or JSON body with a 400:
 * PostgreSQL cannot store them in text, and no field of Tern's has a use for them.
 */
export function refuseNulCharacters(app: FastifyInstance): void {
  const refused = () =>
    new AppError(
      'validation_failed',
      'The request contains a NUL character, which no field accepts.',
    );
  // Parameters and query at once: some routes authenticate from the URL before parsing a body.
  app.addHook('onRequest', (request, _reply, done) => {
    done(containsNul(request.params) || containsNul(request.query) ? refused() : undefined);
  });
  app.addHook('preValidation', (request, _reply, done) => {
    done(containsNul(request.body) ? refused() : undefined);
  });
}
