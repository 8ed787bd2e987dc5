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
  // Guess: FORBIDDEN / NOT_FOUND texts are not in infobip.md.
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

const RESOURCES = [{ name: 'API docs', url: 'https://www.infobip.com/docs/api' }];

// Guess: only the E400 texts are documented; the others follow the same style.
const V3_TEXT: Record<number, { description: string; action: string }> = {
  400: {
    description: 'Provided request can not be processed.',
    action: 'Check request syntax and provided violations to adjust the request accordingly.',
  },
  401: {
    description: 'Unauthorized access.',
    action: 'Check the provided credentials and the Authorization header format.',
  },
  403: {
    description: 'Forbidden access.',
    action: 'Check that your credentials have the scopes required by this endpoint.',
  },
  404: {
    description: 'Requested resource not found.',
    action: 'Check the request URL.',
  },
  429: {
    description: 'Too many requests.',
    action: 'Reduce the request rate and retry later.',
  },
  500: {
    description: 'Something went wrong. Please contact support.',
    action: 'Retry the request later; contact support if the problem persists.',
  },
};

export function apiError(httpStatus: number, violations: Violation[] = []): ApiErrorBody {
  const text = V3_TEXT[httpStatus] ?? V3_TEXT[500]!;
  return {
    errorCode: `E${httpStatus}`,
    description: text.description,
    action: text.action,
    violations,
    resources: RESOURCES,
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
