/** Fastify type augmentation: per-route error shape and the request's observation record. */
import type { ErrorShape } from './errors.js';
import type { Scope } from './scopes.js';
import type { RecordedRequest } from './store.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Error body shape of an Infobip route; absent on control routes. */
    shape?: ErrorShape;
    /** The route's `x-scopes`: the key must hold one of them, else 403. */
    scopes?: readonly Scope[];
    /** Under the logs throttle (`logsRateLimit`, per key and route), else 429. */
    throttled?: boolean;
  }
  interface FastifyRequest {
    simRecord: RecordedRequest | null;
  }
}
