import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../../clock.js';
import type { CredentialService } from '../../credentials/credential.service.js';
import type { StoredCredential } from '../../credentials/credential.repository.js';
import { authenticateWebhook } from '../../credentials/webhook-auth.js';
import type { Db } from '../../db/database.js';
import {
  applyDeliveryReports,
  type UnmatchedReportsBound,
} from '../../messages/delivery-reports.js';
import type { App } from '../app-type.js';
import { errorResponses } from '../schemas.js';

/**
 * The largest delivery-report body, sized for Infobip's largest POST: 2,000 reports
 * (`maxBucketSize` 1..2000; 100 by default). A v3 report with every field Infobip sends is
 * 582-712 bytes, so 2,000 are at most 1.42 MB; 4 MiB (4,194,304 bytes) also fits 2,000 reports
 * each echoing a callbackData of up to 1,380 ASCII characters (2,000 × (712 + 1,380) =
 * 4.18 MB), and 100 echoing Tern's longest (4,000 two-byte characters: 8,710 bytes a report,
 * 871 kB). With longer callbackData keep the bucket under 480 reports (4 MiB / 8,710; README).
 * The secret is checked before a byte of the body is read. Measured: JSON.parse of 4 MB of
 * reports ~4 ms; a whole POST of 2,000 (3.97 MB) answered in ~0.5 s on SQLite
 * (test/webhook-items.test.ts).
 */
export const REPORTS_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

/**
 * `POST /webhooks/infobip/:credentialId/reports/:secret`: the delivery report URL given to
 * Infobip (v2 and v3 shapes). Authenticated by the secret in the URL in `onRequest`, before the
 * body is read, so a stranger can neither make Tern parse a body nor spend the credential's
 * rate limit; answers as soon as the reports are committed, so that Infobip does not retry.
 */
export function reportWebhookRoutes(
  app: App,
  deps: {
    db: Db;
    clock: Clock;
    credentials: CredentialService;
    unmatched: UnmatchedReportsBound;
  },
) {
  const authenticated = new WeakMap<FastifyRequest, StoredCredential>();
  app.post(
    '/webhooks/infobip/:credentialId/reports/:secret',
    {
      bodyLimit: REPORTS_BODY_LIMIT_BYTES,
      schema: {
        tags: ['provider webhooks'],
        summary: 'Infobip delivery reports',
        description: `At most ${REPORTS_BODY_LIMIT_BYTES} bytes a POST (2,000 reports, Infobip's most). Each report is judged on its own: the valid ones are applied and the others kept raw with their problems (\`rejected\`, \`problems\`); 400 only when no report in the body is valid.`,
        params: Type.Object({
          credentialId: Type.String({ maxLength: 100 }),
          secret: Type.String({ maxLength: 200 }),
        }),
        response: {
          200: Type.Object({
            applied: Type.Integer(),
            unchanged: Type.Integer(),
            duplicates: Type.Integer(),
            unknown: Type.Integer(),
            rejected: Type.Integer({
              description: 'Items that were not valid reports: kept raw with their problems',
            }),
            problems: Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), {
              description: 'The first 20 problems of the rejected items (paths into the body)',
            }),
          }),
          ...errorResponses(400, 401, 413, 429),
        },
      },
      onRequest: async (request) => {
        const { credentialId, secret } = request.params;
        authenticated.set(
          request,
          await authenticateWebhook(deps.db, deps.credentials, credentialId, secret, 'reports'),
        );
      },
    },
    async (request) => {
      const credential = authenticated.get(request);
      if (!credential) throw new Error('report webhook reached its handler unauthenticated');
      return applyDeliveryReports(deps.db, deps.clock, credential, request.body, {
        log: request.log,
        unmatched: deps.unmatched,
      });
    },
  );
}
