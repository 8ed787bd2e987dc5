/** Pieces shared by the three send routes: validity, answers, after-accept faults. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Engine, MessageDraft } from '../engine.js';
import type { SimMessage } from '../store.js';
import { errorBody, validationErrorBody, type ErrorShape, type Violation } from '../errors.js';
import type { StatusName } from '../statuses.js';
import { MINUTE_MS } from '../time.js';
import { isObject, type Checker, type Json } from '../validation.js';

/** Infobip keeps messages at most 48 h; longer validity periods are set back to 48 h. */
export const MAX_VALIDITY_MS = 2880 * MINUTE_MS;

const UNIT_MS = { SECONDS: 1000, MINUTES: MINUTE_MS, HOURS: 60 * MINUTE_MS } as const;

/** v2 `validityPeriod` in minutes, clamped to 2880. */
export function v2Validity(minutes: number | undefined): number {
  if (minutes === undefined) return MAX_VALIDITY_MS;
  return Math.min(minutes, 2880) * MINUTE_MS;
}

/** v3 / MMS v2 `{amount, timeUnit}` (unit default MINUTES), clamped to 48 h. */
export function v3Validity(c: Checker, options: Json | undefined, path: string): number {
  if (!options) return MAX_VALIDITY_MS;
  const validity = c.object(options, 'validityPeriod', path);
  if (!validity) return MAX_VALIDITY_MS;
  const at = `${path}.validityPeriod`;
  // Guess: a minimum is not documented; zero or less is refused, as the community SDK does.
  const amount = c.integer(validity, 'amount', at, { required: true, min: 1 });
  const unit = c.oneOf(validity, 'timeUnit', at, ['SECONDS', 'MINUTES', 'HOURS'] as const);
  if (amount === undefined) return MAX_VALIDITY_MS;
  return Math.min(amount * UNIT_MS[unit ?? 'MINUTES'], MAX_VALIDITY_MS);
}

/** Validates `sendingSpeedLimit` (accepted, not enforced). */
export function checkSpeedLimit(c: Checker, obj: Json, path: string): void {
  const limit = c.object(obj, 'sendingSpeedLimit', path);
  if (!limit) return;
  const at = path === '' ? 'sendingSpeedLimit' : `${path}.sendingSpeedLimit`;
  c.integer(limit, 'amount', at, { required: true, min: 1 });
  c.oneOf(limit, 'timeUnit', at, ['MINUTE', 'HOUR', 'DAY'] as const);
}

/** Transliteration names of the v2 API; v3 adds `NONE` and `ALL`. */
export const TRANSLITERATIONS_V2 = [
  'TURKISH',
  'GREEK',
  'CYRILLIC',
  'SERBIAN_CYRILLIC',
  'BULGARIAN_CYRILLIC',
  'CENTRAL_EUROPEAN',
  'BALTIC',
  'PORTUGUESE',
  'COLOMBIAN',
  'NON_UNICODE',
] as const;
export const TRANSLITERATIONS_V3 = [...TRANSLITERATIONS_V2, 'NONE', 'ALL'] as const;

/** One message of a send request, checked: what to accept, for which destinations. */
export interface ParsedMessage {
  draft: MessageDraft;
  /** `at`: the destination's property path (`messages[0].destinations[1]`), for violations. */
  destinations: { to: string; messageId: string | undefined; at: string }[];
}

type Destinations = ParsedMessage['destinations'];

/** One `{ to, messageId }` destination, added to `out` when it is valid. */
export function checkDestination(c: Checker, dest: Json, at: string, out: Destinations): void {
  const to = c.string(dest, 'to', at, { required: true, notBlank: true, max: 64 });
  // Guess: the SMS v3 messageId limit is not stated; 200 as in the MMS / Messages APIs.
  const messageId = c.string(dest, 'messageId', at, { max: 200 });
  if (to !== undefined) out.push({ to, messageId, at });
}

