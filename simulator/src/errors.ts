/**
 * Infobip's two error body shapes (infobip.md §1.4): the legacy `requestError.serviceException`
 * used by v1/v2 endpoints, and `ApiError` used by `/sms/3/*` and `/mms/2/*`.
 */

/** Which error shape a route answers with. */
export type ErrorShape = 'legacy' | 'v3';

export type LegacyErrorId =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'TOO_MANY_REQUESTS'
  | 'GENERAL_ERROR';

export interface LegacyErrorBody {
  requestError: {
    serviceException: {
      messageId: LegacyErrorId;
      text: string;
      validationErrors?: Record<string, string[]>;
    };
  };
}

export interface Violation {
  property: string;
  violation: string;
}

export interface ApiErrorBody {
  errorCode: string;
  description: string;
  action: string;
  violations: Violation[];
  resources: { name: string; url: string }[];
}

/** Verbatim 401 body, 97 bytes, as reproduced in public integrations. */
export const LEGACY_UNAUTHORIZED_BODY =
  '{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}';

const LEGACY_TEXT: Record<LegacyErrorId, string> = {
  BAD_REQUEST: 'Bad request',
  UNAUTHORIZED: 'Invalid login details',
  // FORBIDDEN / NOT_FOUND / TOO_MANY_REQUESTS: the spec's ApiException403/404/429 examples.
  FORBIDDEN: 'Forbidden',
  NOT_FOUND: 'Not found',
  TOO_MANY_REQUESTS: 'Too many requests',
  GENERAL_ERROR: 'Something went wrong. Please contact support.',
};

const LEGACY_BY_STATUS: Record<number, LegacyErrorId> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  429: 'TOO_MANY_REQUESTS',
};

export function legacyError(
  id: LegacyErrorId,
  validationErrors?: Record<string, string[]>,
): LegacyErrorBody {
  const serviceException: LegacyErrorBody['requestError']['serviceException'] = {
    messageId: id,
    text: LEGACY_TEXT[id],
  };
  if (validationErrors) serviceException.validationErrors = validationErrors;
  return { requestError: { serviceException } };
}

interface V3Text {
  description: string;
  action: string;
  resources: { name: string; url: string }[];
}

/** The `ApiError` responses of Infobip's OpenAPI document 3.210.0 (components.responses). */
const V3_TEXT: Record<number, V3Text> = {
  400: {
    description: 'Request cannot be processed.',
    action: 'Check the syntax, violations and adjust the request.',
    resources: [],
  },
  401: {
    description: 'The request lacks valid authentication credentials for the requested resource.',
    action: 'Check the resources and adjust authentication credentials.',
    resources: [
      {
        name: 'API Authentication',
        url: 'https://www.infobip.com/docs/essentials/api-authentication',
      },
    ],
  },
  403: {
    description: 'Insufficient permissions to access the requested resource.',
    action: 'Repeat the request with new or different credentials.',
    resources: [
      {
        name: 'API Scopes',
        url: 'https://www.infobip.com/docs/essentials/api-essentials/api-authorization#api-scopes',
      },
    ],
  },
  404: {
    description:
      "Not found - request URL doesn't exist on the API server or resource is not found.",
    action: 'Check the resources and adjust your request.',
    resources: [],
  },
  429: {
    description: 'Too many requests sent.',
    action: 'Check request rate limit specified in the API endpoint documentation resource.',
    resources: [
      {
        name: 'Throttling handling errors',
        url: 'https://www.infobip.com/docs/essentials/integration-best-practices#throttling-handling-errors',
      },
    ],
  },
  500: { description: 'Something went wrong.', action: 'Contact the support.', resources: [] },
};

export function apiError(httpStatus: number, violations: Violation[] = []): ApiErrorBody {
  const text = V3_TEXT[httpStatus] ?? V3_TEXT[500]!;
  return {
    errorCode: `E${httpStatus}`,
    description: text.description,
    action: text.action,
    violations,
    resources: text.resources.map((r) => ({ ...r })),
  };
}

/** The error body for `httpStatus` in the given shape (5xx bodies are GENERAL_ERROR / E5xx). */
export function errorBody(shape: ErrorShape, httpStatus: number): LegacyErrorBody | ApiErrorBody {
  if (shape === 'v3') return apiError(httpStatus);
  return legacyError(LEGACY_BY_STATUS[httpStatus] ?? 'GENERAL_ERROR');
}

/** Validation problems in the endpoint's shape. */
export function validationErrorBody(
  shape: ErrorShape,
  violations: Violation[],
): LegacyErrorBody | ApiErrorBody {
  if (shape === 'v3') return apiError(400, violations);
  const map: Record<string, string[]> = {};
  for (const v of violations) (map[v.property] ??= []).push(v.violation);
  return legacyError('BAD_REQUEST', map);
}
