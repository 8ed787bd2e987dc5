import { Type } from '@sinclair/typebox';
import type { Clock } from '../../clock.js';
import type { CredentialService } from '../../credentials/credential.service.js';
import { authenticateWebhook } from '../../credentials/webhook-auth.js';
import type { Db } from '../../db/database.js';
import { applyDeliveryReports } from '../../messages/delivery-reports.js';
import type { App } from '../app-type.js';
import { errorResponses } from '../schemas.js';

/**
 * `POST /webhooks/infobip/:credentialId/reports/:secret`: the delivery report URL given to
 * Infobip (v2 and v3 shapes). Authenticated by the secret in the URL; answers as soon as the
 * reports are committed, so that Infobip does not retry.
 */
export function reportWebhookRoutes(
  app: App,
  deps: { db: Db; clock: Clock; credentials: CredentialService },
) {
  app.post(
    '/webhooks/infobip/:credentialId/reports/:secret',
    {
      schema: {
        tags: ['provider webhooks'],
        summary: 'Infobip delivery reports',
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
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => {
      const credential = await authenticateWebhook(
        deps.db,
        deps.credentials,
        request.params.credentialId,
        request.params.secret,
        'reports',
      );
      return applyDeliveryReports(deps.db, deps.clock, credential, request.body, request.log);
    },
  );
}
