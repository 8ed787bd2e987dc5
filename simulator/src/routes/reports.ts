/**
 * Pull endpoints: `GET /sms/1/reports` (v2 shape), `GET /sms/3/reports` (v3 shape),
 * `GET /mms/2/reports`, `GET /sms/1/inbox/reports` and `GET /mms/1/inbox/reports`. Each report
 * is returned once.
 */
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine.js';
import { ROUTE_SCOPES, type Scope } from '../scopes.js';
import type { Violation, ErrorShape } from '../errors.js';
import type { PullEntry } from '../report-dispatcher.js';
import type { InboundMms } from '../inbound.js';
import { v2Report, v3Report, type ReportContext } from '../report-shapes.js';
import { badRequest } from './send-common.js';
import { queryLimit, queryList, queryString, type Query } from './query.js';

function take(queue: PullEntry[], q: Query, limit: number): PullEntry[] {
  const messageIds = queryList(q, 'messageId');
  const bulkIds = queryList(q, 'bulkId');
  const entityId = queryString(q, 'entityId');
  const applicationId = queryString(q, 'applicationId');
  const campaignReferenceId = queryString(q, 'campaignReferenceId');
  const taken: PullEntry[] = [];
  const kept: PullEntry[] = [];
  for (const entry of queue) {
    const m = entry.message;
    const match =
      taken.length < limit &&
      (!messageIds || messageIds.includes(m.messageId)) &&
      (!bulkIds || (m.bulkId !== undefined && bulkIds.includes(m.bulkId))) &&
      (entityId === undefined || m.entityId === entityId) &&
      (applicationId === undefined || m.applicationId === applicationId) &&
      (campaignReferenceId === undefined || m.campaignReferenceId === campaignReferenceId);
    (match ? taken : kept).push(entry);
  }
  queue.length = 0;
  queue.push(...kept);
  return taken;
}

export function registerReports(app: FastifyInstance, engine: Engine): void {
  const ctx: ReportContext = { currency: engine.options.currency, mccMnc: engine.options.mccMnc };
  const route = (
    path: string,
    shape: ErrorShape,
    scopes: readonly Scope[],
    queue: PullEntry[],
    build: (e: PullEntry) => object,
  ) => {
    app.get(path, { config: { shape, scopes } }, (request, reply) => {
      const violations: Violation[] = [];
      const q = request.query as Query;
      const limit = queryLimit(q, violations);
      if (violations.length > 0) return badRequest(reply, shape, violations);
      return { results: take(queue, q, limit).map(build) };
    });
  };
  route('/sms/1/reports', 'legacy', ROUTE_SCOPES.smsReports, engine.reports.pull.sms, (e) =>
    v2Report(e.message, e, ctx),
  );
  route('/sms/3/reports', 'v3', ROUTE_SCOPES.smsReports, engine.reports.pull.sms, (e) =>
    v3Report(e.message, e, ctx),
  );
  route('/mms/2/reports', 'v3', ROUTE_SCOPES.mmsReports, engine.reports.pull.mms, (e) =>
    v3Report(e.message, e, ctx),
  );

  app.get(
    '/sms/1/inbox/reports',
    { config: { shape: 'legacy', scopes: ROUTE_SCOPES.smsInbox } },
    (request, reply) => {
      const violations: Violation[] = [];
      const limit = queryLimit(request.query as Query, violations);
      if (violations.length > 0) return badRequest(reply, 'legacy', violations);
      const inbox = engine.inbound.inbox;
      const results = inbox.splice(0, limit);
      return { results, messageCount: results.length, pendingMessageCount: inbox.length };
    },
  );

  app.get(
    '/mms/1/inbox/reports',
    { config: { shape: 'legacy', scopes: ROUTE_SCOPES.mmsInbox } },
    (request, reply) => {
      const violations: Violation[] = [];
      const limit = queryLimit(request.query as Query, violations);
      if (violations.length > 0) return badRequest(reply, 'legacy', violations);
      return { results: engine.inbound.mmsInbox.splice(0, limit).map(mmsMoReport) };
    },
  );
}

/**
 * The pull shape of an inbound MMS (`MMSMoReport`): `message` is a JSON string of `mms_parts`,
 * as in the spec's example. Guess: a media part carries `url` where a text part has `value`,
 * and `origin` is `media`; the example shows a text part only.
 */
function mmsMoReport(m: InboundMms): object {
  const parts = m.message.map((part, i) => ({
    origin: 'value' in part ? 'text' : 'media',
    contentId: `content${i}`,
    ...part,
  }));
  return {
    messageId: m.messageId,
    to: m.to,
    from: m.from,
    message: JSON.stringify({
      mms_parts: parts,
      userAgent: m.userAgent ?? null,
      priority: null,
      subject: null,
    }),
    group: m.group,
    receivedAt: m.receivedAt,
    mmsCount: 1,
    callbackData: m.callbackData,
    price: m.price,
  };
}
