/** `POST /sms/2/text/advanced` — the legacy (superseded, still widely used) text send. */
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine.js';
import { ROUTE_SCOPES } from '../scopes.js';
import { countSegments } from '../segments.js';
import { Checker, isInvalidJson, isObject } from '../validation.js';
import {
  acceptAll,
  answerAccepted,
  badRequest,
  checkSpeedLimit,
  clipBulkId,
  parseDestinations,
  requestViolations,
  TRANSLITERATIONS_V2,
  v2Validity,
  type ParsedMessage,
} from './send-common.js';

// Guess: the deprecation dates are not documented; RFC 1123 dates as the Java SDK expects.
const DEPRECATION = 'Tue, 01 Oct 2024 00:00:00 GMT';
const SUNSET = 'Thu, 31 Dec 2026 00:00:00 GMT';

export function registerSmsV2(app: FastifyInstance, engine: Engine): void {
  app.post(
    '/sms/2/text/advanced',
    { config: { shape: 'legacy', scopes: ROUTE_SCOPES.smsSend } },
    (request, reply) => {
      const body = request.body;
      const c = new Checker();
      if (isInvalidJson(body) || !isObject(body)) {
        // Guess: Infobip's wording for an unparseable body is not documented.
        c.add('request', 'must be a valid JSON object');
        return badRequest(reply, 'legacy', c.violations);
      }
      const now = engine.now();
      const bulkId = clipBulkId(c.string(body, 'bulkId', ''));
      const includeCount = c.boolean(body, 'includeSmsCountInResponse', '') ?? false;
      checkSpeedLimit(c, body, '');
      c.object(body, 'urlOptions', '');
      c.object(body, 'tracking', '');
      const messages = c.array(body, 'messages', '', true) ?? [];
      const parsed: ParsedMessage[] = [];
      let total = 0;
      messages.forEach((raw, i) => {
        const path = `messages[${i}]`;
        if (!isObject(raw)) {
          c.add(path, 'must be an object');
          return;
        }
        const from = c.string(raw, 'from', path);
        // Guess: a blank text is refused (the schema does not mark it required).
        const text = c.string(raw, 'text', path, { required: true, notBlank: true }) ?? '';
        c.boolean(raw, 'flash', path);
        c.oneOf(raw, 'transliteration', path, TRANSLITERATIONS_V2);
        const language = c.object(raw, 'language', path);
        if (language) c.string(language, 'languageCode', `${path}.language`);
        const validity = c.integer(raw, 'validityPeriod', path, { min: 1 });
        const sendAt = c.sendAt(raw, 'sendAt', path, now);
        c.deliveryTimeWindow(raw, 'deliveryTimeWindow', path);
        const notifyUrl = c.string(raw, 'notifyUrl', path, { max: 2048 });
        c.string(raw, 'notifyContentType', path);
        const callbackData = c.string(raw, 'callbackData', path, { max: 4000 });
        const intermediateReport = c.boolean(raw, 'intermediateReport', path) ?? false;
        c.regional(raw, 'regional', path);
        const entityId = c.string(raw, 'entityId', path, { max: 255 });
        const applicationId = c.string(raw, 'applicationId', path, { max: 255 });
        const destinations = parseDestinations(c, raw, path);
        total += destinations.length;
        const parts = countSegments(text).parts;
        parsed.push({
          destinations,
          draft: {
            api: 'sms-v2',
            bulkId,
            from,
            text,
            parts,
            price: parts * engine.options.pricePerPart,
            acceptedAt: now,
            sentAt: Math.max(now, sendAt ?? now),
            validityMs: v2Validity(validity),
            reportUrl: notifyUrl ?? engine.options.subscriptionReportUrl,
            notify: true,
            callbackData,
            entityId,
            applicationId,
            campaignReferenceId: undefined,
            intermediateReport,
          },
        });
      });
      if (!c.ok) return badRequest(reply, 'legacy', c.violations);
      const refused = requestViolations(engine, parsed);
      if (refused.length > 0) return badRequest(reply, 'legacy', refused);

      // Old docs: bulkId only for multi-destination requests; newer docs: always (configurable).
      const responseBulkId =
        bulkId ??
        (total > 1 || !engine.options.omitBulkIdForSingleDestination
          ? engine.ids.next()
          : undefined);
      const out = acceptAll(engine, request, parsed, responseBulkId, (m) =>
        includeCount
          ? { to: m.to, status: m.status, messageId: m.messageId, smsCount: m.parts }
          : { to: m.to, status: m.status, messageId: m.messageId },
      );
      if (engine.options.deprecationHeaders) {
        reply.header('Deprecation', DEPRECATION).header('Sunset', SUNSET);
      }
      return answerAccepted(engine, request, reply, 'legacy', {
        bulkId: responseBulkId,
        messages: out,
      });
    },
  );
}
