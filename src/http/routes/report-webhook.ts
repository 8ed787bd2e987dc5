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
 * The largest delivery-report body, sized for 100 reports. A report with every field Infobip
 * sends is 712 bytes; one echoing Tern's longest callbackData (4,000 characters) is 4,710 bytes
 * in ASCII and 8,710 in two-byte UTF-8, so 100 of those are 871 kB: 1 MiB leaves ~20 % headroom
 * (and fits ~1,470 reports without callbackData).
 */
export const REPORTS_BODY_LIMIT_BYTES = 1024 * 1024;

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
        description: `At most ${REPORTS_BODY_LIMIT_BYTES} bytes a POST (100 reports with the longest callbackData).`,
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
