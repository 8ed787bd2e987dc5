import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

/** Versioned resources carry their version as a strong ETag: `"3"`. */
export function setEtag(reply: FastifyReply, version: number): void {
  reply.header('etag', `"${version}"`);
}

/**
 * The version an `If-Match` header asks for; undefined when absent or `*` (then the write is
 * unconditional).
 */
export function ifMatchVersion(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!match?.[1]) {
    throw new AppError(
      'validation_failed',
      'If-Match must be the ETag of the resource, e.g. "3".',
      [{ path: '/headers/if-match', message: 'is not an ETag Tern issued' }],
    );
  }
  return Number(match[1]);
}
