import helmet from 'helmet';
import type { FastifyInstance } from 'fastify';

/**
 * The headers a security scanner expects, on every answer (helmet's defaults, tightened): a CSP
 * that allows only Tern's own scripts, styles and API (the console and the Swagger UI at /docs
 * load nothing from elsewhere; `data:` for their inline icons), no framing anywhere
 * (`frame-ancestors 'none'` and `X-Frame-Options: DENY`: clickjacking), `nosniff`, and
 * `Referrer-Policy: no-referrer`; and `Cache-Control: no-store` on every `/api` answer.
 * `upgrade-insecure-requests` is left out: a self-hosted Tern on plain http (a LAN, a laptop)
 * would have its own assets rewritten to https and break. /docs adds inline styles (openapi.ts).
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  // helmet itself, built once: @fastify/helmet called helmet(options) again on every request,
  // parsing the whole policy each time (about 8 % of the single-message API's main thread).
  const applyHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  app.addHook('onRequest', (request, reply, done) => {
    applyHeaders(request.raw, reply.raw, (error?: unknown) =>
      done(error instanceof Error ? error : undefined),
    );
  });
  // Every /api answer may carry a token, a secret or a tenant's data: no cache may keep one.
  app.addHook('onRequest', (request, reply, done) => {
    if (
      request.url === '/api' ||
      request.url.startsWith('/api/') ||
      request.url.startsWith('/api?')
    )
      void reply.header('cache-control', 'no-store');
    done();
  });
}
