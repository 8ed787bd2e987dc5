/** The closed list of error codes Tern answers with; the HTTP layer maps each to a status. */
export type ErrorCode =
  | 'validation_failed'
  | 'invalid_json'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'route_not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'precondition_failed'
  | 'precondition_required'
  | 'payload_too_large'
  | 'headers_too_large'
  | 'request_timeout'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'unavailable'
  | 'internal_error';

/** One problem with one input field: `path` is a JSON pointer-ish location such as `/body/name`. */
export interface ErrorDetail {
  path?: string;
  message: string;
  [key: string]: unknown;
}

/** A failure the caller can act on; domain code throws these, never HTTP errors. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** Shorthand for the common "input is wrong" case. */
export function validationError(message: string, details: ErrorDetail[] = []): AppError {
  return new AppError('validation_failed', message, details);
}

/** A write based on an old read (If-Match naming a version that is no longer current). */
export function staleVersionError(resource: string, currentVersion?: number): AppError {
  return new AppError(
    'precondition_failed',
    `If-Match does not name the current version of the ${resource}: it changed since you read it, or the tag is not one of its versions. Reload it and apply your change again.`,
    currentVersion !== undefined
      ? [{ path: '/headers/if-match', message: `current version is ${currentVersion}` }]
      : [],
  );
}
