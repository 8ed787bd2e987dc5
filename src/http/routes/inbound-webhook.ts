import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { StoredCredential } from '../../credentials/credential.repository.js';
import type { InboundService } from '../../inbound/inbound.service.js';
import type { App } from '../app-type.js';
import { errorResponses } from '../schemas.js';

const Params = Type.Object({
  credentialId: Type.String({ minLength: 1, maxLength: 100 }),
  secret: Type.String({ minLength: 1, maxLength: 200 }),
});

const Summary = Type.Object({
  received: Type.Integer(),
  processed: Type.Integer(),
  duplicates: Type.Integer(),
  unrouted: Type.Integer(),
  rejected: Type.Integer({
    description: 'Items that were not usable texts: kept raw with their problems',
  }),
  problems: Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), {
    description: 'The first 20 problems of the rejected items (paths into the body)',
  }),
  repliesLimited: Type.Integer({
    description:
      'Texts acted on (an opt-out always is) that got no automatic reply: a reply bound was reached',
  }),
  results: Type.Array(
    Type.Object({
      providerMessageId: Type.String(),
      inboundMessageId: Type.Union([Type.String(), Type.Null()]),
      duplicate: Type.Boolean(),
      sandbox: Type.Union([Type.String(), Type.Null()]),
      category: Type.Union([Type.String(), Type.Null()]),
      action: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});

/**
 * `POST /webhooks/infobip/:credentialId/inbound/:secret`: the forwarding URL an operator sets on
 * an Infobip number. No bearer token: the secret in the URL authenticates (constant time), and
 * it is checked before the body is parsed. Answers 200 only after every text is committed.
 */
export function inboundWebhookRoutes(app: App, inbound: InboundService): void {
  const authenticated = new WeakMap<FastifyRequest, StoredCredential>();
  app.post(
    '/webhooks/infobip/:credentialId/inbound/:secret',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Infobip inbound texts (MO_JSON_2) and MMS (MO_MMS_2)',
        description:
          "Set this URL (from the credential's webhooks.inbound.url) as the forwarding URL of the inbound number at Infobip. Each item is judged on its own: a bad one is kept raw with its problems (`rejected`, `problems`) and the others are processed; 400 only when none is usable. Each text is routed by its `to` number or short code (only to credentials of this credential's sandbox and Infobip account), de-duplicated by messageId per credential, and run through the keyword rules (an MMS by its text parts; its media are kept as links). At most 1,000 texts per request (413 above). Automatic replies are bounded per texting number an hour and per credential a minute; texts over the bound are still acted on, without a reply.",
        params: Params,
        response: { 200: Summary, ...errorResponses(400, 401, 413, 415) },
      },
      onRequest: async (request) => {
        const { credentialId, secret } = request.params;
        authenticated.set(request, await inbound.authenticate(credentialId, secret));
      },
    },
    async (request) => {
      const credential = authenticated.get(request);
      if (!credential) throw new Error('inbound webhook reached its handler unauthenticated');
      const summary = await inbound.receive(credential, request.body);
      if (summary.repliesLimited > 0) {
        request.log.warn(
          { credentialId: credential.credential.id, repliesLimited: summary.repliesLimited },
          'inbound replies held back: reply bound reached (TERN_INBOUND_REPLIES_PER_*)',
        );
      }
      for (const result of summary.results) {
        if (result.action === 'unrouted') {
          request.log.warn(
            { providerMessageId: result.providerMessageId, credentialId: credential.credential.id },
            'inbound text for a number no credential of this Infobip account owns; stored unrouted',
          );
        }
      }
      return summary;
    },
  );
}
