import { Type } from '@sinclair/typebox';
import type { App } from '../app-type.js';
import { errorResponses } from '../schemas.js';

const Me = Type.Object({
  token: Type.Object({
    id: Type.String(),
    name: Type.String(),
    sandbox: Type.Union([Type.String(), Type.Null()]),
  }),
  sandbox: Type.String({
    description: 'The sandbox this request works in (x-sandbox-name header)',
  }),
});

/** Who the caller is: lets a UI or script check its token and sandbox. */
export function meRoutes(api: App) {
  api.get(
    '/v1/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'The token and sandbox of this request',
        response: { 200: Me, ...errorResponses(400, 401) },
      },
    },
    (request) => ({
      token: {
        id: request.principal.tokenId,
        name: request.principal.name,
        sandbox: request.principal.sandbox,
      },
      sandbox: request.sandbox,
    }),
  );
}
