/** `POST /sms/3/messages` — the current SMS send (text or binary). */
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine.js';
import { ROUTE_SCOPES } from '../scopes.js';
import { countSegments } from '../segments.js';
import { Checker, isInvalidJson, isObject } from '../validation.js';
import {
  acceptAll,
  answerAccepted,
  badRequest,
  checkDestination,
  parseDestinations,
  requestViolations,
  type ParsedMessage,
  TRANSLITERATIONS_V3,
  v3Validity,
} from './send-common.js';
import { parsePlatform, parseRequestOptions, parseWebhooks } from './v3-common.js';

export function registerSmsV3(app: FastifyInstance, engine: Engine): void {
  app.post(
    '/sms/3/messages',
    { config: { shape: 'v3', scopes: ROUTE_SCOPES.smsSend } },
    (request, reply) => {
      const body = request.body;
      const c = new Checker();
      if (isInvalidJson(body) || !isObject(body)) {
        c.add('request', 'must be a valid JSON object');
        return badRequest(reply, 'v3', c.violations);
      }
      const now = engine.now();
      const requestOptions = parseRequestOptions(c, body, now);
      const messages = c.array(body, 'messages', '', true) ?? [];
      const parsed: ParsedMessage[] = [];
      messages.forEach((raw, i) => {
        const path = `messages[${i}]`;
        if (!isObject(raw)) {
          c.add(path, 'must be an object');
          return;
        }
        const sender = c.string(raw, 'sender', path);
        const content = c.object(raw, 'content', path, true);
        let text = '';
        let parts = 1;
        if (content) {
          const at = `${path}.content`;
          if (content.hex !== undefined) {
            // Binary content: one part per 140 octets (2 hex digits each).
            const hex = c.string(content, 'hex', at, { notBlank: true }) ?? '';
            c.integer(content, 'dataCoding', at);
            c.integer(content, 'esmClass', at);
            text = hex;
            parts = Math.max(1, Math.ceil(hex.length / 2 / 140));
          } else {
            text = c.string(content, 'text', at, { required: true, notBlank: true }) ?? '';
            c.oneOf(content, 'transliteration', at, TRANSLITERATIONS_V3);
            const language = c.object(content, 'language', at);
            if (language) {
              c.string(language, 'languageCode', `${at}.language`);
              c.boolean(language, 'singleShift', `${at}.language`);
              c.boolean(language, 'lockingShift', `${at}.language`);
            }
            parts = countSegments(text).parts;
          }
        }
        const options = c.object(raw, 'options', path);
        const optionsPath = `${path}.options`;
        const validityMs = v3Validity(c, options, optionsPath);
        const platform = parsePlatform(c, options, optionsPath);
        let campaignReferenceId: string | undefined;
        if (options) {
          c.deliveryTimeWindow(options, 'deliveryTimeWindow', optionsPath);
          campaignReferenceId = c.string(options, 'campaignReferenceId', optionsPath, { max: 255 });
          c.regional(options, 'regional', optionsPath);
          c.boolean(options, 'flash', optionsPath);
        }
        const webhooks = parseWebhooks(c, engine, raw, path);
        const destinations = parseDestinations(c, raw, path, (c, dest, at, out) => {
          checkDestination(c, dest, at, out);
          c.integer(dest, 'networkId', at);
        });
        const sendAt = requestOptions.sendAt ?? now;
        parsed.push({
          destinations,
          draft: {
            api: 'sms-v3',
            bulkId: undefined,
            from: sender,
            text,
            parts,
            price: parts * engine.options.pricePerPart,
            acceptedAt: now,
            sentAt: Math.max(now, sendAt),
            validityMs,
            reportUrl: webhooks.reportUrl,
            notify: webhooks.notify,
            callbackData: webhooks.callbackData,
            entityId: platform.entityId,
            applicationId: platform.applicationId,
            campaignReferenceId,
            intermediateReport: webhooks.intermediateReport,
          },
        });
      });
      if (!c.ok) return badRequest(reply, 'v3', c.violations);
      const refused = requestViolations(engine, parsed);
      if (refused.length > 0) return badRequest(reply, 'v3', refused);

      // Guess: v3 always answers a bulkId (generated when the caller gave none).
      const bulkId = requestOptions.bulkId ?? engine.ids.next();
      const out = acceptAll(engine, request, parsed, bulkId, (m) =>
        requestOptions.includeCount
          ? {
              messageId: m.messageId,
              status: m.status,
              destination: m.to,
              details: { messageCount: m.parts },
            }
          : { messageId: m.messageId, status: m.status, destination: m.to },
      );
      return answerAccepted(engine, request, reply, 'v3', { bulkId, messages: out });
    },
  );
}
