import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { SESSION_COOKIE } from '../auth/sessions.js';
import { bearerToken } from './auth.js';
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
      const path = request.url.split('?', 1)[0];
      if (path === '/healthz' || path === '/readyz') return undefined;
      void reply.status(503).header('retry-after', '5');
      return errorBody('unavailable', `Tern is overloaded (${type}); retry shortly.`);
    }) as never,
  });
}

/**
 * The caller a rate limit counts: the bearer token itself (hashed, never kept as is), parsed as
 * `requireCaller` parses it, so that `bearer`, `BEARER` or extra spaces are the same bucket;
 * else the console session (its cookie, hashed: the session id), which the limit counts only
 * once it authenticated; a request with neither counts against its address.
 */
export function apiCaller(request: FastifyRequest): string {
  const token = bearerToken(request.headers.authorization);
  if (token) return createHash('sha256').update(token).digest('hex');
  const session = request.cookies[SESSION_COOKIE];
  if (session) return `session:${createHash('sha256').update(session).digest('hex')}`;
  return `ip:${request.ip}`;
}

/**
 * The source a webhook rate limit counts: the credential its URL names. The limit runs after
 * the route's `onRequest` authentication, so only requests bearing that credential's secret
 * count: a stranger cannot spend a credential's budget.
 */
function webhookSource(request: FastifyRequest): string {
  const params = request.params as { credentialId?: string } | undefined;
  return `credential:${params?.credentialId ?? request.ip}`;
}

/**
 * Per-caller request limits in a route scope: `perMinute` requests a minute per token (API) or
 * per credential (provider webhooks); over it, 429 with Retry-After in the usual error shape.
 * The plugin appends its check to each route's own `onRequest` hooks, so it counts only the
 * requests that authenticated (the scope's and the route's auth hooks run first).
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

/** Addresses tracked at once by {@link registerAuthFailureLimit}; past it, new ones share one. */
const MAX_TRACKED_ADDRESSES = 10_000;

/**
 * Limits failed authentications per client address in a scope: after `perMinute` answers of
 * 401 in the current minute, that address gets 429 with Retry-After before any secret or token
 * is looked up. Counting only failures keeps Infobip's shared addresses, which carry every
 * credential's genuine webhooks, out of it; those are limited per credential instead.
 * A fixed one-minute window, its counts in memory (at most 10,000 addresses, then one shared
 * count for the rest), so that a spray of addresses cannot grow it without bound.
 */
export function registerAuthFailureLimit(
  scope: FastifyInstance,
  perMinute: number,
  now: () => number = Date.now,
): void {
  let windowStart = now();
  let failures = new Map<string, number>();
  const keyOf = (ip: string) =>
    failures.has(ip) || failures.size < MAX_TRACKED_ADDRESSES ? ip : 'overflow';
  const roll = () => {
    if (now() - windowStart >= 60_000) {
      windowStart = now();
      failures = new Map();
    }
  };
  scope.addHook('onRequest', (request, reply, done) => {
    roll();
    if ((failures.get(keyOf(request.ip)) ?? 0) < perMinute) return done();
    const after = Math.max(1, Math.ceil((windowStart + 60_000 - now()) / 1000));
    void reply.header('retry-after', String(after));
    done(
      new AppError(
        'rate_limited',
        `Too many failed authentications from this address: at most ${perMinute} a minute; retry in ${after} seconds.`,
      ),
    );
  });
  scope.addHook('onResponse', (request, reply, done) => {
    if (reply.statusCode === 401) {
      roll();
      const key = keyOf(request.ip);
      failures.set(key, (failures.get(key) ?? 0) + 1);
    }
    done();
  });
}

/**
 * True when a parsed JSON value (or params/query object) holds a NUL in a key or string.
 * Streams and buffers are not walked: the body the CSV content-type parser leaves is the request
 * stream, a cyclic graph of sockets and buffers; walking it hung the process at 100 % CPU. Such
 * bodies check their own fields (the CSV import checks each one).
 */
export function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 64 || value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((v) => containsNul(v, depth + 1));
  if (value instanceof EventEmitter || ArrayBuffer.isView(value)) return false;
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
