import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyBaseLogger, type FastifyReply } from 'fastify';
import { AdminTokenVerifier } from './auth/admin-tokens.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/database.js';
import type { App } from './http/app-type.js';
import { requireCaller } from './http/auth.js';
import { registerCsrf } from './http/csrf.js';
import { errorBody, installErrorHandling } from './http/error-handler.js';
import { answerClientError } from './http/client-errors.js';
import { registerBoundedJsonParser } from './http/json-body.js';
import { registerOpenApi } from './http/openapi.js';
import {
  refuseNulCharacters,
  registerAuthFailureLimit,
  registerLoadShedding,
  registerRateLimit,
} from './http/protection.js';
import { sharedSchemaCompilers } from './http/schema-compilers.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { healthRoutes } from './http/routes/health.js';
import { adminRoutes } from './http/routes/admin.js';
import { approvalRoutes } from './http/routes/approvals.js';
import { authMethodsRoutes } from './http/routes/auth-methods.js';
import { OidcSignIn } from './auth/oidc.js';
import { oidcRoutes } from './http/routes/oidc.js';
import { campaignRoutes } from './http/routes/campaigns.js';
import { channelRoutes } from './http/routes/channels.js';
import { credentialRoutes } from './http/routes/credentials.js';
import { eventWebhookRoutes } from './http/routes/event-webhooks.js';
import { eventRoutes } from './http/routes/events.js';
import { flowRoutes } from './http/routes/flows.js';
import { inboundApiRoutes } from './http/routes/inbound.js';
import { inboundWebhookRoutes } from './http/routes/inbound-webhook.js';
import { keywordResponseRoutes } from './http/routes/keyword-responses.js';
import { listRoutes } from './http/routes/lists.js';
import { meRoutes } from './http/routes/me.js';
import { memberRoutes } from './http/routes/members.js';
import { messageRoutes } from './http/routes/messages.js';
import { metricsRoutes } from './http/routes/metrics.js';
import { reportWebhookRoutes } from './http/routes/report-webhook.js';
import { segmentRoutes } from './http/routes/segments.js';
import { signInRoutes } from './http/routes/sign-in.js';
import { invitationAcceptRoutes, invitationRoutes } from './http/routes/invitations.js';
import { statsRoutes } from './http/routes/stats.js';
import { policyRoutes } from './http/routes/policy.js';
import { templateRoutes } from './http/routes/templates.js';
import { registerWebConsole } from './http/static.js';
import type { Logger } from './logger.js';
import { requestLogController } from './http/request-log.js';
import type { Services } from './services.js';
import { VERSION } from './version.js';

/** Everything the HTTP app needs, built by the caller (server, tests) who also closes it. */
export interface AppContext {
  config: Config;
  db: Db;
  clock: Clock;
  logger: Logger;
  services: Services;
}

