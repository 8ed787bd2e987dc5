import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { writesForTerminal } from '../logger.js';

/**
 * At a terminal, one log line per request, written when it completes, instead of Fastify's
 * "incoming request" and "request completed" pair: the completed line carries the request too.
 */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(request)) return;
    const fields = {
      req: request,
      res: { statusCode: reply.statusCode },
      responseTime: reply.elapsedTime,
    };
    if (error) reply.log.error({ ...fields, err: error }, 'request errored');
    else reply.log.info(fields, 'request completed');
  }
}

/** The log controller for `buildApp`: one line per request at a terminal, Fastify's otherwise. */
export function requestLogController(logger: object): LogController | undefined {
  return writesForTerminal(logger) ? new OneLinePerRequest() : undefined;
}