/**
 * A message's `destinations` array: each must be an object, handed to `check` (by default a
 * plain `{ to, messageId }`; an API adds its own fields or, for MMS, groups).
 */
export function parseDestinations(
  c: Checker,
  message: Json,
  path: string,
  check: (c: Checker, dest: Json, at: string, out: Destinations) => void = checkDestination,
): Destinations {
  const out: Destinations = [];
  const list = c.array(message, 'destinations', path, true) ?? [];
  list.forEach((dest, j) => {
    const at = `${path}.destinations[${j}]`;
    if (isObject(dest)) check(c, dest, at, out);
    else c.add(at, 'must be an object');
  });
  return out;
}

/**
 * Accepts every destination of every message under one bulk id (honouring a `reject` fault);
 * `entry` shapes each message's line of the answer, which differs per API version.
 */
export function acceptAll(
  engine: Engine,
  request: FastifyRequest,
  parsed: ParsedMessage[],
  bulkId: string | undefined,
  entry: (message: SimMessage) => object,
): object[] {
  const forced = forcedRejection(engine, request);
  const out: object[] = [];
  for (const { draft, destinations } of parsed) {
    draft.bulkId = bulkId;
    for (const d of destinations) out.push(entry(engine.accept(draft, d.to, d.messageId, forced)));
  }
  return out;
}

/**
 * Violations for destinations whose outcome is BAD_REQUEST: Infobip refuses the whole request
 * with a 400 whose `violations[].property` names the item (`messages[3].destinations[0].to`).
 * Guess: the violation text for a destination Infobip refuses is not documented.
 */
export function requestViolations(engine: Engine, parsed: ParsedMessage[]): Violation[] {
  if (!engine.outcomes.refusesRequests) return [];
  const violations: Violation[] = [];
  for (const { draft, destinations } of parsed) {
    const channel = draft.api === 'mms-v2' ? 'mms' : 'sms';
    for (const d of destinations) {
      if (engine.outcomes.choose(d.to, draft.text, channel).outcome === 'BAD_REQUEST') {
        violations.push({
          property: `${d.at}.to`,
          violation: 'must be a valid destination address',
        });
      }
    }
  }
  return violations;
}

export function badRequest(reply: FastifyReply, shape: ErrorShape, violations: Violation[]) {
  return reply.code(400).send(validationErrorBody(shape, violations));
}

/** Rejection status forced by a `reject` fault for this request, if any. */
function forcedRejection(engine: Engine, request: FastifyRequest): StatusName | undefined {
  if (!engine.faults.active) return undefined;
  const fault = engine.faults.take('reject', request.method, pathOf(request.url));
  if (!fault) return undefined;
  return fault.rejectStatus ?? 'REJECTED_NOT_ENOUGH_CREDITS';
}

/**
 * Sends the 200 answer, unless an after-accept fault says to drop the connection or answer 5xx
 * although the messages were accepted.
 */
export function answerAccepted(
  engine: Engine,
  request: FastifyRequest,
  reply: FastifyReply,
  shape: ErrorShape,
  body: object,
) {
  const fault = engine.faults.active
    ? engine.faults.take('after-accept', request.method, pathOf(request.url))
    : undefined;
  if (fault?.kind === 'accept-then-reset') return dropConnection(request, reply);
  if (fault?.kind === 'accept-then-error') {
    const status = fault.status ?? 500;
    return reply.code(status).send(errorBody(fault.shape ?? shape, status));
  }
  return reply.code(200).send(body);
}

/** Destroys the socket without answering (the client sees a connection reset). */
export function dropConnection(request: FastifyRequest, reply: FastifyReply) {
  if (request.simRecord) request.simRecord.outcome = 'reset';
  reply.hijack();
  request.raw.socket.destroy();
  return reply;
}

export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** Infobip clips bulkIds longer than 100 characters. */
export function clipBulkId(bulkId: string | undefined): string | undefined {
  return bulkId === undefined ? undefined : bulkId.slice(0, 100);
}
