/** `GET /account/1/balance`. */
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine.js';
import { ROUTE_SCOPES } from '../scopes.js';

export function registerAccount(app: FastifyInstance, engine: Engine): void {
  app.get(
    '/account/1/balance',
    { config: { shape: 'legacy', scopes: ROUTE_SCOPES.balance } },
    () => ({
      balance: Math.round(engine.balance * 100_000) / 100_000,
      currency: engine.options.currency,
    }),
  );
}
