/** Fastify type augmentation: per-route error shape and the request's observation record. */
import type { ErrorShape } from './errors.js';
import type { RecordedRequest } from './store.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Error body shape of an Infobip route; absent on control routes. */
    shape?: ErrorShape;
  }
  interface FastifyRequest {
    simRecord: RecordedRequest | null;
  }
}
