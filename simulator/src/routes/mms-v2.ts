/** `POST /mms/2/messages` — MMS with media referenced by URL or uploaded id (never inline). */
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine.js';
import { ROUTE_SCOPES } from '../scopes.js';
import { Checker, isInvalidJson, isObject, type Json } from '../validation.js';
import {
  acceptAll,
  answerAccepted,
  badRequest,
  checkDestination,
  parseDestinations,
  requestViolations,
  type ParsedMessage,
  v3Validity,
} from './send-common.js';
import { parsePlatform, parseRequestOptions, parseWebhooks } from './v3-common.js';

const SEGMENT_TYPES = ['TEXT', 'LINK', 'SMIL', 'UPLOADED_REFERENCE'] as const;

/** Checks the segments and returns the text a phone would show (title + TEXT segments). */
function checkContent(c: Checker, content: Json, at: string): string {
  const title = c.string(content, 'title', at, { max: 66 });
  const texts: string[] = title ? [title] : [];
  const segments = c.array(content, 'messageSegments', at, true) ?? [];
  segments.forEach((raw, k) => {
    const sp = `${at}.messageSegments[${k}]`;
    if (!isObject(raw)) {
      c.add(sp, 'must be an object');
      return;
    }
    if (raw.type === undefined) c.add(`${sp}.type`, 'must not be null');
    const type = c.oneOf(raw, 'type', sp, SEGMENT_TYPES);
    c.string(raw, 'contentId', sp, { max: 100 });
    switch (type) {
      case 'TEXT': {
        const text = c.string(raw, 'text', sp, { required: true, max: 4096 });
        if (text !== undefined) texts.push(text);
        break;
      }
      case 'LINK':
        c.string(raw, 'contentUrl', sp, { required: true, notBlank: true, max: 2048 });
        c.string(raw, 'contentType', sp);
        break;
      case 'UPLOADED_REFERENCE':
        c.string(raw, 'uploadedContentId', sp, { required: true, notBlank: true });
        break;
      case 'SMIL':
        c.string(raw, 'smil', sp, { required: true, notBlank: true });
        break;
      case undefined:
        break;
    }
  });
  return texts.join('\n');
}

export function registerMmsV2(app: FastifyInstance, engine: Engine): void {
  app.post(
    '/mms/2/messages',
    { config: { shape: 'v3', scopes: ROUTE_SCOPES.mmsSend } },
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
        // Optional in MMS v2 (infobip.md, Corrections 2026-12).
        const sender = c.string(raw, 'sender', path);
        const content = c.object(raw, 'content', path, true);
        const text = content ? checkContent(c, content, `${path}.content`) : '';
        // Guess: the logs echo the content as sent (the Java client's MmsLog test shows a TEXT
        // segment coming back as sent; other segment types are not shown).
        const mmsContent = content
          ? {
              title: typeof content.title === 'string' ? content.title : undefined,
              messageSegments: Array.isArray(content.messageSegments)
                ? (content.messageSegments as unknown[])
                : [],
            }
          : undefined;
        const options = c.object(raw, 'options', path);
        const optionsPath = `${path}.options`;
        const validityMs = v3Validity(c, options, optionsPath);
        const platform = parsePlatform(c, options, optionsPath);
        let campaignReferenceId: string | undefined;
        if (options) {
          campaignReferenceId = c.string(options, 'campaignReferenceId', optionsPath, { max: 255 });
          c.deliveryTimeWindow(options, 'deliveryTimeWindow', optionsPath);
          c.regional(options, 'regional', optionsPath);
          const failover = c.object(options, 'smsFailover', optionsPath);
          if (failover) {
            const at = `${optionsPath}.smsFailover`;
            c.string(failover, 'sender', at);
            c.string(failover, 'text', at, { required: true });
            v3Validity(c, failover, at);
          }
        }
        const webhooks = parseWebhooks(c, engine, raw, path);
        const destinations = parseDestinations(c, raw, path, (c, dest, at, out) => {
          if (dest.group === undefined) return checkDestination(c, dest, at, out);
          // Guess: a group MMS is reported per member (one messageId each).
          const group = c.array(dest, 'group', at, true) ?? [];
          group.forEach((member, k) => {
            if (isObject(member)) checkDestination(c, member, `${at}.group[${k}]`, out);
            else c.add(`${at}.group[${k}]`, 'must be an object');
          });
        });
        const sendAt = requestOptions.sendAt ?? now;
        parsed.push({
          destinations,
          draft: {
            api: 'mms-v2',
            bulkId: undefined,
            from: sender,
            text,
            mmsContent,
            parts: 1,
            price: engine.options.pricePerMms,
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

      const bulkId = requestOptions.bulkId ?? engine.ids.next();
      const out = acceptAll(engine, request, parsed, bulkId, (m) => ({
        messageId: m.messageId,
        status: m.status,
        destination: m.to,
      }));
      return answerAccepted(engine, request, reply, 'v3', { bulkId, messages: out });
    },
  );
}