export interface RegisteredRoute {
  method: string;
  url: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    registeredRoutes: RegisteredRoute[];
  }
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Builds the Fastify app. It never listens: `server.ts` does, and tests use `inject()`. */
export async function buildApp(ctx: AppContext): Promise<App> {
  let shuttingDown = false;
  const logger: FastifyBaseLogger = ctx.logger;
  const app = Fastify({
    loggerInstance: logger,
    logController: requestLogController(logger),
    bodyLimit: ctx.config.bodyLimitBytes,
    // request.ip from X-Forwarded-For only when it comes from a proxy TERN_TRUST_PROXY names.
    trustProxy:
      typeof ctx.config.trustProxy === 'boolean'
        ? ctx.config.trustProxy
        : [...ctx.config.trustProxy],
    // Keep a caller's request id when it is sane, so logs can be followed across systems.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    clientErrorHandler: answerClientError,
    // The error handler words schema errors itself (validation-details.ts); Fastify's default
    // formatter would first join every one of them into a message nobody reads.
    schemaErrorFormatter: () => new Error('The request is not valid.'),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
    schemaController: sharedSchemaCompilers,
    // Errors the router raises before any route runs (a malformed URL) get the same shape too.
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      const details = [{ message: error.message }];
      void reply
        .status(400)
        .send(errorBody('validation_failed', 'The request URL is not valid.', details));
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Every route, recorded as registered: tests enumerate them so that no route escapes auth.
  const routes: RegisteredRoute[] = [];
  app.decorate('registeredRoutes', routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  // Tern's own time for the request, from its headers to the answer (the body read and parsed,
  // the handler, the serialised reply): devtools show it, and the timed suites budget it instead
  // of a loopback round trip that the test process's own work (its prober, its GC) stretches.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('server-timing', `app;dur=${reply.elapsedTime.toFixed(1)}`);
    done(null, payload);
  });
  app.addHook('preClose', (done) => {
    shuttingDown = true;
    done();
  });

  installErrorHandling(app);
  // Console sessions travel in a cookie (auth/sessions.ts); parsed for every route.
  await app.register(fastifyCookie);
  await registerCsrf(app, ctx.services.keyring);
  registerBoundedJsonParser(app);
  registerSecurityHeaders(app);
  await registerOpenApi(app, VERSION);

  await registerLoadShedding(app, ctx.config.maxEventLoopDelayMs);
  refuseNulCharacters(app);
  healthRoutes(app, { db: ctx.db, isShuttingDown: () => shuttingDown });
  metricsRoutes(app, { metrics: ctx.services.metrics, token: ctx.config.metricsToken });
  authMethodsRoutes(app, { oidc: ctx.config.oidc });
  await app.register(async (hooks) => {
    registerAuthFailureLimit(hooks, ctx.config.authFailuresPerMinute);
    await registerRateLimit(hooks, 'webhook', ctx.config.webhookRateLimitPerMinute);
    hooks.addHook('onResponse', (request, reply, done) => {
      const kind = request.url.includes('/inbound/') ? 'inbound' : 'reports';
      ctx.services.metrics.webhookRequest(kind, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
    inboundWebhookRoutes(hooks, ctx.services.inbound);
    reportWebhookRoutes(hooks, {
      db: ctx.db,
      clock: ctx.clock,
      credentials: ctx.services.credentials,
      unmatched: {
        maxPerCredential: ctx.config.unmatchedReportsPerCredential,
        onPruned: (count) => ctx.services.metrics.reportsPrunedCount(count),
      },
    });
  });

  // Console sign-in (outside /api): failed attempts limited per address, requests per caller.
  await app.register(async (scope) => {
    registerAuthFailureLimit(scope, ctx.config.authFailuresPerMinute);
    await registerRateLimit(scope, 'api', ctx.config.apiRateLimitPerMinute);
    const people = { db: ctx.db, clock: ctx.clock, publicUrl: ctx.config.publicUrl };
    signInRoutes(scope.withTypeProvider<TypeBoxTypeProvider>(), people);
    invitationAcceptRoutes(scope.withTypeProvider<TypeBoxTypeProvider>(), people);
  });
  // Single sign-on (outside /api): its answers are redirects, never 401s; requests limited per caller.
  await app.register(async (scope) => {
    await registerRateLimit(scope, 'api', ctx.config.apiRateLimitPerMinute);
    const { oidc } = ctx.config;
    oidcRoutes(scope.withTypeProvider<TypeBoxTypeProvider>(), {
      db: ctx.db,
      clock: ctx.clock,
      oidc: oidc
        ? new OidcSignIn({
            config: oidc,
            db: ctx.db,
            clock: ctx.clock,
            keyring: ctx.services.keyring,
          })
        : null,
    });
  });

  const verifier = new AdminTokenVerifier(ctx.db, ctx.config.adminToken);
  await app.register(
    async (scope) => {
      registerAuthFailureLimit(scope, ctx.config.authFailuresPerMinute);
      await registerRateLimit(scope, 'api', ctx.config.apiRateLimitPerMinute);
      const api = scope.withTypeProvider<TypeBoxTypeProvider>();
      api.addHook('onRoute', (route) => {
        route.schema = { ...route.schema, security: [{ bearerAuth: [] }] };
      });
      requireCaller(api, {
        db: ctx.db,
        clock: ctx.clock,
        verifier,
        sandboxes: ctx.services.sandboxes,
      });
      meRoutes(api, { db: ctx.db });
      invitationRoutes(api, { db: ctx.db, clock: ctx.clock, publicUrl: ctx.config.publicUrl });
      memberRoutes(api, { db: ctx.db, clock: ctx.clock });
      adminRoutes(api, {
        db: ctx.db,
        clock: ctx.clock,
        sandboxes: ctx.services.sandboxes,
        approvals: ctx.services.approvals,
      });
      credentialRoutes(api, ctx.services.credentials, ctx.services.approvals);
      channelRoutes(api, ctx.services.channels);
      inboundApiRoutes(api, { db: ctx.db, ...ctx.services });
      eventRoutes(api, {
        db: ctx.db,
        clock: ctx.clock,
        options: {
          maxStreamsPerToken: ctx.config.eventStreamsPerToken,
          tokenCheckMs: ctx.config.eventStreamTokenCheckMs,
          stallMs: ctx.config.eventStreamStallMs,
        },
      });
      messageRoutes(api, ctx.services.messages);
      eventWebhookRoutes(api, ctx.services.eventWebhooks);
      statsRoutes(api, ctx.services.stats);
      campaignRoutes(api, ctx.services.campaigns, ctx.services.approvals);
      segmentRoutes(api, ctx.services.audiences);
      listRoutes(api, ctx.services.audiences);
      templateRoutes(api, ctx.services.templates);
      policyRoutes(api, ctx.services.policy, ctx.services.approvals);
      flowRoutes(api, ctx.services.flows);
      keywordResponseRoutes(api, ctx.services.keywordResponses, ctx.services.approvals);
      approvalRoutes(api, ctx.services.approvals);
    },
    { prefix: '/api' },
  );
  await registerWebConsole(app);

  return app;
}
