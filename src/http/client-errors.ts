import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ErrorCode } from '../errors.js';
import { errorBody, STATUS_BY_CODE } from './error-handler.js';

const CAUSES: Record<string, { code: ErrorCode; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    code: 'headers_too_large',
    message: 'The request headers are larger than the server accepts (16 KiB in all).',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    code: 'request_timeout',
    message: 'The request was not received in time.',
  },
};
const MALFORMED = { code: 'validation_failed', message: 'The request is not valid HTTP.' } as const;

/**
 * Answers what Node's HTTP parser refuses before Fastify sees a request (headers too large, a
 * malformed request line, a request timeout) in Tern's error shape, as Fastify's default
 * handler does in its own; then closes the connection.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { code, message } = CAUSES[error.code ?? ''] ?? MALFORMED;
  const status = STATUS_BY_CODE[code];
  const body = JSON.stringify(errorBody(code, message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
