/**
 * Builds the simulator's Fastify app without listening: Infobip routes, the control API and
 * the phone page, plus the hooks that record requests, inject faults and check credentials.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import './fastify-types.js';
import type { Engine } from './engine.js';
import { LEGACY_UNAUTHORIZED_BODY, errorBody, type ErrorShape } from './errors.js';
import { allows, redactAuthorization } from './auth.js';
import { INVALID_JSON, type InvalidJsonBody } from './validation.js';
import { dropConnection, pathOf } from './routes/send-common.js';
import { registerSmsV2 } from './routes/sms-v2.js';
import { registerSmsV3 } from './routes/sms-v3.js';
import { registerMmsV2 } from './routes/mms-v2.js';
import { registerAccount } from './routes/account.js';
import { registerLogs } from './routes/logs.js';
import { registerReports } from './routes/reports.js';
import { registerControl, CONTROL_PREFIX } from './control.js';

export function buildApp(engine: Engine): FastifyInstance {
  const app = Fastify({
    logger: engine.options.logger,
    bodyLimit: engine.options.bodyLimit,
    // close() must not wait for keep-alive sockets of clients (Node keeps them 5 s).
    forceCloseConnections: true,
    // Clients differ on trailing slashes (`/sms/1/reports/`); Infobip's gateway accepts both.
    // Guess: not documented, but harmless.
    routerOptions: { ignoreTrailingSlash: true },
  });

  app.decorateRequest('simRecord', null);

  // A body that is not JSON must still reach the hooks (recording, faults, auth run before
  // validation, as on Infobip's gateway), so the parser never throws.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) => {
    const raw = typeof text === 'string' ? text : text.toString('utf8');
    try {
      done(null, JSON.parse(raw) as unknown);
    } catch {
      const invalid: InvalidJsonBody = { [INVALID_JSON]: true, text: raw };
      done(null, invalid);
    }
  });

  app.addHook('preHandler', async (request, reply) => {
    const shape = request.routeOptions.config.shape;
    if (shape === undefined) return; // control API, phone page
    record(engine, request);
    if (engine.faults.active) {
      const path = pathOf(request.url);
      const latency = engine.faults.latency(request.method, path);
      if (latency > 0) await engine.timers.sleep(latency);
      const fault = engine.faults.take('before', request.method, path);
      if (fault) {
        const faultShape = fault.shape ?? shape;
        switch (fault.kind) {
          case 'reset':
            return dropConnection(request, reply);
          case 'unauthorized':
            return unauthorized(engine, reply, faultShape);
          case 'too-many-requests':
            if (fault.retryAfterSeconds !== undefined) {
              reply.header('Retry-After', String(fault.retryAfterSeconds));
            }
            return reply.code(429).send(errorBody(faultShape, 429));
          default: {
            const status = fault.status ?? 500;
            return reply.code(status).send(errorBody(faultShape, status));
          }
        }
      }
    }
    const principal = engine.auth.check(request.headers.authorization);
    if (!principal) return unauthorized(engine, reply, shape);
    const { scopes, throttled } = request.routeOptions.config;
    if (scopes && !allows(principal, scopes)) {
      return reply.code(403).send(errorBody(shape, 403));
    }
    if (throttled && !engine.logsThrottle.take(principal.id, request.routeOptions.url ?? '')) {
      // Guess: Infobip documents no Retry-After on these 429s.
      return reply.code(429).send(errorBody(shape, 429));
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    if (request.simRecord && request.simRecord.outcome === undefined) {
      request.simRecord.outcome = reply.statusCode;
    }
  });

  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith(CONTROL_PREFIX)) {
      return reply
        .code(404)
        .send({ error: { code: 'not_found', message: 'No such control route' } });
    }
    record(engine, request);
    return reply.code(404).send(errorBody('legacy', 404));
  });

  app.setErrorHandler((error: { statusCode?: number; message?: string }, request, reply) => {
    const status =
      error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error(error);
    const shape: ErrorShape = request.routeOptions.config.shape ?? 'legacy';
    if (request.url.startsWith(CONTROL_PREFIX)) {
      return reply
        .code(status)
        .send({ error: { code: 'control_error', message: error.message ?? 'error' } });
    }
    return reply.code(status).send(errorBody(shape, status));
  });

  registerSmsV2(app, engine);
  registerSmsV3(app, engine);
  registerMmsV2(app, engine);
  registerAccount(app, engine);
  registerLogs(app, engine);
  registerReports(app, engine);
  registerControl(app, engine);
  return app;
}

function record(engine: Engine, request: FastifyRequest): void {
  const headers: Record<string, string | string[] | undefined> = { ...request.headers };
  if (typeof headers.authorization === 'string') {
    headers.authorization = redactAuthorization(headers.authorization);
  }
  const bytes = Number(request.headers['content-length'] ?? 0);
  const body =
    bytes > engine.options.maxRecordedBodyBytes ? { omitted: true, bytes } : request.body;
  const rec = {
    id: engine.store.nextRequestId(),
    at: engine.now(),
    method: request.method,
    url: request.url,
    path: pathOf(request.url),
    headers,
    body:
      typeof body === 'object' && body !== null && INVALID_JSON in body
        ? (body as InvalidJsonBody).text
        : body,
  };
  engine.store.requests.push(rec);
  request.simRecord = rec;
}

function unauthorized(engine: Engine, reply: FastifyReply, shape: ErrorShape) {
  const useLegacy = shape === 'legacy' || engine.options.v3AuthErrorShape === 'legacy';
  if (useLegacy) {
    return reply.code(401).type('application/json').send(LEGACY_UNAUTHORIZED_BODY);
  }
  return reply.code(401).send(errorBody('v3', 401));
}
