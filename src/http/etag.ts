import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

/** Versioned resources carry their version as a strong ETag: `"3"`. */
export function setEtag(reply: FastifyReply, version: number): void {
  reply.header('etag', `"${version}"`);
}

/** No resource is ever at version 0 (they start at 1): the version of a tag that matches none. */
export const NO_VERSION = 0;

/** Tern's tags are at most 11 characters; a list of 1,000 is far beyond any client's need. */
const MAX_IF_MATCH_LENGTH = 1_000;

/**
 * One element of the list (RFC 9110 §8.8.3: `[W/] DQUOTE *etagc DQUOTE`, and the bare number
 * Tern has always accepted), then OWS and a comma or the end. Sticky and without nested
 * quantifiers, so it runs in linear time.
 */
const LIST_ELEMENT = /[ \t]*(?:(W\/)?"([^"]*)"|([^\s,"]+))[ \t]*(?:,|$)/y;

/** The versions an `If-Match` list names, in order; NO_VERSION for a tag that is not Tern's. */
function versionsNamed(header: string): number[] {
  const versions: number[] = [];
  LIST_ELEMENT.lastIndex = 0;
  while (LIST_ELEMENT.lastIndex < header.length) {
    const match = LIST_ELEMENT.exec(header);
    // Not a list of entity-tags: nothing in it can match (RFC 9110 §13.1.1 then says 412).
    if (!match) return [NO_VERSION];
    const tag = match[2] ?? match[3] ?? '';
    versions.push(/^\d{1,9}$/.test(tag) ? Number(tag) : NO_VERSION);
  }
  return versions.length > 0 ? versions : [NO_VERSION];
}

/**
 * The version an `If-Match` header asks for; undefined when absent or `*` (then the write is
 * unconditional). A tag Tern did not issue (another server's, a broken one) matches no version,
 * so the service answers 412 as RFC 9110 §13.1.1 says, never 400. A list naming several of our
 * versions asks for the newest of them: at worst a needless 412, never a lost update.
 */
export function ifMatchVersion(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined || header.trim() === '*') return undefined;
  if (header.length > MAX_IF_MATCH_LENGTH) {
    throw new AppError('validation_failed', 'The If-Match header is too long.', [
      { path: '/headers/if-match', message: `must be at most ${MAX_IF_MATCH_LENGTH} characters` },
    ]);
  }
  return Math.max(...versionsNamed(header));
}
