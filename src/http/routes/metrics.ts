import type { Metrics } from '../../metrics.js';
import { secretsEqual } from '../../credentials/webhook-auth.js';
import { AppError } from '../../errors.js';
import type { App } from '../app-type.js';
import { bearerToken } from '../auth.js';

/**
 * `GET /metrics` (Prometheus text). Off unless `TERN_METRICS_TOKEN` is set: then it needs
 * `Authorization: Bearer <that token>` (compared in constant time), a token that can read
 * metrics and nothing else, so a scraper never holds an admin token.
 */
export function metricsRoutes(app: App, deps: { metrics: Metrics; token: string | undefined }) {
  const { token } = deps;
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (token === undefined) {
      throw new AppError(
        'not_found',
        'Metrics are off: set TERN_METRICS_TOKEN, then scrape with "Authorization: Bearer <token>".',
      );
    }
    const given = bearerToken(request.headers.authorization);
    if (given === undefined || !secretsEqual(given, token)) {
      throw new AppError(
        'unauthorized',
        'Send the metrics token as "Authorization: Bearer <token>".',
      );
    }
    const registry = deps.metrics.registry;
    return reply
      .header('cache-control', 'no-store')
      .type(registry.contentType)
      .send(await registry.metrics());
  });
}
