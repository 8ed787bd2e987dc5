import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../db/dialect.js';
import { AppError, type ErrorCode, type ErrorDetail } from '../errors.js';
import { csrfError } from './csrf.js';
import { validationDetails } from './validation-details.js';

/** The only place that knows which HTTP status each error code means. */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  validation_failed: 400,
  invalid_json: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  precondition_failed: 412,
  request_timeout: 408,
  payload_too_large: 413,
  headers_too_large: 431,
  unsupported_media_type: 415,
  precondition_required: 428,
  rate_limited: 429,
  internal_error: 500,
  unavailable: 503,
};

/** The error body every route answers with: `{ error: { code, message, details } }`. */
export function errorBody(code: ErrorCode, message: string, details: ErrorDetail[] = []) {
  return { error: { code, message, details } };
}

/** Maps Fastify's own 4xx errors (parsing, validation, limits) onto Tern's codes. */
function fromFastifyError(error: FastifyError): AppError | undefined {
  if (error.validation) {
    // Body fields are named by their JSON pointer alone (`/name`), as domain validation names
    // them; other parts carry their location (`/querystring/limit`, `/headers/if-match`).
    const context = error.validationContext ?? 'body';
    const prefix = context === 'body' ? '' : `/${context}`;
    const details = validationDetails(error.validation, prefix);
    return new AppError('validation_failed', 'The request is not valid.', details);
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', 'The request body is too large.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported_media_type', 'Send the body as application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('invalid_json', 'The request body is not valid JSON.');
  }
  const csrf = csrfError(error.code);
  if (csrf) return csrf;
  if (error instanceof SyntaxError && error.statusCode === 400) {
    return new AppError('invalid_json', 'The request body is not valid JSON.');
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new AppError('validation_failed', error.message);
  }
  return undefined;
}

/** Installs the error and not-found handlers: 5xx details are logged with the request id, never sent. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((raw: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const error = raw instanceof AppError ? raw : fromFastifyError(raw);
    if (error) {
      const status = STATUS_BY_CODE[error.code];
      if (status >= 500) request.log.error({ err: raw }, error.message);
      return reply.status(status).send(errorBody(error.code, error.message, error.details));
    }
    if (isDatabaseUnavailable(raw)) {
      // Transient: the client may try again (a send with its idempotency key is not repeated).
      request.log.warn({ err: raw }, 'database unavailable');
      return reply
        .status(503)
        .header('retry-after', '5')
        .send(errorBody('unavailable', 'The database is unavailable. Try again shortly.'));
    }
    request.log.error({ err: raw }, 'unhandled error');
    return reply
      .status(500)
      .send(
        errorBody(
          'internal_error',
          `Something went wrong on our side. Quote request id ${request.id} when reporting it.`,
        ),
      );
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send(
        errorBody('route_not_found', `No route ${request.method} ${request.url.split('?')[0]}.`),
      ),
  );
}
