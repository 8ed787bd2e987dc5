/** `GET /account/1/balance`. */
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine.js';

export function registerAccount(app: FastifyInstance, engine: Engine): void {
  app.get('/account/1/balance', { config: { shape: 'legacy' } }, () => ({
    balance: Math.round(engine.balance * 100_000) / 100_000,
    currency: engine.options.currency,
  }));
}
